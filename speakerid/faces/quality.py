"""How useful a detected face is for recognition: size, detector score, frontal pose, sharpness.

A track is embedded only on its best few faces, so this score decides which faces those are and
how much each weighs in the track's mean embedding. Each factor is in 0..1 and they multiply:
a face must be large enough, confidently detected, roughly frontal and not blurred.
"""

from __future__ import annotations

import cv2
import numpy as np

from speakerid.faces.face import Face

FULL_SIZE = 80.0  # pixels (short box side) from which size stops adding quality
SHARP_VARIANCE = 150.0  # Laplacian variance of a 64x64 grey face that counts as fully sharp


def size_factor(face: Face) -> float:
    """Short box side over FULL_SIZE, capped at 1."""
    w, h = face.box[2] - face.box[0], face.box[3] - face.box[1]
    return float(np.clip(min(w, h) / FULL_SIZE, 0.0, 1.0))


def frontal_factor(landmarks: np.ndarray) -> float:
    """1 for a frontal face, falling to 0 as the nose moves to an eye's column (a profile).

    The yaw proxy is the nose's horizontal offset from the eyes' midpoint in units of half the
    eye distance, with the mouth corners as a second opinion.
    """
    lm = np.asarray(landmarks, np.float64).reshape(5, 2)
    half_eyes = max(abs(lm[1, 0] - lm[0, 0]) / 2, 1e-6)
    eye_offset = abs(lm[2, 0] - (lm[0, 0] + lm[1, 0]) / 2) / half_eyes
    mouth_offset = abs(lm[2, 0] - (lm[3, 0] + lm[4, 0]) / 2) / max(abs(lm[4, 0] - lm[3, 0]) / 2, 1e-6)
    return float(np.clip(1.0 - (eye_offset + mouth_offset) / 2, 0.0, 1.0))


def sharpness_factor(grey_face: np.ndarray) -> float:
    """Variance of the Laplacian of the face resized to 64x64, over SHARP_VARIANCE, capped at 1."""
    small = cv2.resize(grey_face, (64, 64), interpolation=cv2.INTER_AREA)
    return float(np.clip(cv2.Laplacian(small, cv2.CV_32F).var() / SHARP_VARIANCE, 0.0, 1.0))


def face_quality(frame: np.ndarray, face: Face) -> float:
    """Quality in 0..1 of ``face`` in the (H,W,3) RGB ``frame``."""
    x1, y1, x2, y2 = np.clip(np.round(face.box).astype(int), 0, [frame.shape[1], frame.shape[0]] * 2)
    if x2 - x1 < 2 or y2 - y1 < 2:
        return 0.0
    grey = cv2.cvtColor(np.ascontiguousarray(frame[y1:y2, x1:x2]), cv2.COLOR_RGB2GRAY)
    sharp = sharpness_factor(grey)
    return (
        size_factor(face)
        * float(np.clip(face.score, 0, 1))
        * (0.2 + 0.8 * frontal_factor(face.landmarks))
        * (0.3 + 0.7 * sharp)
    )
