"""Audio decoding and MFCCs on the real clip, checked against the ffmpeg CLI and Light-ASD's recipe."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
import python_speech_features

from speakerid.errors import VideoReadError
from speakerid.io import probe
from speakerid.io.audio import mfcc, read_audio, read_audio_track

SR = 16000


@pytest.fixture(scope="module")
def full_track(hamilton: Path):
    return read_audio_track(hamilton)


def test_full_read_equals_ffmpeg_cli(hamilton: Path, full_track) -> None:
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(hamilton), "-vn", "-ac", "1", "-ar",
                          str(SR), "-f", "f32le", "-"], capture_output=True, check=True).stdout
    reference = np.frombuffer(raw, np.float32)
    samples = full_track.samples
    assert samples.dtype == np.float32 and samples.ndim == 1
    assert len(samples) == pytest.approx(len(reference), abs=2)
    n = min(len(samples), len(reference))
    np.testing.assert_allclose(samples[:n], reference[:n], atol=1e-4)
    assert 0.01 < np.sqrt(np.mean(samples**2)) and np.abs(samples).max() <= 1.0
    # sample 0 is the first audio PTS (AAC priming: 353 samples at 44.1 kHz)
    assert full_track.start_time == pytest.approx(353 / 44100, abs=1e-4)
    np.testing.assert_array_equal(read_audio(hamilton), samples)


@pytest.mark.parametrize("start,end", [(0.852, 3.0), (4.0, 5.5), (0.0, 1.0)])
def test_trimmed_read_is_aligned_slice(hamilton: Path, full_track, start: float, end: float) -> None:
    track = read_audio_track(hamilton, start=start, end=end)
    assert track.start_time == start
    assert len(track.samples) == round((end - start) * SR)
    offset = round((start - full_track.start_time) * SR)
    padded = np.concatenate([np.zeros(max(0, -offset), np.float32), full_track.samples[max(0, offset):]])
    expected = padded[: len(track.samples)]
    body = slice(0, len(expected) - 200)  # the resampler's flush at ``end`` touches the tail
    np.testing.assert_allclose(track.samples[body], expected[body], atol=1e-6)


def test_no_audio_stream_gives_none(hamilton: Path, tmp_path: Path) -> None:
    silent = tmp_path / "silent.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(hamilton), "-an", "-c", "copy", str(silent)],
                   check=True)
    assert read_audio(silent) is None
    assert probe(silent).has_audio is False


def test_unreadable_file_raises(tmp_path: Path) -> None:
    with pytest.raises(VideoReadError, match="file not found"):
        read_audio(tmp_path / "missing.mp4")


def test_mfcc_matches_light_asd_recipe(full_track) -> None:
    audio = full_track.samples[: 3 * SR]
    features = mfcc(audio)
    assert features.dtype == np.float32
    assert features.shape == (1 + int(np.ceil((len(audio) - 400) / 160)), 13)  # 100 rows / s
    # Light-ASD: 16-bit WAV samples straight into python_speech_features.mfcc
    wav = np.round(audio * 32767).astype(np.int16)
    reference = python_speech_features.mfcc(wav, SR, numcep=13, winlen=0.025, winstep=0.010)
    np.testing.assert_allclose(features, reference, rtol=1e-3, atol=0.05)
