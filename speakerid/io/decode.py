"""Public entry points: probe a video and stream sampled RGB frames from either backend."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from speakerid.io import decord_backend
from speakerid.io.container import probe_pyav
from speakerid.io.pyav_backend import read_pyav
from speakerid.io.sampling import FrameSampler
from speakerid.io.types import FrameBatch, VideoInfo

BACKENDS = ("pyav", "decord")


def _check_backend(backend: str) -> None:
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")


def probe(path: str | Path, backend: str = "pyav") -> VideoInfo:
    """Video metadata; raises VideoReadError for anything the backend cannot decode.

    Metadata always comes from the container (PyAV); with ``backend="decord"`` the file must
    also open in decord and ``num_frames`` is decord's count.
    """
    _check_backend(backend)
    info = probe_pyav(path)
    if backend == "decord":
        return replace(info, num_frames=decord_backend.frame_count(info.path))
    return info


def read_frames(path: str | Path, *, fps: float | None = 5.0, every: int | None = None,
                start: float | None = None, end: float | None = None, batch_size: int = 16,
                backend: str = "pyav") -> Iterator[FrameBatch]:
    """Stream batches of display-oriented RGB frames with decode index and PTS time (s).

    ``every`` (every Nth frame, by decode index) wins over ``fps``; both None -> every frame.
    ``start``/``end`` select frames with ``start <= time < end`` on the stream's PTS axis
    (the first frame's time is the stream's first PTS, not necessarily 0). Only one batch
    is held at a time, so memory does not grow with video length. Unreadable files raise
    VideoReadError at the call (decord's own failures at the first batch); decoding errors
    mid-way raise it during iteration.
    """
    _check_backend(backend)
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    sampler = FrameSampler(fps=fps, every=every, start=start, end=end)
    info = probe(path)
    reader = read_pyav if backend == "pyav" else decord_backend.read_decord
    return reader(info, sampler, batch_size)
