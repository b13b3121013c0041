"""Frame reading with decord: random access by index, decoded in batches by its own threads.

Frame times come from the container's packet PTS (``speakerid.io.frame_table``: PyAV,
demuxing only) instead of decord's float32 timestamps, so both backends see exactly the same
times and pick the same frames. decord applies the display rotation itself. It has no single
pass (grey images, audio): ``read_frames`` refuses those options for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from speakerid.errors import VideoReadError
from speakerid.io.frame_table import frame_table, sampled
from speakerid.io.sampling import FrameSampler, chunked
from speakerid.io.types import FrameBatch, VideoInfo

if TYPE_CHECKING:
    import decord

# decord's index must agree with the PTS order within this (s), else indices would differ.
_TIME_TOLERANCE = 1e-3


def _open(path: str) -> decord.VideoReader:
    """decord is optional: imported only when this backend is asked for."""
    try:
        import decord
    except ImportError as exc:
        raise VideoReadError(
            path, "backend 'decord' needs the decord package: pip install 'speakerid[decord]'"
        ) from exc
    try:
        return decord.VideoReader(path, ctx=decord.cpu(0), num_threads=0)
    except decord.DECORDError as exc:
        # decord prefixes "[time] source.cc:line: [path]"; keep only its message.
        reason = str(exc).strip().splitlines()[0].rsplit("] ", 1)[-1] or type(exc).__name__
        raise VideoReadError(path, f"decord cannot open it ({reason})") from exc


def frame_count(path: str) -> int:
    """Number of frames decord will index."""
    return len(_open(path))


def read_decord(info: VideoInfo, sampler: FrameSampler, batch_size: int) -> Iterator[FrameBatch]:
    """Pick indices from PTS, then let decord decode each batch of picked frames."""
    reader = _open(info.path)
    table = frame_table(info.path)
    times = table.times
    # decord counts time from the stream start; compare spacing, not the origin.
    offsets = reader.get_frame_timestamp(np.arange(len(reader)))[:, 0]
    if (
        len(times) != len(reader)
        or len(times) == 0
        or np.abs((offsets - offsets[0]) - (times - times[0])).max() > _TIME_TOLERANCE
    ):
        raise VideoReadError(
            info.path, f"decord indexes {len(reader)} frames differently from the container's {len(times)} timestamps"
        )
    for chunk in chunked(sampled(table, sampler), batch_size):
        indices = np.array(chunk, dtype=np.int64)
        yield FrameBatch(frames=reader.get_batch(indices).asnumpy(), indices=indices, times=times[indices])
