"""Opening media with PyAV and probing it, turning every failure into one VideoReadError."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from speakerid.errors import VideoReadError
from speakerid.io.types import VideoInfo


def _reason(exc: BaseException) -> str:
    """One line from an FFmpeg error: its text without the path PyAV appends."""
    text = getattr(exc, "strerror", None) or str(exc)
    return " ".join(str(text).split())


def _check_file(path: str) -> None:
    """Give the plain reasons (missing, folder, empty) before FFmpeg gives an obscure one."""
    if not os.path.exists(path):
        raise VideoReadError(path, "file not found")
    if not os.path.isfile(path):
        raise VideoReadError(path, "not a file")
    if os.path.getsize(path) == 0:
        raise VideoReadError(path, "empty file (0 bytes)")


def _check_complete(path: str, container: av.container.InputContainer) -> None:
    """A truncated file whose index survived (moov first) points past its own end."""
    size = os.path.getsize(path)
    for stream in container.streams:
        entries = stream.index_entries
        if entries is None or len(entries) == 0:
            continue
        last = entries[len(entries) - 1]
        if last.pos + last.size > size:
            raise VideoReadError(path, f"truncated: the index needs {last.pos + last.size} bytes, file has {size}")


@contextmanager
def open_media(path: str | Path) -> Iterator[av.container.InputContainer]:
    """Open any media file for reading; FFmpeg errors while open become VideoReadError."""
    path = str(path)
    _check_file(path)
    try:
        container = av.open(path, mode="r")
    except av.FFmpegError as exc:
        raise VideoReadError(path, f"not a readable media file ({_reason(exc)})") from exc
    try:
        if container.format.name == "image2" or container.format.name.endswith("_pipe"):
            raise VideoReadError(path, f"a still image ({container.format.name}), not a video")
        _check_complete(path, container)
        yield container
    except av.FFmpegError as exc:
        raise VideoReadError(path, f"decoding failed ({_reason(exc)})") from exc
    finally:
        container.close()


def seconds(pts: int | np.ndarray, time_base: Fraction) -> float | np.ndarray:
    """PTS to seconds as one correctly rounded division, identical for ints and int arrays."""
    return pts * time_base.numerator / time_base.denominator


def video_stream(path: str, container: av.container.InputContainer) -> av.VideoStream:
    """The stream FFmpeg (and decord) would pick; files without one are not videos."""
    if not container.streams.video:
        raise VideoReadError(path, "no video stream")
    return container.streams.best("video")


def _first_frame(stream: av.VideoStream, container: av.container.InputContainer, path: str) -> av.VideoFrame:
    """The first decoded frame: PyAV exposes the display matrix only on frames."""
    for frame in container.decode(stream):
        return frame
    raise VideoReadError(path, "no decodable video frame")


def probe_pyav(path: str | Path) -> VideoInfo:
    """Read the container header and decode one frame, so broken files fail here, not later."""
    path = str(path)
    with open_media(path) as container:
        stream = video_stream(path, container)
        first = _first_frame(stream, container, path)
        rotation = round(first.rotation / 90) % 4 * 90
        ctx = stream.codec_context
        width, height = (ctx.height, ctx.width) if rotation in (90, 270) else (ctx.width, ctx.height)
        rate = stream.average_rate or stream.guessed_rate
        if stream.duration is not None:
            duration = float(stream.duration * stream.time_base)
        else:
            duration = (container.duration or 0) / av.time_base
        return VideoInfo(
            path=path,
            width=width,
            height=height,
            fps=float(rate) if rate else 0.0,
            duration=duration,
            num_frames=stream.frames or None,
            rotation=rotation,
            has_audio=bool(container.streams.audio),
            codec=ctx.name,
            start_time=0.0 if first.pts is None else float(seconds(first.pts, first.time_base)),
        )
