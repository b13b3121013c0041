"""Link faces across sampled frames into tracks (box overlap + embedding similarity).

Association is a Hungarian assignment on ``IOU_WEIGHT * IoU + (1 - IOU_WEIGHT) * cosine``;
a pair may link only if the embeddings agree (cosine >= ``min_cosine``) and the boxes overlap or
are close. The embedding test keeps a cut between two people at the same screen position from
being read as one track. A track ends after ``max_gap`` seconds without a face.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

IOU_WEIGHT = 0.5


@dataclass
class _Track:
    tid: int
    box: np.ndarray
    emb: np.ndarray
    last_time: float


@dataclass
class TrackLinker:
    """Online tracker: feed one frame's boxes + embeddings at a time, get track ids back."""

    max_gap: float = 1.0
    min_cosine: float = 0.35
    min_iou: float = 0.05
    max_centre_shift: float = 1.0  # in units of the track's box size
    _active: list[_Track] = field(default_factory=list)
    _next: int = 0

    def update(self, time: float, boxes: np.ndarray, embs: np.ndarray) -> list[int]:
        """Track id for each face of this frame (new ids for unmatched faces)."""
        self._active = [t for t in self._active if time - t.last_time <= self.max_gap]
        ids = [-1] * len(boxes)
        if len(boxes) and self._active:
            score = np.full((len(boxes), len(self._active)), -np.inf)
            for j, t in enumerate(self._active):
                iou = box_iou(boxes, t.box[None])[:, 0]
                cos = embs @ t.emb
                near = _centre_shift(boxes, t.box) <= self.max_centre_shift
                ok = (cos >= self.min_cosine) & ((iou >= self.min_iou) | near)
                score[:, j] = np.where(ok, IOU_WEIGHT * iou + (1 - IOU_WEIGHT) * cos, -np.inf)
            rows, cols = linear_sum_assignment(np.where(np.isfinite(score), -score, 1e6))
            for r, c in zip(rows, cols):
                if np.isfinite(score[r, c]):
                    t = self._active[c]
                    ids[r] = t.tid
                    t.box, t.last_time = boxes[r], time
                    t.emb = _unit(0.7 * t.emb + 0.3 * embs[r])
        for i in range(len(boxes)):
            if ids[i] < 0:
                ids[i] = self._next
                self._active.append(_Track(self._next, boxes[i], _unit(embs[i]), time))
                self._next += 1
        return ids


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-9)


def _centre_shift(boxes: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Distance between box centres in units of the reference box's diagonal."""
    c = (boxes[:, :2] + boxes[:, 2:]) / 2
    rc = (ref[:2] + ref[2:]) / 2
    diag = float(np.hypot(ref[2] - ref[0], ref[3] - ref[1])) or 1.0
    return np.linalg.norm(c - rc, axis=1) / diag


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise IoU of x1,y1,x2,y2 boxes: (len(a), len(b))."""
    a = np.asarray(a, np.float64)[:, None]
    b = np.asarray(b, np.float64)[None]
    iw = np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
    ih = np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None)
    inter = iw * ih
    area = lambda x: (x[..., 2] - x[..., 0]) * (x[..., 3] - x[..., 1])  # noqa: E731
    return inter / np.maximum(area(a) + area(b) - inter, 1e-9)
