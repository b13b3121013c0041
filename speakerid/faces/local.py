"""Look again for one face near where it was: a detection on an enlarged crop around a box.

A small face in a wide shot is found on one keyframe and missed on the next (a 20-30 px face
sits at the edge of what the detector sees on the whole frame); the tracker would then end its
track and start a new one, leaving frames with a visible person and no face, and tracks too
short to identify. Searching only the neighbourhood of the lost box, enlarged so the face is
about ``TARGET_SIDE`` pixels, costs a fraction of a full-frame detection and finds most of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import cv2
import numpy as np

from speakerid.faces.boxes import box_iou

if TYPE_CHECKING:
    from speakerid.faces.face import Detector, Face

TARGET_SIDE = 80.0  # pixels: the face's long side on the enlarged crop
MAX_ZOOM = 4.0
CONTEXT = 1.0  # crop = the box grown by this many box sizes on every side
SIZE_RATIO = 1.5  # the face found may be at most this much larger or smaller than the box


def detect_near(detector: Detector, frame: np.ndarray, box: np.ndarray, taken: np.ndarray | None = None) -> Face | None:
    """The face around pixel ``box`` (x1,y1,x2,y2) in the (H,W,3) RGB ``frame``, in full-frame
    coordinates, or None. The face's centre must lie within the box's half size of the box's
    centre and its size within ``SIZE_RATIO`` of the box's (measured: without it, a wall lamp
    beside a face that had moved was taken for it); a face overlapping one of ``taken`` (boxes
    already detected on this frame) is refused."""
    h, w = frame.shape[:2]
    x1, y1, x2, y2 = (float(v) for v in box)
    side = max(x2 - x1, y2 - y1, 1.0)
    cx0, cy0 = int(max(x1 - CONTEXT * side, 0)), int(max(y1 - CONTEXT * side, 0))
    cx1, cy1 = int(min(x2 + CONTEXT * side, w)), int(min(y2 + CONTEXT * side, h))
    if cx1 - cx0 < 8 or cy1 - cy0 < 8:
        return None
    zoom = float(np.clip(TARGET_SIDE / side, 1.0, MAX_ZOOM))
    crop = np.ascontiguousarray(frame[cy0:cy1, cx0:cx1])
    if zoom > 1.0:
        crop = cv2.resize(crop, None, fx=zoom, fy=zoom, interpolation=cv2.INTER_CUBIC)
    centre = np.array([(x1 + x2) / 2, (y1 + y2) / 2])
    best, best_dist = None, 0.5 * side
    for face in detector.detect(crop[None])[0]:
        face.box = (face.box / zoom + np.array([cx0, cy0, cx0, cy0], np.float32)).astype(np.float32)
        face.landmarks = (face.landmarks / zoom + np.array([cx0, cy0], np.float32)).astype(np.float32)
        dist = float(np.linalg.norm((face.box[:2] + face.box[2:]) / 2 - centre))
        ratio = max(face.box[2] - face.box[0], face.box[3] - face.box[1]) / side
        if dist > best_dist or not 1 / SIZE_RATIO <= ratio <= SIZE_RATIO:
            continue
        if taken is not None and len(taken) and box_iou(face.box[None], taken).max() > 0.3:
            continue
        best, best_dist = face, dist
    return best
