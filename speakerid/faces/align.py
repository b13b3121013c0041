"""Five-point face alignment: a similarity transform of the landmarks onto a template crop.

SFace expects the ArcFace 112x112 template; FaceNet gets its own 160x160 template (see
``speakerid.faces.embedders.facenet``).
"""

from __future__ import annotations

import cv2
import numpy as np

# Reference landmarks of a 112x112 ArcFace crop, in the detector's order: left eye, right eye,
# nose, mouth left, mouth right (image left/right).
ARCFACE_112 = np.array(
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]],
    dtype=np.float32,
)


def similarity_to_template(landmarks: np.ndarray, size: int = 112, template: np.ndarray = ARCFACE_112) -> np.ndarray:
    """2x3 similarity transform (rotation, uniform scale, shift) taking ``landmarks`` to
    ``template`` (given for a 112 px crop, scaled to ``size``)."""
    dst = np.asarray(template, np.float32) * (size / 112.0)
    matrix, _ = cv2.estimateAffinePartial2D(np.asarray(landmarks, np.float32).reshape(5, 2), dst, method=cv2.LMEDS)
    if matrix is None:  # degenerate landmarks, e.g. all on one point
        raise ValueError("landmarks are degenerate: cannot align the face")
    return matrix


def align(frame: np.ndarray, landmarks: np.ndarray, size: int = 112, template: np.ndarray = ARCFACE_112) -> np.ndarray:
    """The (size,size,3) crop of ``frame`` with the face warped onto ``template``."""
    return warp_crop(frame, similarity_to_template(landmarks, size, template), size)


def warp_crop(frame: np.ndarray, matrix: np.ndarray, size: int) -> np.ndarray:
    """``frame`` warped by the 2x3 ``matrix`` into a (size,size) crop, edges replicated.

    Why not one ``warpAffine``: it interpolates, so a face shrunk several times (a large face in
    a photo) would alias; the region it covers is first shrunk with pixel-area averaging.
    """
    scale = float(np.sqrt(abs(np.linalg.det(matrix[:, :2]))))
    if scale < 0.75:
        corners = cv2.invertAffineTransform(matrix) @ np.array([[0, size, 0, size], [0, 0, size, size], [1, 1, 1, 1]])
        h, w = frame.shape[:2]
        x0, y0 = (int(np.clip(np.floor(corners[i].min()) - 1, 0, lim)) for i, lim in ((0, w - 1), (1, h - 1)))
        x1, y1 = (int(np.clip(np.ceil(corners[i].max()) + 1, lo + 1, lim)) for i, lo, lim in ((0, x0, w), (1, y0, h)))
        region = frame[y0:y1, x0:x1]
        small = cv2.resize(region, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        sx, sy = small.shape[1] / region.shape[1], small.shape[0] / region.shape[0]
        # source pixel p = (q / (sx, sy)) + (x0, y0) for a pixel q of ``small``
        matrix = np.column_stack([matrix[:, 0] / sx, matrix[:, 1] / sy, matrix @ np.array([x0, y0, 1.0])])
        frame = small
    return cv2.warpAffine(frame, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
