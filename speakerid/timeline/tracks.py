"""Face tracks: detections on keyframes linked by box overlap, boxes carried between keyframes by
optical flow.

Detection is the expensive step, so it runs on keyframes only (every k-th analysed frame, at shot
cuts, and right after the flow loses a face); in between, each visible face's box follows the
median Lucas-Kanade motion of a grid of points inside it, checked forwards and backwards. On a
keyframe, detections are matched to live tracks by a Hungarian assignment on box overlap (IoU,
or a centre within half a box when a fast move broke the overlap). A track that is not
re-detected is first looked for again around its last box (``look_again``: a detection on an
enlarged crop, ``speakerid.faces.local``); if that fails too it is hidden at once (its box is no
longer trusted) and ends ``max_gap`` seconds after its last detection; a shot cut ends every track.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
from scipy.optimize import linear_sum_assignment

from speakerid.faces.boxes import box_iou

GRID = 4  # points per side of the grid followed inside each box
LK_PARAMS = dict(winSize=(15, 15), maxLevel=3, criteria=(cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 20, 0.03))
MAX_FB_ERROR = 1.0  # pixels (flow resolution): forward-backward disagreement above this drops a point
MIN_POINTS = 5  # fewer surviving points than this and the face is lost until detected again


@dataclass
class _Track:
    id: int
    box: np.ndarray  # pixel x1,y1,x2,y2 in full-frame coordinates
    last_detected: float
    visible: bool = True


class FaceTracker:
    """Online tracker; call ``keyframe`` or ``follow`` once per analysed frame, in time order.

    ``grey`` frames are the analysed frames in grey at flow resolution, ``scale`` the factor from
    full-frame pixels to that resolution (the same for every call).
    """

    def __init__(self, max_gap: float = 1.0, min_iou: float = 0.2) -> None:
        self.max_gap = max_gap
        self.min_iou = min_iou
        self._tracks: dict[int, _Track] = {}
        self._next = 0
        self._prev: np.ndarray | None = None

    @property
    def visible(self) -> dict[int, np.ndarray]:
        """Boxes of the tracks visible on the current frame."""
        return {t.id: t.box for t in self._tracks.values() if t.visible}

    def keyframe(
        self,
        time: float,
        grey: np.ndarray,
        boxes: np.ndarray,
        look_again: Callable[[int, np.ndarray], np.ndarray | None] | None = None,
    ) -> tuple[list[int], list[int]]:
        """Link this frame's detected ``boxes`` (N,4) to tracks: (track id per box, ended ids).

        ``look_again(track id, last box)`` is asked about every live track no detection was
        linked to; a box it returns (the face found near the last one) keeps the track visible
        and detected, so it does not end."""
        self._prev = grey
        boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
        live = list(self._tracks.values())
        ids = [-1] * len(boxes)
        if len(boxes) and live:
            score = _link_score(boxes, np.stack([t.box for t in live]), self.min_iou)
            rows, cols = linear_sum_assignment(-score)
            for r, c in zip(rows, cols):
                if score[r, c] > 0:
                    ids[r] = live[c].id
        linked = set(ids)
        for track in live:
            found = None if look_again is None or track.id in linked else look_again(track.id, track.box)
            if found is None:
                track.visible = False
            else:
                track.box, track.visible, track.last_detected = np.asarray(found, np.float32), True, time
        for i, box in enumerate(boxes):
            if ids[i] < 0:
                ids[i] = self._next
                self._next += 1
            self._tracks[ids[i]] = _Track(ids[i], box, time)
        return ids, self._expire(time)

    def follow(self, time: float, grey: np.ndarray, scale: float) -> tuple[bool, list[int]]:
        """Move visible boxes by optical flow: (every visible face followed, ended ids)."""
        prev, self._prev = self._prev, grey
        visible = [t for t in self._tracks.values() if t.visible]
        ok = True
        if visible and prev is not None:
            points = np.concatenate([_grid(t.box * scale) for t in visible]).reshape(-1, 1, 2)
            moved, st, _ = cv2.calcOpticalFlowPyrLK(prev, grey, points, None, **LK_PARAMS)
            back, st_back, _ = cv2.calcOpticalFlowPyrLK(grey, prev, moved, None, **LK_PARAMS)
            good = (st[:, 0] == 1) & (st_back[:, 0] == 1) & (np.linalg.norm(back - points, axis=2)[:, 0] < MAX_FB_ERROR)
            n = GRID * GRID
            for k, track in enumerate(visible):
                sel = slice(k * n, (k + 1) * n)
                new = _moved_box(track.box * scale, points[sel, 0][good[sel]], moved[sel, 0][good[sel]])
                if new is None:
                    track.visible, ok = False, False
                else:
                    track.box = new / scale
        return ok, self._expire(time)

    def cut(self) -> list[int]:
        """A new shot: every track ends."""
        ended = list(self._tracks)
        self._tracks.clear()
        return ended

    def finish(self) -> list[int]:
        """End of the video: every remaining track ends."""
        return self.cut()

    def _expire(self, time: float) -> list[int]:
        ended = [t.id for t in self._tracks.values() if not t.visible and time - t.last_detected > self.max_gap]
        for tid in ended:
            del self._tracks[tid]
        return ended


def _link_score(boxes: np.ndarray, tracks: np.ndarray, min_iou: float) -> np.ndarray:
    """(detections, tracks) link scores: IoU where it is at least ``min_iou``, else a small score for
    a centre within half the track's box size (a fast move), else 0 (no link)."""
    iou = box_iou(boxes, tracks)
    centres = (boxes[:, None, :2] + boxes[:, None, 2:]) / 2
    track_centres = (tracks[None, :, :2] + tracks[None, :, 2:]) / 2
    size = np.maximum(tracks[None, :, 2] - tracks[None, :, 0], tracks[None, :, 3] - tracks[None, :, 1])
    near = np.linalg.norm(centres - track_centres, axis=2) < 0.5 * size
    return np.where(iou >= min_iou, iou, np.where(near, 0.01, 0.0))


def _grid(box: np.ndarray) -> np.ndarray:
    """GRID x GRID points over the central 60 % of ``box`` (float32, (n,2))."""
    x1, y1, x2, y2 = box
    xs = np.linspace(x1 + 0.2 * (x2 - x1), x2 - 0.2 * (x2 - x1), GRID)
    ys = np.linspace(y1 + 0.2 * (y2 - y1), y2 - 0.2 * (y2 - y1), GRID)
    return np.stack(np.meshgrid(xs, ys), -1).reshape(-1, 2).astype(np.float32)


def _moved_box(box: np.ndarray, before: np.ndarray, after: np.ndarray) -> np.ndarray | None:
    """``box`` shifted by the points' median motion and scaled by their median spread change."""
    if len(before) < MIN_POINTS:
        return None
    shift = np.median(after - before, axis=0)
    spread_before = np.linalg.norm(before - before.mean(0), axis=1)
    spread_after = np.linalg.norm(after - after.mean(0), axis=1)
    keep = spread_before > 1e-3
    scale = float(np.clip(np.median(spread_after[keep] / spread_before[keep]), 0.8, 1.25)) if keep.any() else 1.0
    centre = (box[:2] + box[2:]) / 2 + shift
    half = (box[2:] - box[:2]) / 2 * scale
    return np.concatenate([centre - half, centre + half]).astype(np.float32)
