"""Audio on the video's time axis, and the MFCC features Light-ASD was trained on."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import python_speech_features

from speakerid.io.container import open_media

# Light-ASD computed MFCCs from 16-bit WAV samples, so float audio is scaled back to that range
# (the scale changes the energy coefficient).
_INT16_SCALE = 32768.0


@dataclass
class AudioTrack:
    """Mono float32 samples in [-1, 1]; sample ``i`` plays at ``start_time + i / sr`` (PTS, s)."""

    samples: np.ndarray
    sr: int
    start_time: float


def _resampled(
    container: av.container.InputContainer, stream: av.AudioStream, sr: int, end: float | None
) -> Iterator[tuple[float, np.ndarray]]:
    """(first PTS, chunk) pairs of one continuous resampler run from the first packet.

    Always starting at the first packet keeps the sample grid (and the resampler's filter
    state) identical whatever ``start`` is, so a trimmed read equals a slice of a full read.
    """
    resampler = av.AudioResampler(format="flt", layout="mono", rate=sr)
    first: float | None = None
    for frame in container.decode(stream):
        first = frame.time if first is None else first
        if end is not None and frame.time >= end:
            break
        for out in resampler.resample(frame):
            yield first, out.to_ndarray().reshape(-1)
    for out in resampler.resample(None):
        yield first, out.to_ndarray().reshape(-1)


def read_audio_track(
    path: str | Path, sr: int = 16000, start: float | None = None, end: float | None = None
) -> AudioTrack | None:
    """Decode the first audio stream resampled to ``sr`` Hz mono; None when there is none.

    Times are on the container's PTS axis, the same as ``read_frames`` times. With ``start``,
    sample 0 is exactly at ``start`` (zero-padded if the audio begins later); without it,
    sample 0 is the first audio PTS. Only [start, end) is kept in memory (64 kB per second).
    """
    with open_media(path) as container:
        if not container.streams.audio:
            return None
        stream = container.streams.audio[0]
        stream.thread_type = "AUTO"
        chunks: list[np.ndarray] = []
        first, skip, pos = None, 0, 0
        for first, chunk in _resampled(container, stream, sr, end):
            if pos == 0 and start is not None:
                skip = round((start - first) * sr)
            chunks.append(chunk[max(0, skip - pos) :])
            pos += len(chunk)
    if first is None:
        return AudioTrack(np.zeros(0, np.float32), sr, start or 0.0)
    samples = np.concatenate([np.zeros(max(0, -skip), np.float32), *chunks])
    t0 = first if start is None else start
    if end is not None:
        samples = samples[: max(0, round((end - t0) * sr))]
    return AudioTrack(samples=samples, sr=sr, start_time=t0)


def read_audio(
    path: str | Path, sr: int = 16000, start: float | None = None, end: float | None = None
) -> np.ndarray | None:
    """Samples of ``read_audio_track``: pass ``start`` to know where sample 0 lies."""
    track = read_audio_track(path, sr=sr, start=start, end=end)
    return None if track is None else track.samples


def mfcc(audio: np.ndarray, sr: int = 16000) -> np.ndarray:
    """(T, 13) float32 MFCCs, 25 ms window, 10 ms step, exactly as Light-ASD computed them."""
    features = python_speech_features.mfcc(
        np.asarray(audio, np.float64) * _INT16_SCALE, sr, numcep=13, winlen=0.025, winstep=0.010
    )
    return features.astype(np.float32)
