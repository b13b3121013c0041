"""A person's decisions about stranger clusters: split, merge, reject, undo.

Clustering (``review.clusters``) proposes; the user decides. Each decision is stored on the
dataset (``dataset.info``) by *track* (video sample id and track id), never by cluster number,
so it still means the same thing after the unknowns are clustered again: a split keeps the
chosen tracks apart from the rest of their old cluster, a merge keeps the tracks of two clusters
together, a reject takes tracks out of the clusters (they stay ``unknown`` and are not offered
for naming). The clustering's own answer is kept beside the decisions, so any decision can be
undone by replaying the others on it.

Naming checks that a cluster holds one person: a track whose mean similarity to the cluster's
other tracks is below the clustering cut-off is refused (``far_tracks``): split or reject it first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from speakerid.errors import SpeakeridError
from speakerid.identity.calibrate import MIN_THRESHOLD
from speakerid.results import UNKNOWN
from speakerid.review.clusters import INFO_KEY, MAX_SIMILARITY, Cluster, _store, cluster_unknowns, read_clusters
from speakerid.review.tracks import Track, read_tracks

DECISIONS_KEY = "speakerid_cluster_decisions"  # dataset.info: {"auto": {...}, "decisions": [...]}
ACTIONS = ("split", "merge", "reject")


@dataclass
class Decision:
    """One review action: ``tracks`` (keys ``"<sample id>:<track id>"``) and, for a split, the
    ``rest`` of the cluster they were split from."""

    action: str
    tracks: list[str]
    rest: list[str] | None = None

    def to_json(self) -> dict:
        return {"action": self.action, "tracks": self.tracks, **({"rest": self.rest} if self.rest else {})}

    @classmethod
    def from_json(cls, doc: dict) -> Decision:
        return cls(doc["action"], list(doc["tracks"]), list(doc["rest"]) if doc.get("rest") else None)

    def describe(self) -> str:
        n = len(self.tracks)
        return {"split": f"split {n} track(s) off", "merge": f"merge of {n} tracks", "reject": f"reject {n} track(s)"}[
            self.action
        ]


def track_key(track: Track) -> str:
    return f"{track.sample_id}:{track.index}"


def apply_decisions(auto: dict[str, int], decisions: list[Decision]) -> dict[str, int]:
    """Track key -> group after replaying ``decisions`` in order on the clustering's ``auto``
    answer. Group numbers are arbitrary (``renumber`` orders them); tracks absent from ``auto``
    (named since, or gone) are ignored; rejected tracks are left out."""
    groups = dict(auto)
    fresh = max(groups.values(), default=0) + 1
    for d in decisions:
        mine = [k for k in d.tracks if k in groups]
        if d.action == "reject":
            for k in mine:
                del groups[k]
        elif d.action == "merge":
            joined = {groups[k] for k in mine}
            if len(joined) > 1:
                target = min(joined)
                groups = {k: target if g in joined else g for k, g in groups.items()}
        elif d.action == "split":
            rest = {groups[k] for k in d.rest or [] if k in groups}
            for group in sorted({groups[k] for k in mine} & rest):
                for k in mine:
                    if groups[k] == group:
                        groups[k] = fresh
                fresh += 1
        else:
            raise SpeakeridError(f"unknown cluster decision {d.action!r}")
    return groups


def far_tracks(embeddings: np.ndarray, min_similarity: float) -> list[tuple[int, float]]:
    """(row, mean cosine similarity to the other rows) of the rows below ``min_similarity``:
    the tracks that do not look like the rest of their cluster (none for a single track)."""
    emb = np.asarray(embeddings, np.float64)
    if len(emb) < 2:
        return []
    unit = emb / np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)
    sim = unit @ unit.T
    mean = (sim.sum(axis=1) - np.diag(sim)) / (len(emb) - 1)
    return [(i, float(s)) for i, s in enumerate(mean) if s < min_similarity]


def naming_similarity(dataset: Any) -> float:
    """The cut-off the stored clusters were made with, kept within the clustering's useful range
    (a cluster made with a loose cut-off on purpose is still checked before it gets a name)."""
    made = (dataset.info or {}).get(INFO_KEY) or {}
    return float(np.clip(float(made.get("min_similarity", MIN_THRESHOLD)), MIN_THRESHOLD, MAX_SIMILARITY))


def check_cluster_is_one_person(dataset: Any, tracks: list[Track], embeddings: np.ndarray) -> None:
    """Refuse (one-line error) to name a cluster holding a track far from the others, unless the
    user merged that track in (a merge is their word that it is the same person)."""
    vouched = {k for d in decisions(dataset) if d.action == "merge" for k in d.tracks}
    far = [(i, s) for i, s in far_tracks(embeddings, naming_similarity(dataset)) if track_key(tracks[i]) not in vouched]
    if far:
        shown = ", ".join(
            f"{tracks[i].filepath.rsplit('/', 1)[-1]} track {tracks[i].index} ({s:.2f})" for i, s in far[:4]
        )
        raise SpeakeridError(
            f"{len(far)} track(s) look like someone else (mean similarity to the cluster below "
            f"{naming_similarity(dataset):.2f}): {shown}; split or reject them before naming"
        )


# --- on a dataset ---------------------------------------------------------------------------
def recluster(dataset: Any, min_similarity: float) -> list[Cluster]:
    """Cluster the unknown tracks again (``review.clusters``), then replay the user's decisions;
    returns the clusters, most seen first."""
    clusters = cluster_unknowns(dataset, min_similarity)
    auto = {track_key(t): c.id for c in clusters for t in c.tracks}
    _save(dataset, auto, decisions(dataset))
    return _apply(dataset)


def decisions(dataset: Any) -> list[Decision]:
    """The stored decisions, oldest first."""
    doc = (dataset.info or {}).get(DECISIONS_KEY) or {}
    return [Decision.from_json(d) for d in doc.get("decisions", [])]


def split_cluster(dataset: Any, cluster: int, keys: list[str]) -> list[Cluster]:
    """Split the tracks ``keys`` off ``cluster`` into a cluster of their own."""
    members = _members(dataset, cluster)
    chosen = [k for k in keys if k in members]
    if not chosen:
        raise SpeakeridError(f"cluster {cluster}: none of the selected tracks is in it; select some of its tracks")
    rest = [k for k in members if k not in chosen]
    if not rest:
        raise SpeakeridError(f"cluster {cluster}: that is every track of it; select only those to split off")
    return _decide(dataset, Decision("split", chosen, rest))


def merge_clusters(dataset: Any, cluster: int, other: int) -> list[Cluster]:
    """One person: the tracks of ``cluster`` and ``other`` become one cluster."""
    if cluster == other:
        raise SpeakeridError(f"cluster {cluster}: choose another cluster to merge it with")
    return _decide(dataset, Decision("merge", _members(dataset, cluster) + _members(dataset, other)))


def reject_tracks(dataset: Any, cluster: int, keys: list[str] | None = None) -> list[Cluster]:
    """Not a recurring stranger to name: the tracks ``keys`` of ``cluster`` (all if None) leave
    the clusters and stay ``unknown``."""
    members = _members(dataset, cluster)
    chosen = members if not keys else [k for k in keys if k in members]
    if not chosen:
        raise SpeakeridError(f"cluster {cluster}: none of the selected tracks is in it")
    return _decide(dataset, Decision("reject", chosen))


def undo_last(dataset: Any) -> tuple[Decision, list[Cluster]]:
    """Take back the latest decision; returns it and the clusters without it."""
    done = decisions(dataset)
    if not done:
        raise SpeakeridError("nothing to undo: no split, merge or reject on this dataset")
    _save(dataset, _auto(dataset), done[:-1])
    return done[-1], _apply(dataset)


def _members(dataset: Any, cluster: int) -> list[str]:
    for c in read_clusters(dataset):
        if c.id == int(cluster):
            return [track_key(t) for t in c.tracks]
    raise SpeakeridError(f"cluster {cluster} does not exist (clustered again, or named, since?)")


def _decide(dataset: Any, decision: Decision) -> list[Cluster]:
    _save(dataset, _auto(dataset), [*decisions(dataset), decision])
    return _apply(dataset)


def _auto(dataset: Any) -> dict[str, int]:
    """The clustering's own answer; clusters stored before any decision count as it."""
    doc = (dataset.info or {}).get(DECISIONS_KEY)
    if doc and "auto" in doc:
        return {k: int(v) for k, v in doc["auto"].items()}
    return {track_key(t): c.id for c in read_clusters(dataset) for t in c.tracks}


def _save(dataset: Any, auto: dict[str, int], done: list[Decision]) -> None:
    dataset.info[DECISIONS_KEY] = {"auto": auto, "decisions": [d.to_json() for d in done]}
    dataset.save()


def _apply(dataset: Any) -> list[Cluster]:
    """Store the clusters the decisions give (numbered by screen time) on the labels."""
    groups = apply_decisions(_auto(dataset), decisions(dataset))
    tracks = [t for t in read_tracks(dataset, label=UNKNOWN, need_embeddings=False).tracks if track_key(t) in groups]
    by_group: dict[int, list[Track]] = {}
    for t in tracks:
        by_group.setdefault(groups[track_key(t)], []).append(t)
    clusters = sorted((Cluster(g, ts) for g, ts in by_group.items()), key=lambda c: (-c.screen_time, c.id))
    for number, c in enumerate(clusters, 1):
        c.id = number
        for t in c.tracks:
            t.cluster = number
    _store(dataset, tracks)
    return clusters
