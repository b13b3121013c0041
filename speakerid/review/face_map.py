"""A 2-D map of every face, coloured by person or by stranger cluster.

Every face of a track carries the track's embedding, so a map of faces computed from those
embeddings stacks each track's faces on one spot (t-SNE even spreads identical points into
rings). The map is therefore laid out per *track* (t-SNE, PCA for a handful) and each track's
faces are drawn as a small sunflower disc around its spot (area ~ its number of faces), so a
person's tracks stay together and each face is still a point to click.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from speakerid.labels.fiftyone_writer import FACES
from speakerid.results import UNKNOWN
from speakerid.review.tracks import read_tracks

COLOR_BY = ("person", "cluster")
GOLDEN_ANGLE = np.pi * (3 - np.sqrt(5))
DISC = 0.012  # radius of a one-face disc, as a share of the map's extent


@dataclass
class FaceMap:
    """One row per face: its 2-D point, ``frames.faces`` label id, video id, track and groups."""

    points: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    label_ids: list[str] = field(default_factory=list)
    sample_ids: list[str] = field(default_factory=list)
    tracks: list[int] = field(default_factory=list)
    person: list[str] = field(default_factory=list)
    cluster: list[str] = field(default_factory=list)

    def groups(self, color_by: str) -> list[str]:
        return self.cluster if color_by == "cluster" else self.person


def track_layout(embeddings: np.ndarray, seed: int = 0) -> np.ndarray:
    """(T, 2) points of T track embeddings, scaled to [-1, 1]: cosine t-SNE, PCA below 10 tracks."""
    emb = np.asarray(embeddings, np.float64)
    if len(emb) < 3:
        return np.column_stack(
            [np.linspace(-1, 1, len(emb)) if len(emb) > 1 else np.zeros(len(emb)), np.zeros(len(emb))]
        )
    unit = emb / np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)
    if len(emb) < 10:
        from sklearn.decomposition import PCA

        points = PCA(n_components=2, random_state=seed).fit_transform(unit)
    else:
        from sklearn.manifold import TSNE

        perplexity = float(min(30.0, (len(emb) - 1) / 3))
        points = TSNE(2, perplexity=perplexity, metric="cosine", init="pca", random_state=seed).fit_transform(unit)
    points = points - points.mean(axis=0)
    return points / max(float(np.abs(points).max()), 1e-12)


def disc(n: int, radius: float) -> np.ndarray:
    """(n, 2) offsets filling a disc evenly (sunflower pattern): a track's faces."""
    i = np.arange(n) + 0.5
    r = radius * np.sqrt(i / n) * np.sqrt(n)
    return np.column_stack([r * np.cos(i * GOLDEN_ANGLE), r * np.sin(i * GOLDEN_ANGLE)])


def face_map(collection: Any) -> FaceMap:
    """The map of every face box of ``collection`` whose track has an embedding."""
    found = read_tracks(collection)
    row = {(t.sample_id, t.index): i for i, t in enumerate(found.tracks)}
    centres = track_layout(found.embeddings) if found.tracks else np.zeros((0, 2))
    out = FaceMap()
    faces: dict[int, list[int]] = {}
    paths = ["id"] + [f"frames.{FACES}.detections.{key}" for key in ("id", "index", "label")]
    for sample_id, fids, fts, labels in zip(*collection.values(paths)):
        for frame_ids, frame_tracks, frame_labels in zip(fids or [], fts or [], labels or []):
            for fid, track, label in zip(frame_ids or [], frame_tracks or [], frame_labels or []):
                i = row.get((sample_id, track))
                if i is None:
                    continue
                t = found.tracks[i]
                faces.setdefault(i, []).append(len(out.label_ids))
                out.label_ids.append(fid)
                out.sample_ids.append(sample_id)
                out.tracks.append(int(track))
                out.person.append(label)
                group = f"cluster {t.cluster}" if label == UNKNOWN and t.cluster is not None else label
                out.cluster.append(group)
    points = np.zeros((len(out.label_ids), 2))
    for i, members in faces.items():
        points[members] = centres[i] + disc(len(members), DISC)
    out.points = points
    return out
