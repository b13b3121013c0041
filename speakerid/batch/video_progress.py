"""Progress of a run over several videos, counted in analysed frames within each video.

A run over one long video would otherwise sit at 0 % until it jumps to 100 %: each video is an
equal share of the bar, filled as its frames are analysed (expected frames: duration x the
analysed frame rate), never past the share of the videos finished.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class VideoProgress:
    """``videos``: (path, expected analysed frames or None when unknown), in run order."""

    videos: list[tuple[str, int | None]]
    index: int = 0  # the video being analysed
    frames: int = 0  # its frames analysed so far

    def start(self, index: int) -> None:
        self.index, self.frames = index, 0

    def add(self, frames: int) -> None:
        self.frames += frames

    @property
    def fraction(self) -> float:
        if not self.videos:
            return 1.0
        expected = self.videos[self.index][1] if self.index < len(self.videos) else None
        within = min(self.frames / expected, 0.99) if expected else 0.0
        return min((self.index + within) / len(self.videos), 1.0)

    @property
    def label(self) -> str:
        if self.index >= len(self.videos):
            return f"{len(self.videos)} video(s) done"
        path, expected = self.videos[self.index]
        frames = f"{self.frames}/{expected}" if expected else f"{self.frames}"
        return f"video {self.index + 1}/{len(self.videos)} {Path(path).name}: {frames} frames analysed"


def expected_frames(duration: float | None, video_fps: float | None, fps: float | None) -> int | None:
    """Analysed frames of a video of ``duration`` s at ``fps`` (None: every frame), if known."""
    if not duration or not video_fps:
        return None
    rate = min(fps, video_fps) if fps else video_fps
    return max(1, round(duration * rate))
