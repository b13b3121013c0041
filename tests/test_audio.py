"""Audio decoding and MFCCs on the real clip, checked against the ffmpeg CLI and Light-ASD's recipe."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
import python_speech_features
import scipy.io.wavfile

from speakerid.errors import VideoReadError
from speakerid.io import probe
from speakerid.io.audio import mfcc, read_audio, read_audio_track

SR = 16000


@pytest.fixture(scope="module")
def full_track(hamilton: Path):
    return read_audio_track(hamilton)


def test_full_read_equals_ffmpeg_cli(hamilton: Path, full_track) -> None:
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(hamilton), "-vn", "-ac", "1", "-ar", str(SR), "-f", "f32le", "-"],
        capture_output=True,
        check=True,
    ).stdout
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
    padded = np.concatenate([np.zeros(max(0, -offset), np.float32), full_track.samples[max(0, offset) :]])
    expected = padded[: len(track.samples)]
    body = slice(0, len(expected) - 200)  # the resampler's flush at ``end`` touches the tail
    np.testing.assert_allclose(track.samples[body], expected[body], atol=1e-6)


def test_no_audio_stream_gives_none(hamilton: Path, tmp_path: Path) -> None:
    silent = tmp_path / "silent.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(hamilton), "-an", "-c", "copy", str(silent)], check=True)
    assert read_audio(silent) is None
    assert probe(silent).has_audio is False


def test_unreadable_file_raises(tmp_path: Path) -> None:
    with pytest.raises(VideoReadError, match="file not found"):
        read_audio(tmp_path / "missing.mp4")


def test_mfcc_equals_light_asd_on_light_asds_own_audio(hamilton: Path, full_track, tmp_path: Path) -> None:
    """Light-ASD extracts 16 kHz mono 16-bit WAV with ffmpeg and feeds the integers to
    python_speech_features; our MFCCs come from our own decoder's float samples. They must agree."""
    wav = tmp_path / "audio.wav"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-i",
            str(hamilton),
            "-vn",
            "-ac",
            "1",
            "-ar",
            str(SR),
            "-acodec",
            "pcm_s16le",
            str(wav),
        ],
        check=True,
    )
    rate, pcm = scipy.io.wavfile.read(wav)
    reference = python_speech_features.mfcc(pcm, rate, numcep=13, winlen=0.025, winstep=0.010)
    ours = mfcc(full_track.samples)
    assert ours.dtype == np.float32 and ours.shape[1] == 13
    assert abs(len(ours) - len(reference)) <= 1  # 100 rows per second of audio
    n = min(len(ours), len(reference))
    loud = reference[:n, 0] > np.log(1e4)  # skip near-silent frames, where 16-bit rounding dominates
    assert loud.sum() > 200
    np.testing.assert_allclose(ours[:n, 1:][loud], reference[:n, 1:][loud], rtol=1e-2, atol=0.1)
    # the energy coefficient may differ by one constant: ffmpeg scales a stereo down-mix to avoid
    # clipping when it writes integers (x 1/sqrt(2), log energy - log 2) and not when it writes floats
    gain = ours[:n, 0][loud] - reference[:n, 0][loud]
    assert gain.std() < 0.01, gain


def test_mfcc_energy_coefficient_is_the_log_energy_of_16_bit_samples(full_track) -> None:
    """Column 0 is log(frame energy) of the pre-emphasised samples on the 16-bit scale, computed
    here with numpy alone: float samples in [-1, 1] would be off by log(32768^2)."""
    audio = full_track.samples[: 2 * SR].astype(np.float64) * 32768.0
    emphasised = np.append(audio[0], audio[1:] - 0.97 * audio[:-1])
    frames = np.stack([emphasised[i * 160 : i * 160 + 400] for i in range(150)])
    energy = (np.abs(np.fft.rfft(frames, 512)) ** 2).sum(1) / 512
    np.testing.assert_allclose(mfcc(full_track.samples[: 2 * SR])[:150, 0], np.log(energy), rtol=1e-4)
