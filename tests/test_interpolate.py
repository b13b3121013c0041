"""Boxes between analysed frames (speakerid.labels.interpolate): pure logic on small inputs."""

from __future__ import annotations

import pytest

from speakerid.labels.interpolate import Sighting, analysed_step, between_frames


def test_a_track_seen_on_two_analysed_frames_gets_a_box_on_every_frame_between():
    frames = {1: [Sighting(7, (0.0, 0.0, 0.2, 0.2), {"label": "lin"})], 7: [Sighting(7, (0.6, 0.3, 0.2, 0.2))]}
    filled = dict(between_frames(frames, max_gap=7))
    assert sorted(filled) == [2, 3, 4, 5, 6]
    (mid,) = filled[4]
    assert mid.track == 7 and mid.source == {"label": "lin"}  # the earlier sighting's label
    assert mid.box == pytest.approx((0.3, 0.15, 0.2, 0.2))


def test_tracks_are_paired_by_id_and_a_lost_track_is_not_drawn():
    frames = {
        10: [Sighting(1, (0.1, 0.1, 0.1, 0.1)), Sighting(2, (0.5, 0.5, 0.1, 0.1))],
        16: [Sighting(2, (0.5, 0.8, 0.1, 0.1)), Sighting(3, (0.9, 0.9, 0.1, 0.1))],
    }
    filled = dict(between_frames(frames, max_gap=7))
    assert {s.track for n in filled for s in filled[n]} == {2}  # 1 ended, 3 started
    assert filled[13][0].box == pytest.approx((0.5, 0.65, 0.1, 0.1))


def test_no_bridge_across_a_missed_analysed_frame_or_between_neighbours():
    frames = {
        1: [Sighting(1, (0, 0, 0.1, 0.1))],
        13: [Sighting(1, (0, 0, 0.1, 0.1))],
        14: [Sighting(1, (0, 0, 0.1, 0.1))],
    }
    assert list(between_frames(frames, max_gap=7)) == []


def test_the_gap_allowed_is_one_analysis_step_plus_jitter():
    assert analysed_step(29.97, 5.0) == 7  # frames 6 or 7 apart (PTS rounding) are consecutive
    assert analysed_step(25.0, 25.0) == 2
    assert analysed_step(25.0, 60.0) == 2  # never finer than the video itself
    with pytest.raises(ValueError):
        analysed_step(0.0, 5.0)
