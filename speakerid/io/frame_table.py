"""Every frame's PTS from demuxing alone: decode indices, sampling plans and seek points.

Decode indices (FiftyOne frame numbers) count frames from the stream start in display order, so
frame ``i`` is the one with the ``i``-th smallest PTS. Demuxing the video packets (no decoding:
about 1 s per hour of 720p, cached per file) gives every PTS, so a read knows each decoded
frame's index from its PTS, picks the sampled frames before decoding (and lets the decoder skip
the others where no frame depends on them), and can start past the head of the video.

A keyframe at decode position ``k`` is a *clean* entry point when every packet before it is
displayed before it and every packet after it is displayed after it (no open-GOP leading
pictures, no reordering across it): decoding from there yields exactly the full decode's frames
from index ``k`` on. A table is only *usable* when it can be trusted to match the decoder: every
packet has a PTS, none is corrupt, the stream starts at a clean keyframe and the first frame the
decoder yields has the table's first PTS; otherwise reads count decoded frames from frame 0.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property, lru_cache

import numpy as np

from speakerid.io.container import open_media, seconds, video_stream
from speakerid.io.sampling import FrameSampler, select


@dataclass(frozen=True)
class FrameTable:
    """The video stream's packets in decode order, read by demuxing alone.

    ``pts``/``dts``/``key`` hold the packets that carry a PTS (discarded ones, e.g. cut by an edit
    list, are left out as decoders drop them); ``complete`` is False when some packet had no PTS
    or was flagged corrupt, so positions cannot be trusted to equal decode indices.
    """

    pts: np.ndarray
    dts: np.ndarray
    key: np.ndarray
    time_base: Fraction
    complete: bool

    @cached_property
    def display_pts(self) -> np.ndarray:
        """PTS in display order: element ``i`` belongs to decode index ``i``."""
        return np.sort(self.pts)

    @cached_property
    def times(self) -> np.ndarray:
        """Frame times (s) in display order."""
        return seconds(self.display_pts, self.time_base)

    @cached_property
    def entry_points(self) -> np.ndarray:
        """Decode positions of the clean keyframes, in increasing PTS order."""
        pts = self.pts
        if not self.complete or len(pts) == 0:
            return np.zeros(0, np.int64)
        before = np.concatenate([[np.iinfo(np.int64).min], np.maximum.accumulate(pts)[:-1]])
        after = np.concatenate([np.minimum.accumulate(pts[::-1])[::-1][1:], [np.iinfo(np.int64).max]])
        return np.flatnonzero(self.key & (before < pts) & (pts < after))

    def usable(self, first_time: float) -> bool:
        """Whether indices may be read from this table; ``first_time``: the decoder's first frame
        (``VideoInfo.start_time``), which differs when the decoder drops head frames."""
        points = self.entry_points
        return len(points) > 0 and points[0] == 0 and float(self.times[0]) == first_time

    def index_of(self, pts: int | None) -> int | None:
        """Decode index of the frame with this PTS; None when the table has no such frame."""
        if pts is None:
            return None
        i = int(np.searchsorted(self.display_pts, pts))
        return i if i < len(self.display_pts) and self.display_pts[i] == pts else None


def _demux(path: str) -> FrameTable:
    with open_media(path) as container:
        stream = video_stream(path, container)
        pts, dts, key, complete = [], [], [], True
        for packet in container.demux(stream):
            if packet.size == 0 or packet.is_discard:  # flush packets; edit-list cuts
                continue
            if packet.pts is None or packet.is_corrupt:
                complete = False
                continue
            pts.append(packet.pts)
            dts.append(packet.pts if packet.dts is None else packet.dts)
            key.append(packet.is_keyframe)
        return FrameTable(
            np.array(pts, np.int64), np.array(dts, np.int64), np.array(key, bool), stream.time_base, complete
        )


@lru_cache(maxsize=8)
def _cached(path: str, size: int, mtime_ns: int) -> FrameTable:
    return _demux(path)


def frame_table(path: str) -> FrameTable:
    """The file's frame table, demuxed once per version of the file (path, size, mtime)."""
    stat = os.stat(path)
    return _cached(os.path.realpath(path), stat.st_size, stat.st_mtime_ns)


def sampled(table: FrameTable, sampler: FrameSampler) -> np.ndarray:
    """Decode indices the sampler keeps, decided from the table's times (no decoding)."""
    return np.array([i for i, _, _ in select(((None, float(t)) for t in table.times), sampler)], dtype=np.int64)


@dataclass(frozen=True)
class SeekPoint:
    """A clean keyframe to seek to: its decode index, PTS and DTS (stream time base)."""

    index: int
    pts: int
    dts: int


def seek_point(table: FrameTable, before: float) -> SeekPoint | None:
    """The latest clean keyframe displayed at or before ``before`` (s); None for frame 0."""
    points = table.entry_points
    times = seconds(table.pts[points], table.time_base)
    last = int(np.searchsorted(times, before, side="right")) - 1
    if last < 1:
        return None
    k = int(points[last])
    return SeekPoint(index=k, pts=int(table.pts[k]), dts=int(table.dts[k]))


def landed(table: FrameTable, pts: int | None, limit: SeekPoint) -> bool:
    """Whether a seek's first decoded frame is a clean keyframe at or before ``limit``
    (demuxers may land on an earlier one); anything else cannot be trusted."""
    points = table.entry_points
    if pts is None or pts > limit.pts:
        return False
    i = int(np.searchsorted(table.pts[points], pts))
    return i < len(points) and table.pts[points[i]] == pts
