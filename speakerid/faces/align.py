"""Five-point face alignment onto the ArcFace template (the crop SFace/ArcFace models expect)."""

from __future__ import annotations

import cv2
import numpy as np

# Reference landmarks of a 112x112 ArcFace crop, in the detector's order: left eye, right eye,
# nose, mouth left, mouth right (image left/right).
ARCFACE_112 = np.array(
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]],
    dtype=np.float32,
)


def similarity_to_template(landmarks: np.ndarray, size: int = 112) -> np.ndarray:
    """2x3 similarity transform (rotation, uniform scale, shift) taking ``landmarks`` to the template."""
    dst = ARCFACE_112 * (size / 112.0)
    matrix, _ = cv2.estimateAffinePartial2D(np.asarray(landmarks, np.float32).reshape(5, 2), dst,
                                            method=cv2.LMEDS)
    if matrix is None:  # degenerate landmarks, e.g. all on one point
        raise ValueError("landmarks are degenerate: cannot align the face")
    return matrix


def align(frame: np.ndarray, landmarks: np.ndarray, size: int = 112) -> np.ndarray:
    """The (size,size,3) crop of ``frame`` with the face warped onto the template."""
    matrix = similarity_to_template(landmarks, size)
    return cv2.warpAffine(frame, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
