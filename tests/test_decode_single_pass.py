"""One demux pass gives sampled RGB frames, every frame's grey image and the audio together."""

from __future__ import annotations

import subprocess
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from speakerid.io import FrameBatch, read_frames
from speakerid.io.audio import read_audio_track
from speakerid.io.audio_window import AudioWindow

RATE = 16000


def single_pass(path: Path, **kwargs) -> list[FrameBatch]:
    return list(read_frames(path, fps=5.0, with_grey=True, audio_rate=RATE, **kwargs))


def streamed_audio(batches: list[FrameBatch]) -> tuple[float, np.ndarray]:
    chunks = [c for b in batches for c in b.audio]
    for (t, samples), (t_next, _) in zip(chunks, chunks[1:]):  # contiguous, in PTS order
        assert t_next == pytest.approx(t + len(samples) / RATE, abs=1e-9)
    return chunks[0][0], np.concatenate([s for _, s in chunks])


@pytest.mark.parametrize("window", [dict(), dict(start=3.0, end=7.5), dict(start=5.0), dict(start=7.0, end=8.0)])
def test_streamed_audio_equals_read_audio_track(hamilton: Path, window: dict) -> None:
    """start=5.0 and 7.0 seek (keyframes at 2.85 s and 4.86 s): the grid is kept, so the
    samples are still identical."""
    first, samples = streamed_audio(single_pass(hamilton, **window))
    track = read_audio_track(hamilton, sr=RATE, **window)
    assert samples.dtype == np.float32
    np.testing.assert_array_equal(samples, track.samples)
    assert first == pytest.approx(track.start_time, abs=0.5 / RATE)


def test_grey_covers_every_decoded_frame_once(hamilton: Path) -> None:
    window = dict(start=2.0, end=8.0)
    batches = single_pass(hamilton, batch_size=4, **window)
    every = list(read_frames(hamilton, fps=None, **window))
    all_times = np.concatenate([b.times for b in every])
    grey_times = np.array([t for b in batches for t, _ in b.grey])
    np.testing.assert_array_equal(grey_times, all_times)
    for batch in batches[:-1]:  # each batch's grey images end at its last sampled frame
        assert len(batch) == 4 and batch.grey[-1][0] == batch.times[-1]
    assert batches[-1].grey[-1][0] == all_times[-1]
    sampled = {t: f for b in batches for t, f in zip(b.times, b.frames)}
    diffs = [
        np.abs(g.astype(int) - cv2.cvtColor(sampled[t], cv2.COLOR_RGB2GRAY)).mean()
        for b in batches
        for t, g in b.grey
        if t in sampled
    ]
    assert len(diffs) == sum(len(b) for b in batches) and max(diffs) < 1.5


def test_single_pass_frames_equal_the_plain_read(hamilton: Path) -> None:
    plain = list(read_frames(hamilton, fps=5.0, start=4.0, batch_size=1))
    both = single_pass(hamilton, start=4.0, batch_size=1)
    got = both[:-1]
    assert len(both[-1]) == 0 and both[-1].grey and both[-1].audio  # the rest, after the last
    assert both[-1].frames.shape == (0, 360, 640, 3)  # sampled frame
    assert len(got) == len(plain)
    for a, b in zip(plain, got):
        np.testing.assert_array_equal(a.indices, b.indices)
        np.testing.assert_array_equal(a.frames, b.frames)


def test_grey_is_display_oriented(hamilton: Path, tmp_path: Path) -> None:
    path = tmp_path / "rotated.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-i",
            str(hamilton),
            "-t",
            "1",
            "-c",
            "copy",
            "-metadata:s:v",
            "rotate=90",
            str(path),
        ],
        check=True,
    )
    batch = next(iter(single_pass(path, batch_size=1)))
    _, grey = batch.grey[0]
    assert grey.shape == (640, 360) == batch.frames.shape[1:3]
    assert np.abs(grey.astype(int) - cv2.cvtColor(batch.frames[0], cv2.COLOR_RGB2GRAY)).mean() < 1.5


def test_video_without_audio_gives_no_chunks(hamilton: Path, tmp_path: Path) -> None:
    path = tmp_path / "silent.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(hamilton), "-c", "copy", "-an", str(path)], check=True)
    batches = single_pass(path, end=3.0)
    assert sum(len(b.grey) for b in batches) > 0 and not any(b.audio for b in batches)


@pytest.mark.parametrize("kwargs", [dict(with_grey=True), dict(audio_rate=RATE)])
def test_decord_refuses_single_pass(hamilton: Path, kwargs: dict) -> None:
    with pytest.raises(ValueError, match="pyav"):
        read_frames(hamilton, backend="decord", **kwargs)


def test_invalid_audio_rate(hamilton: Path) -> None:
    with pytest.raises(ValueError, match="audio_rate"):
        read_frames(hamilton, audio_rate=0)


# ---- the resampler grid after a seek, on a synthetic signal ----


def _frames(signal: np.ndarray, rate: int, size: int) -> list[av.AudioFrame]:
    frames = []
    for pts in range(0, len(signal) - size + 1, size):
        frame = av.AudioFrame.from_ndarray(signal[None, pts : pts + size], format="fltp", layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = rate, pts, Fraction(1, rate)
        frames.append(frame)
    return frames


@pytest.mark.parametrize("rate_in", [44100, 48000, 22050])
def test_audio_window_keeps_the_grid_when_starting_late(rate_in: int) -> None:
    rng = np.random.default_rng(0)
    signal = rng.standard_normal(rate_in * 3).astype(np.float32) * 0.3  # white: every phase shows
    frames = _frames(signal, rate_in, 1024)
    start, end = 1.5, 2.5

    def run(frames: list[av.AudioFrame], origin: float | None) -> tuple[float, np.ndarray]:
        window = AudioWindow(RATE, start, end, origin)
        chunks = [c for f in frames for c in window.push(f)] + window.finish()
        return chunks[0][0], np.concatenate([s for _, s in chunks])

    full = run(frames, None)
    late = run(frames[31:], origin=0.0)  # ~0.7 s after the first frame, off the output grid
    assert late[0] == full[0]
    np.testing.assert_allclose(late[1], full[1], atol=1e-6)
    shifted = run(frames[31:], origin=None)  # the frame's own grid: a fraction of a sample off
    assert np.abs(shifted[1][: len(full[1])] - full[1][: len(shifted[1])]).max() > 0.05
