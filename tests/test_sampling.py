"""The decode layer's frame sampler on plain (index, time) sequences: no video, milliseconds.

Every backend asks ``FrameSampler`` which frames to keep, so what it decides from indices and
presentation times alone is what every read returns.
"""

from __future__ import annotations

import pytest

from speakerid.io.sampling import FrameSampler, chunked, select

pytestmark = pytest.mark.timeout(10)


def kept(times: list[float], **settings) -> list[int]:
    """Decode indices ``select`` keeps from frames at ``times``."""
    return [index for index, _, _ in select(((t, t) for t in times), FrameSampler(**settings))]


def grid(fps: float, seconds: float, t0: float = 0.0) -> list[float]:
    return [t0 + i / fps for i in range(int(round(seconds * fps)))]


def test_fps_takes_the_first_frame_at_or_after_each_instant():
    assert kept(grid(30.0, 2.0), fps=5.0) == list(range(0, 60, 6))
    assert kept(grid(25.0, 2.0), fps=10.0) == [
        0,
        3,
        5,
        8,
        10,
        13,
        15,
        18,
        20,
        23,
        25,
        28,
        30,
        33,
        35,
        38,
        40,
        43,
        45,
        48,
    ]


def test_fps_above_the_video_rate_keeps_every_frame():
    assert kept(grid(10.0, 1.0), fps=30.0) == list(range(10))


def test_fps_none_keeps_every_frame_and_every_counts_frames():
    times = grid(30.0, 1.0)
    assert kept(times, fps=None) == list(range(30))
    assert kept(times, fps=None, every=7) == [0, 7, 14, 21, 28]


def test_instants_are_anchored_at_the_first_pts_not_at_zero():
    """The sample clip starts at 0.852 s: the grid starts there too."""
    assert kept(grid(30.0, 1.0, t0=0.852), fps=5.0) == [0, 6, 12, 18, 24]


def test_variable_frame_rate_is_sampled_by_time():
    times = [0.0, 0.01, 0.02, 0.5, 0.51, 0.52, 1.0, 1.7]  # bursts and gaps
    assert kept(times, fps=2.0) == [0, 3, 6, 7]


def test_an_instant_on_a_frame_time_is_not_lost_to_rounding():
    times = [i * 0.1 for i in range(30)]  # 0.30000000000000004 and friends
    assert kept(times, fps=10.0 / 3) == list(range(0, 30, 3))


def test_start_and_end_window():
    times = grid(10.0, 3.0)
    assert kept(times, fps=None, start=1.0, end=2.0) == list(range(10, 20))
    assert kept(times, fps=None, every=4, start=1.0) == [12, 16, 20, 24, 28]


def test_adjacent_windows_together_equal_one_read():
    """[a, b) then [b, c) gives exactly the frames of [a, c): instants do not restart at ``start``."""
    times = [0.852 + i / 29.97 for i in range(300)]
    whole = kept(times, fps=5.0, start=1.0, end=8.0)
    parts = kept(times, fps=5.0, start=1.0, end=4.3) + kept(times, fps=5.0, start=4.3, end=8.0)
    assert parts == whole and len(whole) == 35


@pytest.mark.parametrize("settings", [dict(every=0), dict(fps=0.0), dict(fps=-1.0), dict(start=2.0, end=1.0)])
def test_impossible_settings_are_refused(settings):
    with pytest.raises(ValueError):
        FrameSampler(**settings)


def test_chunked_keeps_order_and_the_short_tail():
    assert list(chunked(range(7), 3)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(chunked([], 3)) == []
