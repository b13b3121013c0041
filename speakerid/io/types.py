"""Records handed out by the decoding layer, identical for every backend."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class VideoInfo:
    """What a caller needs before decoding: display size, timing, rotation and audio presence.

    ``width``/``height`` are the display size (after rotation); ``rotation`` is the display
    matrix angle in degrees counter-clockwise, normalised to 0, 90, 180 or 270; ``duration`` is
    0.0 and ``num_frames`` None when the container does not say.
    """

    path: str
    width: int
    height: int
    fps: float
    duration: float
    num_frames: int | None
    rotation: int
    has_audio: bool
    codec: str


@dataclass
class FrameBatch:
    """A few consecutive sampled frames: RGB pixels, decode-order indices and PTS times (s)."""

    frames: np.ndarray
    indices: np.ndarray
    times: np.ndarray

    def __len__(self) -> int:
        return len(self.indices)
