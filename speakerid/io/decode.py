"""Public entry points: probe a video and stream sampled RGB frames from either backend."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from speakerid.defaults import BACKENDS
from speakerid.io import decord_backend
from speakerid.io.container import probe_pyav
from speakerid.io.pyav_backend import read_pyav
from speakerid.io.sampling import FrameSampler
from speakerid.io.types import FrameBatch, VideoInfo


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


def read_frames(
    path: str | Path,
    *,
    fps: float | None = 5.0,
    every: int | None = None,
    start: float | None = None,
    end: float | None = None,
    batch_size: int = 16,
    backend: str = "pyav",
    with_grey: bool = False,
    audio_rate: int | None = None,
    info: VideoInfo | None = None,
) -> Iterator[FrameBatch]:
    """Stream batches of display-oriented RGB frames with decode index and PTS time (s).

    ``every`` (every Nth frame, by decode index) wins over ``fps``; both None -> every frame.
    ``start``/``end`` select frames with ``start <= time < end`` on the stream's PTS axis
    (the first frame's time is the stream's first PTS, not necessarily 0); PyAV seeks to a
    keyframe before ``start`` when indices stay exact. Only one batch is held at a time, so
    memory does not grow with video length. Unreadable files raise VideoReadError at the call
    (decord's own failures at the first batch); decoding errors mid-way raise it during
    iteration.

    Single pass (PyAV only): ``with_grey`` adds to each batch the grey image of every decoded
    frame in [start, end) up to the batch's last sampled frame, ``audio_rate`` the mono audio
    resampled to that rate decoded so far in [start, end); a last batch, possibly without
    sampled frames, carries the rest. Grey images held per batch: about
    ``batch_size * video fps / fps``.
    """
    _check_backend(backend)
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if audio_rate is not None and audio_rate < 1:
        raise ValueError(f"audio_rate must be a positive sample rate, got {audio_rate}")
    if backend != "pyav" and (with_grey or audio_rate is not None):
        raise ValueError(
            "with_grey and audio_rate need backend='pyav': they come from its single demux pass of video and audio"
        )
    sampler = FrameSampler(fps=fps, every=every, start=start, end=end)
    info = probe(path) if info is None else info  # a caller that probed hands its VideoInfo down
    if backend == "decord":
        return decord_backend.read_decord(info, sampler, batch_size)
    return read_pyav(info, sampler, batch_size, with_grey=with_grey, audio_rate=audio_rate)
