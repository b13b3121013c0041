"""Audio resampled and cut to [start, end) while the frames are being decoded (one pass).

The grid and the cut are those of ``speakerid.io.audio.read_audio_track``: one resampler run
from the stream's first audio frame, sample ``i`` at ``first + i / rate``, samples before
``round((start - first) * rate)`` dropped and the total cut at ``round((end - start) * rate)``,
so the concatenated chunks equal its samples. After a seek the run begins at the first audio
frame after the seek point; a few zero samples are put in front so that the resampler's output
grid stays the full read's (a grid shifted by a fraction of a sample changes every sample by
up to 10-20 % of the signal), and the decoder's and resampler's warm-up falls in the seek's
preroll. Audio that begins after ``start`` is not zero-padded: the chunk times say where it is.
"""

from __future__ import annotations

import math
from fractions import Fraction

import av
import numpy as np


class AudioWindow:
    """Feed decoded audio frames in order; get (time of first sample, mono float32) chunks."""

    def __init__(self, rate: int, start: float | None, end: float | None, origin: float | None = None) -> None:
        """``origin``: time of the stream's first audio frame when the run starts later (seek)."""
        self.rate = rate
        self.origin = origin
        self.start = start
        self.end = end
        self.first: float | None = None  # the grid's origin (time of position 0)
        self.began: float | None = None  # time of the first frame pushed
        self.done = False
        self._resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        self._pos = 0  # samples the resampler has produced so far
        self._lo = 0
        self._hi = math.inf

    def push(self, frame: av.AudioFrame) -> list[tuple[float, np.ndarray]]:
        """Chunks completed by ``frame``; a frame at or after ``end`` finishes the window."""
        if self.done:
            return []
        chunks = []
        if self.first is None:
            pad = self._anchor(frame)
            if pad is not None:
                chunks = self._cut(self._resampler.resample(pad))
        if self.end is not None and frame.time >= self.end:
            return chunks + self.finish()
        return chunks + self._cut(self._resampler.resample(frame))

    def finish(self) -> list[tuple[float, np.ndarray]]:
        """The resampler's tail; nothing is accepted afterwards."""
        if self.done:
            return []
        self.done = True
        return [] if self.first is None else self._cut(self._resampler.resample(None))

    def missed_start(self) -> bool:
        """True when the run began after ``start`` though the stream has audio before it (a seek
        that positioned the audio too late): the audio in between would be missing."""
        if self.began is None or self.start is None or self.origin is None:
            return False
        return self.began > max(self.start, self.origin) + 1e-3

    def _anchor(self, frame: av.AudioFrame) -> av.AudioFrame | None:
        """Fix the grid and the cut at the first frame; the silence to resample before it."""
        self.began = first = frame.time
        pad = None
        if self.origin is not None and first != self.origin:
            first, pad = self._align(frame)
        self.first = first
        skip = 0 if self.start is None else round((self.start - first) * self.rate)
        origin = first if self.start is None else self.start
        self._lo = max(skip, 0)
        if self.end is not None:
            self._hi = round((self.end - origin) * self.rate) + skip
        return pad

    def _align(self, frame: av.AudioFrame) -> tuple[float, av.AudioFrame | None]:
        """Anchor and leading silence that put a run starting at ``frame`` on ``origin``'s grid.

        The frame lies ``m`` input samples after ``origin``; ``q = m mod P`` silent samples in
        front (``P`` input samples span a whole number of output samples) make the run start
        ``(m - q) * rate / input_rate`` output samples after ``origin``, on its grid.
        """
        offset = (frame.time - self.origin) * frame.sample_rate
        m = round(offset)
        if m < 0 or abs(offset - m) > 1e-3:  # not on the input grid: keep the frame's own
            return frame.time, None
        step = Fraction(self.rate, frame.sample_rate)
        q = m % step.denominator
        self._pos = int((m - q) * step)
        if q == 0:
            return self.origin, None
        pad = av.AudioFrame(format=frame.format.name, layout=frame.layout.name, samples=q)
        for plane in pad.planes:
            plane.update(bytes(plane.buffer_size))
        pad.sample_rate = frame.sample_rate
        return self.origin, pad

    def _cut(self, frames: list[av.AudioFrame]) -> list[tuple[float, np.ndarray]]:
        chunks = []
        for out in frames:
            samples = out.to_ndarray().reshape(-1)
            lo, hi = self._pos, self._pos + len(samples)
            self._pos = hi
            a, b = max(lo, self._lo), min(hi, self._hi)
            if b > a:
                chunks.append((self.first + a / self.rate, samples[a - lo : b - lo]))
        return chunks
