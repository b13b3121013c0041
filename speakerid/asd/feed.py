"""Feed an :class:`~speakerid.asd.collector.ActiveSpeakerCollector` from a file, for callers that
have face tracks but no pipeline (what :meth:`ActiveSpeakerScorer.score_tracks` runs)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from speakerid.asd.collector import ActiveSpeakerCollector
from speakerid.asd.stream import SAMPLE_RATE
from speakerid.errors import VideoReadError

_MARGIN = 0.3  # s decoded around the tracks: the grid frames at their ends, the voice padding
_BATCH_FPS = 2.0  # only grey frames are needed; few sampled RGB frames keep batches small


def feed_tracks(
    collector: ActiveSpeakerCollector,
    path: str | Path,
    tracks: Sequence[tuple[np.ndarray, np.ndarray]],
    audio: np.ndarray | None = None,
) -> list[np.ndarray]:
    """Score (times, boxes) tracks of ``path`` with ``collector``; one array per track.

    One decode of the tracks' span (video and audio in one pass, or ``audio``: 16 kHz samples
    with sample ``i`` at ``i / 16000`` s). Tracks given as arrays need not share times, so at
    every time of any track each track whose span covers it is given, its box interpolated
    between its own keyframes: a track is absent, hence ended, only after its last keyframe.
    """
    from speakerid.io import probe, read_frames

    spans = []
    for times, boxes in tracks:
        times, boxes = np.asarray(times, np.float64).reshape(-1), np.asarray(boxes, np.float64)
        if boxes.shape != (len(times), 4) or not len(times):
            raise ValueError(f"a track needs N>0 times and (N,4) boxes, got {times.shape} and {boxes.shape}")
        order = np.argsort(times, kind="stable")
        spans.append((times[order], boxes[order]))
    if not spans:
        return []
    if audio is None and not probe(path).has_audio:
        raise VideoReadError(path, "no audio stream: active speaker detection needs sound")
    moments = np.unique(np.concatenate([times for times, _ in spans]))
    if audio is not None:
        collector.add_audio(0.0, audio)
    fed = 0

    def boxes_until(before: float) -> None:
        nonlocal fed
        while fed < len(moments) and moments[fed] < before:
            t = float(moments[fed])
            collector.add_boxes(
                t, {i: _box_at(times, boxes, t) for i, (times, boxes) in enumerate(spans) if times[0] <= t <= times[-1]}
            )
            fed += 1

    for batch in read_frames(
        path,
        fps=_BATCH_FPS,
        batch_size=1,
        start=moments[0] - _MARGIN,
        end=moments[-1] + _MARGIN,
        with_grey=True,
        audio_rate=SAMPLE_RATE if audio is None else None,
    ):
        for time, chunk in batch.audio:
            collector.add_audio(time, chunk)
        for time, grey in batch.grey:
            boxes_until(time)
            collector.add_frame(time, grey)
    boxes_until(np.inf)
    results = collector.finish()
    out = []
    for index, (given, _) in enumerate(tracks):
        got_times, scores = results.get(index, (np.zeros(0), np.zeros(0)))
        given = np.asarray(given, np.float64).reshape(-1)
        out.append(np.interp(given, got_times, scores) if len(got_times) else np.full(len(given), np.nan))
    return out


def _box_at(times: np.ndarray, boxes: np.ndarray, t: float) -> np.ndarray:
    return np.array([np.interp(t, times, boxes[:, k]) for k in range(4)])
