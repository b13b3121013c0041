"""Which frames to keep, decided from decode index and PTS alone, shared by every backend.

Sampling at a target fps takes the first frame whose time reaches each sampling instant
``t0 + k / fps`` (t0 = the stream's first PTS), so variable-frame-rate videos are sampled by
time, not by counting frames. Instants are anchored at the stream start rather than at
``start``, so reading [a, b) and then [b, c) gives exactly the frames of reading [a, c).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

# PTS times are exact rationals turned into floats; an instant that coincides with a frame
# time must not be missed by one ulp of rounding.
_EPS = 1e-6


class FrameSampler:
    """Stateful keep/skip decision; must see every frame of the stream in order."""

    def __init__(
        self, fps: float | None = 5.0, every: int | None = None, start: float | None = None, end: float | None = None
    ) -> None:
        if every is not None and every < 1:
            raise ValueError(f"every must be >= 1, got {every}")
        if every is None and fps is not None and not fps > 0:
            raise ValueError(f"fps must be > 0, got {fps}")
        if start is not None and end is not None and end <= start:
            raise ValueError(f"end ({end}) must be after start ({start})")
        self.every = every
        self.step = None if every is not None or fps is None else 1.0 / fps
        self.start = start
        self.end = end
        self._t0: float | None = None
        self._next = -math.inf

    def past_end(self, time: float) -> bool:
        """True once frames reach ``end`` (frames come in presentation order)."""
        return self.end is not None and time >= self.end

    def keep(self, index: int, time: float) -> bool:
        """Whether the frame is sampled and at or after ``start`` (``select`` stops at ``end``)."""
        if self.every is not None:
            sampled = index % self.every == 0
        elif self.step is not None:
            sampled = self._crosses_instant(time)
        else:
            sampled = True
        return sampled and (self.start is None or time >= self.start)

    def _crosses_instant(self, time: float) -> bool:
        if self._t0 is None:
            self._t0 = time
        if time < self._next - _EPS:
            return False
        k = math.floor((time - self._t0 + _EPS) / self.step) + 1
        self._next = self._t0 + k * self.step
        return True


def select(items: Iterable[tuple[T, float]], sampler: FrameSampler) -> Iterator[tuple[int, float, T]]:
    """(index, time, item) of the kept ones among (item, time) pairs; stops at ``end``."""
    for index, (item, time) in enumerate(items):
        if sampler.past_end(time):
            return
        if sampler.keep(index, time):
            yield index, time, item


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Lists of ``size`` items (the last may be shorter); keeps memory bounded by ``size``."""
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
