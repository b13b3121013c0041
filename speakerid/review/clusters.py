"""Who are the unknowns? ``unknown`` face tracks of a whole dataset grouped by person.

A stranger who recurs (in several shots or videos) leaves several tracks whose mean embeddings
are close; agglomerative clustering joins them, with *complete* linkage: every two tracks of a
cluster must reach the cut-off, not only their average, so one chance resemblance cannot chain
two people together. The guard in one line: *two tracks share a cluster only if every pair of
tracks in it reaches the gallery's same-person similarity within a video, and a stricter one
(halfway from it to identical) across videos, and no two of them are on screen at once.*
Measured on the public clips (``benchmarks/accuracy.py``): small, blurred, one-frame faces are
close to each other whoever they are (a blurred audience member and a pedestrian of another
video at 0.84 cosine), and S-normalising against the LFW cohort does not help (those faces are
far from every sharp cohort face), so evidence across videos must be stronger. Average linkage
at one cut-off put 7 of 43 clusters across two unrelated clips; complete linkage with the
stricter cross-video cut-off put none. Clusters are numbered by screen time (1 = most seen) and
stored as a ``cluster`` attribute on the tracks and their face boxes, so the App can filter,
show and name them; nothing else is written, so re-clustering (or a user's split) undoes a merge.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from speakerid.identity.calibrate import MIN_THRESHOLD
from speakerid.identity.gallery import Gallery
from speakerid.labels.fiftyone_writer import FACES, TRACKS
from speakerid.results import UNKNOWN
from speakerid.review.tracks import Track, read_tracks

CLUSTER = "cluster"  # attribute on face_tracks detections and frames.faces boxes
# Tracks of one person in video (pose, light, blur) measured 0.5-0.98 apart on the sample clip:
# a cut-off above this would split people into their shots.
MAX_SIMILARITY = 0.7
APART = 1e6  # distance of two tracks seen together: above any cut-off
INFO_KEY = "speakerid_clusters"  # dataset.info: how the stored clusters were made


@dataclass
class Cluster:
    """Unknown tracks judged to be one person."""

    id: int
    tracks: list[Track]

    @property
    def screen_time(self) -> float:
        return sum(t.screen_time for t in self.tracks)

    @property
    def videos(self) -> int:
        return len({t.sample_id for t in self.tracks})

    @property
    def representative(self) -> Track:
        """The track seen longest: its best face stands for the cluster."""
        return max(self.tracks, key=lambda t: (t.faces, t.confidence))


def cluster_similarity(gallery: Gallery | None) -> float:
    """Cosine similarity from which two tracks are one person: the gallery's fixed threshold if it
    has one, else its own calibrated one (a cosine similarity even when a cohort decides) kept
    within [floor, ``MAX_SIMILARITY``] (a gallery of look-alikes calibrates very high, which
    would leave every track alone), else the calibration floor."""
    if gallery is None or not gallery.names:
        return MIN_THRESHOLD
    if gallery.threshold_override is not None:
        return float(gallery.threshold_override)
    if gallery.calibration is None:
        gallery.recalibrate()
    return float(np.clip(gallery.calibration.threshold, MIN_THRESHOLD, MAX_SIMILARITY))


def cross_video_similarity(min_similarity: float) -> float:
    """The stricter cut-off for tracks of two different videos: halfway from ``min_similarity``
    to identical (0.57 -> 0.79 with the benchmark's gallery)."""
    return float(min_similarity + (1.0 - min_similarity) / 2)


def cluster_embeddings(
    embeddings: np.ndarray,
    min_similarity: float,
    apart: np.ndarray | None = None,
    videos: np.ndarray | None = None,
    across_videos: float | None = None,
) -> np.ndarray:
    """Cluster number (0..K-1) per row: complete-linkage agglomerative clustering, so every two
    rows of a cluster reach ``min_similarity`` (cosine); rows of different ``videos`` must reach
    ``across_videos`` (default :func:`cross_video_similarity`); rows ``i, j`` with ``apart[i, j]``
    never share a cluster."""
    from sklearn.cluster import AgglomerativeClustering

    emb = np.asarray(embeddings, np.float64)
    if len(emb) < 2:
        return np.zeros(len(emb), np.int64)
    unit = emb / np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)
    distance = np.clip(1.0 - unit @ unit.T, 0.0, 2.0)
    if videos is not None:
        stricter = cross_video_similarity(min_similarity) if across_videos is None else across_videos
        videos = np.asarray(videos)
        distance = np.where(videos[:, None] != videos[None], distance + (stricter - min_similarity), distance)
    if apart is not None:
        distance[np.asarray(apart, bool)] = APART
    np.fill_diagonal(distance, 0.0)
    model = AgglomerativeClustering(
        n_clusters=None,
        metric="precomputed",
        linkage="complete",
        distance_threshold=max(1.0 - float(min_similarity), 0.0),
    )
    return model.fit_predict(distance).astype(np.int64)


def seen_together(tracks: list[Track]) -> np.ndarray:
    """(N, N) bool: tracks of one video whose spans overlap (two faces on screen at once)."""
    sample = np.array([t.sample_id for t in tracks])
    first = np.array([t.support[0] for t in tracks])
    last = np.array([t.support[1] for t in tracks])
    overlap = np.maximum(first[:, None], first[None]) <= np.minimum(last[:, None], last[None])
    together = (sample[:, None] == sample[None]) & overlap
    np.fill_diagonal(together, False)
    return together


def cluster_unknowns(dataset: Any, min_similarity: float, across_videos: float | None = None) -> list[Cluster]:
    """Cluster every ``unknown`` track of ``dataset`` and store the clusters on its labels
    (replacing earlier ones); returns them, most seen first. Tracks of two videos join only at
    ``across_videos`` (default :func:`cross_video_similarity`)."""
    found = read_tracks(dataset, label=UNKNOWN)
    videos = np.array([t.sample_id for t in found.tracks])
    across = cross_video_similarity(min_similarity) if across_videos is None else float(across_videos)
    groups = cluster_embeddings(found.embeddings, min_similarity, seen_together(found.tracks), videos, across)
    clusters = [Cluster(0, [t for t, g in zip(found.tracks, groups) if g == k]) for k in np.unique(groups)]
    clusters.sort(key=lambda c: (-c.screen_time, -len(c.tracks)))
    for number, c in enumerate(clusters, 1):
        c.id = number
        for t in c.tracks:
            t.cluster = number
    _store(dataset, [t for c in clusters for t in c.tracks])
    dataset.info[INFO_KEY] = {
        "min_similarity": round(float(min_similarity), 4),
        "across_videos": round(across, 4),
        "linkage": "complete",
        "clusters": len(clusters),
        "tracks": len(found.tracks),
        "without_embedding": found.missing,
    }
    dataset.save()
    return clusters


def read_clusters(collection: Any) -> list[Cluster]:
    """The stored clusters of the ``unknown`` tracks in ``collection``, most seen first."""
    by_id: dict[int, list[Track]] = {}
    for t in read_tracks(collection, label=UNKNOWN, need_embeddings=False).tracks:
        if t.cluster is not None:
            by_id.setdefault(t.cluster, []).append(t)
    clusters = [Cluster(k, ts) for k, ts in by_id.items()]
    return sorted(clusters, key=lambda c: (-c.screen_time, c.id))


def face_ids(collection: Any, keys: set[tuple[str, int]]) -> dict[str, tuple[str, int]]:
    """``frames.faces`` label id -> (sample id, track) for the boxes of the tracks ``keys``."""
    samples = {s for s, _ in keys}
    out = {}
    ids, label_ids, tracks = collection.values(
        ["id", f"frames.{FACES}.detections.id", f"frames.{FACES}.detections.index"]
    )
    for sample_id, frames_ids, frames_tracks in zip(ids, label_ids, tracks):
        if sample_id not in samples:
            continue
        for fids, fts in zip(frames_ids or [], frames_tracks or []):
            for fid, track in zip(fids or [], fts or []):
                if (sample_id, track) in keys:
                    out[fid] = (sample_id, track)
    return out


def _store(dataset: Any, tracks: list[Track]) -> None:
    """``cluster`` on every track and face box: its number for clustered tracks, None elsewhere."""
    number = {(t.sample_id, t.index): t.cluster for t in tracks}
    all_tracks = read_tracks(dataset, need_embeddings=False).tracks
    dataset.set_label_values(
        f"{TRACKS}.detections.{CLUSTER}", {t.label_id: number.get((t.sample_id, t.index)) for t in all_tracks}
    )
    faces = face_ids(dataset, {(t.sample_id, t.index) for t in all_tracks})
    dataset.set_label_values(
        f"frames.{FACES}.detections.{CLUSTER}", {fid: number.get(key) for fid, key in faces.items()}
    )
