"""Error types: every user-facing failure is one of these, with a one-line message naming the file."""

from __future__ import annotations

from pathlib import Path


class SpeakeridError(Exception):
    """Base class; the CLI prints its message on one line and exits non-zero."""


class VideoReadError(SpeakeridError):
    """A video cannot be decoded: missing, empty, not a video, no video stream, truncated."""

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class GalleryError(SpeakeridError):
    """A gallery file or folder is unusable (wrong format, other embedder, no faces)."""


class ModelUnavailableError(SpeakeridError):
    """Model weights are neither cached locally nor obtainable."""


class SettingsError(SpeakeridError):
    """An analysis option is out of range; ``option`` names it (``fps``, ``batch_size``, ...)."""

    def __init__(self, option: str, problem: str) -> None:
        self.option = option
        self.problem = problem
        super().__init__(f"{option}: {problem}")


class DatabaseError(SpeakeridError):
    """The FiftyOne database cannot be reached or refused a write."""
