"""Detect on a downscaled copy of large images, map faces back to full resolution.

MTCNN's cost grows with pixel count (its pyramid starts at full size), while the embedder
wants full-resolution crops; so detection runs on at most ``max_side`` pixels and the crop is
taken from the original frame.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import cv2
import numpy as np

if TYPE_CHECKING:
    from speakerid.faces.face import Detector, Face


def detect_downscaled(detector: Detector, frames: np.ndarray, max_side: int) -> list[list[Face]]:
    """``detector.detect`` on frames shrunk so their longest side is at most ``max_side``."""
    h, w = frames.shape[1:3]
    scale = min(1.0, max_side / max(h, w))
    if scale == 1.0:
        return detector.detect(frames)
    size = (round(w * scale), round(h * scale))
    small = np.stack([cv2.resize(f, size, interpolation=cv2.INTER_AREA) for f in frames])
    faces = detector.detect(small)
    for per_frame in faces:
        for f in per_frame:
            f.box = (f.box / scale).astype(np.float32)
            f.landmarks = (f.landmarks / scale).astype(np.float32)
    return faces
