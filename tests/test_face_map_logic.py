"""Fast tests of the faces map's layout and colours on small arrays."""

from __future__ import annotations

import numpy as np

from speakerid.fiftyone_plugin.faces_map import UNKNOWN_COLOR, group_colors
from speakerid.review.face_map import disc, track_layout


def test_tracks_of_one_person_land_together():
    rng = np.random.default_rng(0)
    people = rng.normal(size=(3, 64))
    truth = np.repeat(np.arange(3), 6)
    emb = people[truth] + 0.2 * rng.normal(size=(len(truth), 64))
    points = track_layout(emb)
    assert points.shape == (18, 2) and np.abs(points).max() <= 1.0 + 1e-9
    dist = np.linalg.norm(points[:, None] - points[None], axis=2)
    same = truth[:, None] == truth[None]
    assert dist[same].mean() < 0.5 * dist[~same].mean()
    assert np.array_equal(points, track_layout(emb))  # deterministic
    assert track_layout(emb[:2]).shape == (2, 2) and track_layout(emb[:1]).shape == (1, 2)


def test_a_tracks_faces_fill_a_disc_without_stacking():
    offsets = disc(40, 0.01)
    assert len(np.unique(offsets.round(6), axis=0)) == 40  # no two faces on one spot (no rings of duplicates)
    assert np.linalg.norm(offsets, axis=1).max() <= 0.01 * np.sqrt(40) + 1e-9


def test_each_person_gets_a_distinct_colour_unknown_grey():
    groups = ["a"] * 5 + ["b"] * 3 + ["unknown"] * 9 + [f"p{i}" for i in range(30)]
    colors = group_colors(groups)
    assert colors["unknown"] == UNKNOWN_COLOR and list(colors)[:2] == ["a", "b"]  # biggest first
    named = [c for g, c in colors.items() if g != "unknown"]
    assert len(set(named[:20])) == 20 and UNKNOWN_COLOR not in named
