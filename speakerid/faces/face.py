"""The face record every detector returns, and what a detector is.

Its own module so the detectors (``faces.yunet``, ``faces.mtcnn``) and everything that reads
faces depend on the vocabulary, not on the factory that builds detectors (``faces.detect``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(eq=False)  # numpy fields: compare faces by identity
class Face:
    """One detected face: pixel box x1,y1,x2,y2, detector score, 5 landmarks (x, y) in pixels.

    Landmark order: left eye, right eye, nose, mouth left, mouth right (as seen in the image).
    """

    box: np.ndarray
    score: float
    landmarks: np.ndarray

    @property
    def area(self) -> float:
        """Box area in pixels (to pick the main face of a photo)."""
        return float(max(self.box[2] - self.box[0], 0) * max(self.box[3] - self.box[1], 0))


class Detector(Protocol):
    """What the pipeline, enrolment and verification need from a detector."""

    name: str

    def detect(self, frames: np.ndarray) -> list[list[Face]]:
        """Faces per frame of ``frames`` (N,H,W,3) uint8 RGB, most confident first."""
        ...


def check_frames(frames: np.ndarray) -> np.ndarray:
    """``frames`` as an (N,H,W,3) uint8 array, or ValueError saying what was given instead."""
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError(f"frames must be (N,H,W,3) uint8 RGB, got {frames.shape} {frames.dtype}")
    return frames
