"""Silero VAD run from the silero-vad wheel's ONNX file, without torch, on real audio."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from speakerid.asd.vad import FRAME_SECONDS, VoiceActivity, silero_model_path
from speakerid.io.audio import read_audio_track

pytestmark = pytest.mark.slow  # loads the VAD model, decodes the clip's audio


@pytest.fixture(scope="module")
def speech(hamilton: Path):
    return read_audio_track(hamilton)


def test_model_ships_in_the_wheel_and_loads_without_torch():
    assert silero_model_path().name == "silero_vad_16k_sequence.onnx"
    code = (
        "import sys, numpy as np; from speakerid.asd.vad import VoiceActivity; "
        "v = VoiceActivity(0.0); v.push(np.zeros(16000, np.float32)); "
        "assert 'torch' not in sys.modules, 'torch was imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_hears_the_rap_and_not_silence_and_streams_exactly(speech):
    whole = VoiceActivity(speech.start_time)
    whole.push(speech.samples)
    whole.finish()
    probs = whole.probabilities()
    assert len(probs) == int(np.ceil(len(speech.samples) / 512))
    assert np.mean(probs >= 0.5) > 0.9  # Miranda raps from start to end
    pieces = VoiceActivity(speech.start_time)  # odd chunk sizes, as a decoder hands them out
    for lo in range(0, len(speech.samples), 937):
        pieces.push(speech.samples[lo : lo + 937])
    pieces.finish()
    np.testing.assert_allclose(pieces.probabilities(), probs, atol=1e-5)
    quiet = VoiceActivity(0.0)
    quiet.push(np.zeros(5 * 16000, np.float32))
    assert quiet.probabilities().max() < 0.1


def test_voice_at_times_takes_the_loudest_frame_within_the_padding():
    vad = VoiceActivity(origin=10.0)
    vad.push(np.zeros(16000, np.float32))  # 1 s: 31 whole frames; 128 samples wait for more
    vad._probs[: vad._count] = 0.0
    vad._probs[15] = 0.9  # speech at 10.48-10.51 s only
    times = np.array([9.0, 10.0, 10.3, 10.5, 10.7, 10.8, 11.1, 12.0])
    got = vad.voice(times, pad=0.2)
    assert list(got >= 0.5) == [False, False, True, True, True, False, False, False]
    assert vad.end_time == pytest.approx(10.0 + 31 * FRAME_SECONDS)
