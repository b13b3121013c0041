"""YuNet (OpenCV zoo, 2023mar int8, Apache-2.0 / MIT), the default face detector.

About 10 ms per 640x360 frame and 30 ms per 720p frame on a laptop CPU (MTCNN: 120 ms), finds
faces down to ~10 px, and gives the same five landmarks as MTCNN. Its boxes are looser than
MTCNN's (forehead to below the chin), so each box is re-derived from the landmarks in MTCNN's
convention: centre and size relative to the landmarks' centroid and the eye-to-mouth distance,
with constants fitted once on LFW faces seen by both detectors. That keeps FaceNet's crops (and
so galleries, cohorts and thresholds) the same whichever detector found the face.
"""

from __future__ import annotations

import cv2
import numpy as np

from speakerid.faces.face import Face, check_frames
from speakerid.weights import YUNET

DEFAULT_MIN_SCORE = 0.6
NMS_THRESHOLD = 0.3
# MTCNN box = landmark centroid (cx, cy, cx, cy) + eye-to-mouth distance * these (median over
# LFW DevTest images of half its people, both detectors run on each; FaceNet LFW DevTest AUC
# with these boxes 0.9976, with MTCNN's own boxes 0.9980).
_MTCNN_BOX = np.array([-1.0532, -1.5325, 1.0327, 1.2073], np.float32)


def landmark_box(landmarks: np.ndarray) -> np.ndarray:
    """MTCNN-style x1,y1,x2,y2 box implied by five landmarks (used for YuNet faces)."""
    lm = np.asarray(landmarks, np.float32).reshape(5, 2)
    centre = lm.mean(0)
    scale = float(np.linalg.norm(lm[:2].mean(0) - lm[3:].mean(0)))
    return np.concatenate([centre, centre]) + scale * _MTCNN_BOX


class YuNetDetector:
    """``cv2.FaceDetectorYN`` over frames one at a time (it has no batch mode)."""

    name = "yunet"

    def __init__(self, min_face_size: int = 20, min_score: float | None = None) -> None:
        self.min_face_size = int(min_face_size)
        self.min_score = DEFAULT_MIN_SCORE if min_score is None else float(min_score)
        path = YUNET.path()
        self._net = cv2.FaceDetectorYN.create(str(path), "", (320, 320), self.min_score, NMS_THRESHOLD, 5000)
        self._size: tuple[int, int] = (320, 320)

    def detect(self, frames: np.ndarray) -> list[list[Face]]:
        """Faces per frame of ``frames`` (N,H,W,3) uint8 RGB, most confident first."""
        return [self._detect_one(frame) for frame in check_frames(frames)]

    def _detect_one(self, rgb: np.ndarray) -> list[Face]:
        size = (rgb.shape[1], rgb.shape[0])
        if size != self._size:
            self._net.setInputSize(size)
            self._size = size
        _, rows = self._net.detect(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        faces = []
        for row in () if rows is None else rows:
            if min(row[2], row[3]) < self.min_face_size:
                continue
            landmarks = row[4:14].reshape(5, 2).astype(np.float32)
            faces.append(Face(landmark_box(landmarks), float(row[14]), landmarks))
        return sorted(faces, key=lambda f: -f.score)
