"""Who each face track is: its best few faces, embedded once, averaged by quality, matched once.

Embedding every face of every frame is the pipeline's largest cost and adds little: a track's
faces are one person, and its sharp, frontal, large faces say more than blurred or turned ones
(reference 003: average predictions over a video's frames). So while the video plays each
track keeps only its ``max_faces`` best aligned crops; when it ends they are embedded in one
batch, their unit embeddings averaged with quality weights, and the mean matched against the
gallery (or a trained classifier) once. (Averaging each crop with its mirror image, as enrolment
does for its few photos, was measured and dropped here: on the shared clips it moved no decision,
Lin-Manuel's ~40 px track 0.63 with mirrors, 0.60 without, Obama's 0.61 either way, for twice the embedding time,
the largest cost on crowded footage.)
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from speakerid.results import TrackResult

if TYPE_CHECKING:
    from speakerid.faces.embedders.base import Embedder
    from speakerid.faces.face import Face
    from speakerid.identity.classify import Matcher
    from speakerid.identity.gallery import Gallery


@dataclass(order=True)
class _Candidate:
    quality: float
    order: int  # tie-breaker: earlier faces win ties
    crop: np.ndarray = field(compare=False)
    frame: int = field(compare=False)
    box: tuple[float, float, float, float] = field(compare=False)


@dataclass
class TrackEvidence:
    """What is kept of one live track: its span and its best faces (a bounded heap)."""

    id: int
    max_faces: int
    start: float = float("inf")
    end: float = float("-inf")
    first_frame: int = -1
    last_frame: int = -1
    num_faces: int = 0
    best: list[_Candidate] = field(default_factory=list)

    def seen(self, index: int, time: float) -> None:
        """The track appears on analysed frame ``index`` at ``time`` (detected or followed)."""
        if self.num_faces == 0:
            self.start, self.first_frame = time, index
        self.end, self.last_frame = time, index
        self.num_faces += 1

    def offer(self, quality: float, frame: np.ndarray, face: Face, index: int, embedder: Embedder) -> None:
        """A detected face of this track; its crop is cut only if it ranks among the best."""
        if len(self.best) >= self.max_faces and quality <= self.best[0].quality:
            return
        h, w = frame.shape[:2]
        x1, y1, x2, y2 = (float(v) for v in face.box)
        box = (max(x1, 0) / w, max(y1, 0) / h, (min(x2, w) - max(x1, 0)) / w, (min(y2, h) - max(y1, 0)) / h)
        item = _Candidate(quality, -index, embedder.crop(frame, face), index, box)
        if len(self.best) < self.max_faces:
            heapq.heappush(self.best, item)
        else:
            heapq.heapreplace(self.best, item)


def identify(
    tracks: list[TrackEvidence], embedder: Embedder, gallery: Gallery, settings: Any, trained: Matcher | None = None
) -> list[TrackResult]:
    """One TrackResult per track: embeddings of its best faces in one batch, then one decision.

    ``trained`` (a :class:`~speakerid.identity.classify.Matcher`) replaces the gallery's
    matcher: its class probabilities, averaged with the same quality weights, play the
    similarities' role and its own threshold decides ``unknown``.
    """
    tracks = [t for t in tracks if t.best]
    if not tracks:
        return []
    crops = np.stack([c.crop for t in tracks for c in t.best])
    embeddings = embedder.embed(crops)
    embeddings /= np.maximum(np.linalg.norm(embeddings, axis=1, keepdims=True), 1e-12)
    means, weights, k = [], [], 0
    for t in tracks:
        n = len(t.best)
        w = np.array([max(c.quality, 1e-3) for c in t.best])
        weights.append(w / w.sum())
        means.append(_unit(weights[-1] @ embeddings[k : k + n]))
        k += n
    means = np.stack(means)
    if trained is not None:
        matches = _trained_matches(trained, embeddings, crops, tracks, weights)
    else:
        matches = gallery.classify(means, settings.classifier, settings.threshold)
    out = []
    for t, m, mean in zip(tracks, matches, means):
        top = max(t.best, key=lambda c: c.quality)
        out.append(
            TrackResult(
                id=t.id,
                identity=m.identity,
                best=m.best,
                confidence=float(m.confidence),
                similarity=float(m.similarity),
                start=t.start,
                end=t.end,
                first_frame=t.first_frame,
                last_frame=t.last_frame,
                num_faces=t.num_faces,
                embedded=len(t.best),
                embedding=mean.astype(np.float32),
                best_frame=top.frame,
                best_box=top.box,
            )
        )
    return out


def _trained_matches(
    trained: Matcher, embeddings: np.ndarray, crops: np.ndarray, tracks: list[TrackEvidence], weights: list[np.ndarray]
) -> list[Any]:
    """A trained classifier's per-face probabilities averaged per track, then thresholded."""
    per_face = trained.classify(embeddings, crops)
    out, k = [], 0
    for t, w in zip(tracks, weights):
        out.append(trained.match(w @ np.stack([m.scores for m in per_face[k : k + len(t.best)]])))
        k += len(t.best)
    return out


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-12)
