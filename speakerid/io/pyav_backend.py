"""Frame reading with PyAV (FFmpeg), the default backend: streams, threads, exact PTS."""

from __future__ import annotations

from collections.abc import Iterator

import av
import numpy as np

from speakerid.io.container import open_media, seconds, video_stream
from speakerid.io.sampling import FrameSampler, chunked, select
from speakerid.io.types import FrameBatch, VideoInfo


def _timed(frames: Iterator[av.VideoFrame], fps: float) -> Iterator[tuple[av.VideoFrame, float]]:
    """(frame, PTS seconds); raw elementary streams carry no PTS, so fall back to index / fps."""
    for index, frame in enumerate(frames):
        if frame.pts is None:
            yield frame, index / (fps or 1.0)
        else:
            yield frame, seconds(frame.pts, frame.time_base)


def read_pyav(info: VideoInfo, sampler: FrameSampler, batch_size: int) -> Iterator[FrameBatch]:
    """Decode every frame (needed for decode-order indices) but convert only the kept ones."""
    k = info.rotation // 90
    with open_media(info.path) as container:
        stream = video_stream(info.path, container)
        stream.thread_type = "AUTO"
        kept = select(_timed(container.decode(stream), info.fps), sampler)
        for chunk in chunked(kept, batch_size):
            frames = np.stack([np.rot90(f.to_ndarray(format="rgb24"), k) for _, _, f in chunk])
            yield FrameBatch(frames=frames,
                             indices=np.array([i for i, _, _ in chunk], dtype=np.int64),
                             times=np.array([t for _, t, _ in chunk], dtype=np.float64))
