"""Fast tests of stranger review decisions (split, merge, reject, undo by replay) and of the
"one person" check before naming, on small assignments and arrays."""

from __future__ import annotations

import numpy as np

from speakerid.review.cluster_actions import Decision, apply_decisions, far_tracks

AUTO = {"v:1": 1, "v:2": 1, "v:3": 1, "w:1": 2, "w:2": 2, "w:3": 3}


def _partition(groups: dict[str, int]) -> set[frozenset[str]]:
    out: dict[int, set[str]] = {}
    for k, g in groups.items():
        out.setdefault(g, set()).add(k)
    return {frozenset(v) for v in out.values()}


def test_no_decision_keeps_the_clustering():
    assert apply_decisions(AUTO, []) == AUTO


def test_split_moves_the_chosen_tracks_to_a_new_cluster():
    groups = apply_decisions(AUTO, [Decision("split", ["v:3"], ["v:1", "v:2"])])
    assert _partition(groups) == {
        frozenset({"v:1", "v:2"}),
        frozenset({"v:3"}),
        frozenset({"w:1", "w:2"}),
        frozenset({"w:3"}),
    }


def test_merge_joins_two_clusters_and_reject_drops_tracks():
    merged = apply_decisions(AUTO, [Decision("merge", ["w:1", "w:2", "w:3"])])
    assert frozenset({"w:1", "w:2", "w:3"}) in _partition(merged)
    rejected = apply_decisions(AUTO, [Decision("reject", ["w:1", "w:2"])])
    assert set(rejected) == {"v:1", "v:2", "v:3", "w:3"}


def test_decisions_survive_a_new_clustering():
    """Clustered again, the split-off track and the rest meet again: the split still holds; a
    track named since (absent) is ignored."""
    decisions = [Decision("split", ["v:3"], ["v:1", "v:2"]), Decision("reject", ["w:3"])]
    again = {"v:1": 7, "v:3": 7, "w:1": 8, "w:3": 8}  # v:2 named meanwhile; w:3 joined cluster 8
    groups = apply_decisions(again, decisions)
    assert _partition(groups) == {frozenset({"v:1"}), frozenset({"v:3"}), frozenset({"w:1"})}


def test_undo_is_replaying_without_the_last_decision():
    decisions = [Decision("merge", ["v:1", "w:3"]), Decision("split", ["w:3"], ["v:1", "v:2", "v:3"])]
    assert _partition(apply_decisions(AUTO, decisions[:1])) == {
        frozenset({"v:1", "v:2", "v:3", "w:3"}),
        frozenset({"w:1", "w:2"}),
    }
    assert _partition(apply_decisions(AUTO, decisions)) == _partition(AUTO)


def test_decisions_round_trip_as_json():
    d = Decision("split", ["a:1"], ["a:2"])
    assert Decision.from_json(d.to_json()) == d
    assert Decision.from_json(Decision("reject", ["a:1"]).to_json()).rest is None


def test_far_tracks_finds_the_odd_one_out():
    rng = np.random.default_rng(1)
    person = rng.normal(size=64)
    same = person + 0.3 * rng.normal(size=(4, 64))
    other = rng.normal(size=(1, 64))
    emb = np.vstack([same, other])
    far = far_tracks(emb, 0.4)
    assert [i for i, _ in far] == [4] and far[0][1] < 0.4
    assert far_tracks(same, 0.4) == [] and far_tracks(other, 0.99) == []  # one track: nothing to compare
