"""Progress within and across videos (speakerid.batch.video_progress): pure logic."""

from __future__ import annotations

import pytest

from speakerid.batch.video_progress import VideoProgress, expected_frames


def test_each_video_fills_its_share_as_its_frames_are_analysed():
    p = VideoProgress([("/v/a.mp4", 50), ("/v/b.mp4", 100)])
    assert p.fraction == 0.0
    p.add(25)
    assert p.fraction == pytest.approx(0.25)  # half of the first video's half
    assert p.label == "video 1/2 a.mp4: 25/50 frames analysed"
    p.add(40)  # more frames than expected (rounding): stays inside the video's share
    assert p.fraction < 0.5
    p.start(1)
    p.add(50)
    assert p.fraction == pytest.approx(0.75)
    p.start(2)
    assert p.fraction == 1.0 and p.label == "2 video(s) done"


def test_unknown_length_moves_per_video_and_counts_frames():
    p = VideoProgress([("/v/a.mp4", None), ("/v/b.mp4", None)])
    p.add(7)
    assert p.fraction == 0.0 and p.label.endswith(": 7 frames analysed")
    p.start(1)
    assert p.fraction == 0.5


def test_expected_frames():
    assert expected_frames(9.2, 29.97, 5.0) == 46
    assert expected_frames(2.0, 25.0, None) == 50  # every frame
    assert expected_frames(2.0, 25.0, 60.0) == 50  # never more than the video has
    assert expected_frames(None, 25.0, 5.0) is None
