"""The timeline on hand-made frames: who speaks on each frame, smoothing, segments, screen time.

No video and no model: :class:`FrameResult` records written here, decisions checked by hand.
"""

from __future__ import annotations

import math

import pytest

from speakerid.results import UNKNOWN, FaceResult, FrameResult
from speakerid.timeline.decide import frame_speakers
from speakerid.timeline.segments import cut_segments, screen_time, video_end_time
from speakerid.timeline.speaker import dominance, pick_speaker, smooth_labels

pytestmark = pytest.mark.timeout(10)


def face(
    identity: str, box=(0.4, 0.4, 0.2, 0.2), confidence: float = 0.9, speaking: float | None = None, track: int = 0
) -> FaceResult:
    return FaceResult(tuple(box), identity, confidence, 0.6, track, 0.99, speaking)


def frames(
    speakers: list[str | None], fps: float = 5.0, t0: float = 0.0, index_step: int = 6, confidence: float = 0.8
) -> list[FrameResult]:
    """One analysed frame per label (None: no face), every 1/fps s, decode index every ``index_step``."""
    return [
        FrameResult(
            i * index_step,
            t0 + i / fps,
            [] if s is None else [face(s, confidence=confidence)],
            s,
            None if s is None else confidence,
        )
        for i, s in enumerate(speakers)
    ]


# --- the frame's speaker -------------------------------------------------------------------


def test_dominance_weighs_area_by_centrality():
    centre = face("a", (0.4, 0.4, 0.2, 0.2))
    corner = face("b", (0.0, 0.0, 0.2, 0.2))
    assert dominance(centre) == pytest.approx(0.04)
    assert dominance(corner) == pytest.approx(0.04 * (1 - 0.5 * math.hypot(0.4, 0.4) / math.hypot(0.5, 0.5)))


def test_pick_speaker_prefers_the_dominant_known_face():
    big_unknown = face(UNKNOWN, (0.3, 0.3, 0.4, 0.4), confidence=0.95)
    small_known = face("ada", (0.05, 0.05, 0.1, 0.1), confidence=0.7)
    central_known = face("bob", (0.45, 0.45, 0.1, 0.1), confidence=0.6)
    assert pick_speaker([big_unknown, small_known]) == ("ada", 0.7)
    assert pick_speaker([small_known, central_known]) == ("bob", 0.6)
    assert pick_speaker([big_unknown, face(UNKNOWN, confidence=0.5)]) == (UNKNOWN, 0.95)
    assert pick_speaker([]) == (None, None)


def test_active_mode_the_talking_face_wins_even_unknown_and_falls_back_to_dominance():
    silent_known = face("ada", (0.3, 0.3, 0.4, 0.4), speaking=0.1)
    talking_unknown = face(UNKNOWN, (0.0, 0.0, 0.1, 0.1), confidence=0.55, speaking=0.8)
    quieter = face("bob", (0.8, 0.8, 0.1, 0.1), speaking=0.6)
    assert pick_speaker([silent_known, talking_unknown, quieter], speaking_threshold=0.5) == (UNKNOWN, 0.55)
    nobody = [silent_known, face("bob", (0.0, 0.0, 0.1, 0.1), speaking=None)]
    assert pick_speaker(nobody, speaking_threshold=0.5) == ("ada", 0.9)


def test_smooth_labels_majority_filter():
    labels = ["a", "a", "b", "a", "a", None, "a", "a"]
    assert smooth_labels(labels, 5) == ["a", "a", "a", "a", "a", None, "a", "a"]
    assert smooth_labels(labels, 1) == labels  # no window: unchanged
    assert smooth_labels(["a", "b"], 5) == ["a", "b"]  # too short to judge
    tie = ["a", "b", "b", "a"]
    assert smooth_labels(tie, 3) == ["a", "b", "b", "a"]  # a real change of speaker stays
    assert smooth_labels([None, "a", None], 3) == [None, "a", None]  # nothing invented where nobody is


def test_frame_speakers_relabelled_frame_takes_its_new_speakers_confidence():
    fr = frames(["a", "a", "b", "a", "a"])
    fr[2].faces.append(face("a", (0.0, 0.0, 0.1, 0.1), confidence=0.42))  # "a" is on the flicker frame too
    out = frame_speakers(fr, analysed_fps=5.0, smooth_s=1.0)
    assert [s for s, _ in out] == ["a"] * 5
    assert out[2][1] == pytest.approx(0.42)
    lonely = frames(["a", "a", "b", "a", "a"])
    assert frame_speakers(lonely, 5.0, 1.0)[2] == ("a", None)  # "a" not on that frame: no confidence


# --- segments and screen time --------------------------------------------------------------


def test_segments_cover_runs_and_bridge_short_gaps():
    fr = frames(["a", "a", None, "a", "b", "b", UNKNOWN, "b"])
    segs = cut_segments(fr, step=0.2, video_fps=30.0, end_time=10.0, gap_tolerance=1.0)
    assert [(s.speaker, s.start, s.end, s.first_frame, s.last_frame) for s in segs] == [
        ("a", 0.0, pytest.approx(0.8), 1, 24),  # the empty frame between the two runs is bridged
        ("b", pytest.approx(0.8), pytest.approx(1.6), 25, 48),
    ]
    assert segs[0].confidence == pytest.approx(0.8)


def test_a_long_gap_splits_a_speakers_segment():
    fr = frames(["a", None, None, None, None, None, "a"])
    segs = cut_segments(fr, step=0.2, video_fps=30.0, end_time=10.0, gap_tolerance=0.5)
    assert [(s.start, s.end) for s in segs] == [(0.0, pytest.approx(0.2)), (pytest.approx(1.2), pytest.approx(1.4))]


def test_segments_never_overlap_the_next_speaker_nor_run_past_the_video():
    fr = [FrameResult(0, 0.0, [], "a", 1.0), FrameResult(3, 0.1, [], "b", 1.0)]  # frames closer than a step
    segs = cut_segments(fr, step=0.2, video_fps=30.0, end_time=10.0)
    assert segs[0].end == pytest.approx(0.1) and segs[0].last_frame == 3 < segs[1].first_frame == 4
    coarse = frames(["a"], fps=0.0001)  # one analysed frame meant to cover 10000 s
    [seg] = cut_segments(coarse, step=1e4, video_fps=30.0, end_time=1e4, num_frames=60)
    assert seg.end == pytest.approx(2.0) and seg.last_frame == 60


def test_video_end_time_is_bounded_by_the_frame_count():
    fr = frames(["a", "a"], fps=5.0, t0=0.852)
    assert video_end_time(fr, 30.0, 100.0, num_frames=90) == pytest.approx(0.852 + 0.2 + (90 - 6) / 30.0)
    assert video_end_time(fr, 30.0, 100.0, num_frames=None) == 100.0
    assert video_end_time([], 30.0, 5.0, num_frames=90) == 5.0


def test_screen_time_counts_each_identity_once_per_frame_and_sorts():
    fr = frames(["a", "a", None, "b"])
    fr[0].faces.append(face("a", track=1))  # two faces of "a" on one frame: counted once
    fr[3].faces.append(face(UNKNOWN))
    assert screen_time(fr, step=0.2) == {"a": pytest.approx(0.4), "b": pytest.approx(0.2), UNKNOWN: pytest.approx(0.2)}
    assert next(iter(screen_time(fr, step=0.2))) == "a"  # longest first
    clipped = screen_time(fr, step=0.2, end_time=0.7)  # the video ends 0.1 s into the last frame
    assert clipped["b"] == pytest.approx(0.1) and clipped["a"] == pytest.approx(0.4)
