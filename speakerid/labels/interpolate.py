"""Face boxes on the frames between analysed ones, so the App does not blink while it plays.

speakerid analyses a few frames per second (5 of 29.97 by default); the App draws labels only
on frames that have them, so a face box would show on 1 frame in 6. Each track seen on two
consecutive analysed frames gets a box on every frame between them, linearly interpolated
(the optical-flow tracker moves boxes smoothly between keyframes, so a straight line is what it
would have drawn). A track is never bridged across a missed analysed frame: it was lost there
(a cut, an occlusion), and a box drawn through the gap would be a guess.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Sighting:
    """One face box of one track on one frame: ``box`` is FiftyOne's relative [x, y, w, h];
    ``source``: what the caller keeps with it (its label), carried to the boxes made from it."""

    track: int
    box: tuple[float, float, float, float]
    source: Any = field(default=None, compare=False)


def analysed_step(video_fps: float, analysed_fps: float) -> int:
    """The largest gap (in video frames) between two consecutive analysed frames of a track
    that counts as "seen on both": one analysis step, rounded up, plus one frame of PTS jitter."""
    if not (video_fps > 0 and analysed_fps > 0):
        raise ValueError(f"frame rates must be positive, got {video_fps} and {analysed_fps}")
    return max(1, math.ceil(video_fps / min(analysed_fps, video_fps))) + 1


def between_frames(frames: Mapping[int, Sequence[Sighting]], max_gap: int) -> Iterator[tuple[int, list[Sighting]]]:
    """``(frame number, sightings)`` for every frame strictly between two analysed frames (keys
    of ``frames``, at most ``max_gap`` apart) where a track is on both; each box is interpolated
    and carries the earlier sighting's ``source``. Frames come in increasing order."""
    numbers = sorted(frames)
    for a, b in zip(numbers, numbers[1:]):
        if b - a > max_gap or b - a < 2:
            continue
        after = {s.track: s for s in frames[b]}
        pairs = [(s, after[s.track]) for s in frames[a] if s.track in after]
        if not pairs:
            continue
        for n in range(a + 1, b):
            t = (n - a) / (b - a)
            yield n, [Sighting(s.track, _lerp(s.box, e.box, t), s.source) for s, e in pairs]


def _lerp(a: Sequence[float], b: Sequence[float], t: float) -> tuple[float, float, float, float]:
    x, y, w, h = (float(u + (v - u) * t) for u, v in zip(a, b))
    return x, y, w, h
