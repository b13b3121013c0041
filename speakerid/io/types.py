"""Records handed out by the decoding layer, identical for every backend."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class VideoInfo:
    """What a caller needs before decoding: display size, timing, rotation and audio presence.

    ``width``/``height`` are the display size (after rotation); ``rotation`` is the display
    matrix angle in degrees counter-clockwise, normalised to 0, 90, 180 or 270; ``duration`` is
    0.0 and ``num_frames`` None when the container does not say. ``start_time`` is the first
    decoded frame's PTS (s): the origin of FiftyOne frame numbers (0.0 without timestamps).
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
    start_time: float = 0.0


@dataclass
class FrameBatch:
    """A few consecutive sampled frames: RGB pixels, decode-order indices and PTS times (s).

    Only a single-pass read (``with_grey`` / ``audio_rate``) fills ``grey`` — (time, (H,W) uint8
    display-oriented grey image) of every decoded frame since the previous batch — and
    ``audio`` — (time of the chunk's first sample, mono float32 chunk) in PTS order.
    """

    frames: np.ndarray
    indices: np.ndarray
    times: np.ndarray
    grey: list[tuple[float, np.ndarray]] = field(default_factory=list)
    audio: list[tuple[float, np.ndarray]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.indices)
