"""Bounded buffers for the single decode pass: a 25 fps frame grid and a window of audio.

Light-ASD needs every frame at 25 fps and 16 kHz audio on the same clock; videos come at 24 to
60 fps and audio arrives in codec-sized chunks. These two buffers turn the decoder's stream into
what the network wants while holding only what pending work still needs.
"""

from __future__ import annotations

import math

import numpy as np

GRID_FPS = 25.0  # Light-ASD's picture rate: every asd module works on this grid
SAMPLE_RATE = 16000  # its (and Silero VAD's) audio rate


class FrameGrid:
    """Resample a stream of (time, image) to the 25 fps grid ``k / 25`` s of the PTS axis.

    Each grid instant takes the decoded frame nearest to it (the one on display around then),
    as FFmpeg's ``fps`` filter does: a 30 fps video drops one frame in six, a 24 fps video
    repeats one in 24. The grid is fixed on the time axis, so where decoding starts (a seek, a
    later ``--start``) does not change which instants are scored. Frames must come in
    presentation order.
    """

    def __init__(self, fps: float = GRID_FPS) -> None:
        self.fps = fps
        self._next: int | None = None  # next grid index to hand out
        self._prev: tuple[float, np.ndarray] | None = None
        self._step = 1.0 / fps  # last seen frame interval, for the tail at finish

    @property
    def started(self) -> bool:
        return self._next is not None

    def time(self, index: int) -> float:
        return index / self.fps

    def index_at_or_after(self, time: float) -> int:
        return math.ceil(time * self.fps - 1e-6)

    def push(self, time: float, image: np.ndarray) -> list[tuple[int, float, np.ndarray]]:
        """(grid index, grid time, image) of the grid instants settled by this frame."""
        if self._prev is None:
            if self._next is None:
                self._next = self.index_at_or_after(time)
            self._prev = (time, image)
            return []
        prev_time, prev_image = self._prev
        if time <= prev_time:  # duplicate or out-of-order timestamp: keep the first
            return []
        self._step = time - prev_time
        out = self._emit_before((prev_time + time) / 2, prev_image)
        self._prev = (time, image)
        return out

    def finish(self) -> list[tuple[int, float, np.ndarray]]:
        """The grid instants shown by the last frame (for about one frame interval)."""
        if self._prev is None:
            return []
        time, image = self._prev
        self._prev = None
        return self._emit_before(time + self._step / 2, image)

    def _emit_before(self, boundary: float, image: np.ndarray) -> list[tuple[int, float, np.ndarray]]:
        out = []
        while self.time(self._next) < boundary - 1e-9:
            out.append((self._next, self.time(self._next), image))
            self._next += 1
        return out


class AudioBuffer:
    """Mono samples on the PTS axis from the first chunk on; older samples can be dropped.

    Sample ``n`` plays at ``origin + n / rate``. A chunk that starts after the previous one
    ended is preceded by silence, one that overlaps it is trimmed, so positions stay exact.
    """

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self.origin: float | None = None
        self._first = 0  # absolute index of self._data[0]
        self._data = np.zeros(0, np.float32)
        self._end = 0  # absolute index one past the last sample received

    @property
    def end_time(self) -> float | None:
        return None if self.origin is None else self.origin + self._end / self.rate

    @property
    def held_seconds(self) -> float:
        return len(self._data) / self.rate

    def append(self, start: float, samples: np.ndarray) -> np.ndarray:
        """Add a chunk; returns what was appended (gap-filling zeros included, overlap cut)."""
        samples = np.asarray(samples, np.float32).reshape(-1)
        if self.origin is None:
            self.origin = start
        offset = int(round((start - self.origin) * self.rate)) - self._end
        if offset > 0:
            samples = np.concatenate([np.zeros(offset, np.float32), samples])
        elif offset < 0:
            samples = samples[-offset:]
        self._data = np.concatenate([self._data, samples])
        self._end += len(samples)
        return samples

    def slice(self, start: float, count: int) -> np.ndarray:
        """``count`` samples from ``start`` (s); silence where nothing is held."""
        out = np.zeros(count, np.float32)
        if self.origin is None:
            return out
        lo = int(round((start - self.origin) * self.rate)) - self._first
        a, b = max(lo, 0), min(lo + count, len(self._data))
        if b > a:
            out[a - lo : b - lo] = self._data[a:b]
        return out

    def drop_before(self, time: float) -> None:
        """Forget samples before ``time``: nothing pending needs them any more."""
        if self.origin is None:
            return
        cut = min(int(np.floor((time - self.origin) * self.rate)) - self._first, len(self._data))
        if cut > 0:
            self._data = self._data[cut:]
            self._first += cut
