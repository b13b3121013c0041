"""Audio-visual synchrony: how well a face's mouth motion follows the loudness of the voice.

Light-ASD adds its audio and visual features frame by frame; it tells "lips move while a voice
is heard", not "these lips make this voice" (it scores a foreign voice or a 2 s shifted copy as
high as the real one). When two visible faces both move their lips during speech, the talker
should be the one whose mouth opens and closes with the syllables. We measure that on the
network's own 112x112 crops and the same audio, in the manner of SyncNet's offset confidence:

* mouth motion per 25 fps frame: mean absolute grey-level change since the previous frame in
  the mouth region of the crop, minus the same in the nose band above it (head motion and
  lighting move both; speech moves mostly the mouth);
* voice envelope per frame: log energy of the 100-4000 Hz band over the frame's 40 ms;
* both band-passed to the syllable rate (1-8 Hz), then correlated at lags from -0.48 to +0.48 s;
* synchrony = the highest correlation with the sound 0-120 ms after the lips (where speech
  physiology puts it) minus the median correlation over all lags. On synthetic talking faces
  the own voice gives 0.46 +- 0.08 and another voice 0.12 +- 0.11.

Limits: weak evidence on real footage. A 2-4 s window is a small sample: on the bundled clip
unrelated sound reaches -0.4..+0.5 against +0.2..+0.5 for the real talker, and a synthetic
foreign voice scored higher than the real one. Music, several voices at once, a face below
~40 px or a hand or microphone over the mouth make it worse. So it only breaks ties between
faces the network already judged talking (docs/active_speaker.md has the figures).
"""

from __future__ import annotations

import numpy as np
from scipy.signal import butter, sosfiltfilt

from speakerid.asd.stream import GRID_FPS, SAMPLE_RATE

_MOUTH = (slice(56, 100), slice(28, 84))  # rows, cols of the crop around the mouth
_NOSE = (slice(4, 40), slice(28, 84))  # upper band of the crop: nose and cheeks
_PEAK_LAGS = range(0, 4)  # frames the voice may trail the lips by (0-120 ms)
_ALL_LAGS = range(-12, 13)  # +-0.48 s: the off-sync baseline
MIN_FRAMES = 38  # shorter windows (1.5 s) give no synchrony (NaN)
_SYLLABLES = butter(2, [1.0, 8.0], btype="bandpass", fs=GRID_FPS, output="sos")


def mouth_motion(crops: np.ndarray) -> np.ndarray:
    """(T,) mouth-region motion of (T,112,112) uint8 crops; the first frame repeats the second."""
    crops = np.asarray(crops, np.float32)
    if len(crops) < 2:
        return np.zeros(len(crops))
    diff = np.abs(np.diff(crops, axis=0))
    motion = diff[(slice(None), *_MOUTH)].mean(axis=(1, 2)) - diff[(slice(None), *_NOSE)].mean(axis=(1, 2))
    return np.concatenate([motion[:1], motion])


def voice_envelope(samples: np.ndarray, frames: int, rate: int = SAMPLE_RATE) -> np.ndarray:
    """(frames,) log energy of the speech band (100-4000 Hz) per 25 fps frame of ``samples``."""
    per = int(round(rate / GRID_FPS))
    block = np.zeros(frames * per, np.float64)
    got = np.asarray(samples, np.float64)[: frames * per]
    block[: len(got)] = got
    if len(block) > 64:
        block = sosfiltfilt(_speech_band(rate), block)
    return np.log((block.reshape(frames, per) ** 2).mean(axis=1) + 1e-10)


def synchrony(crops: np.ndarray, samples: np.ndarray, rate: int = SAMPLE_RATE) -> float:
    """Peak lip-voice correlation at 0-120 ms minus its median over +-0.48 s; NaN when the
    window is shorter than 1.5 s or either signal is flat (a still image, digital silence)."""
    if len(crops) < MIN_FRAMES:
        return np.nan
    motion = sosfiltfilt(_SYLLABLES, mouth_motion(crops))
    voice = sosfiltfilt(_SYLLABLES, voice_envelope(samples, len(crops), rate))
    if motion.std() < 1e-6 or voice.std() < 1e-6:
        return np.nan
    corr = {lag: _lagged_correlation(motion, voice, lag) for lag in _ALL_LAGS}
    return float(max(corr[lag] for lag in _PEAK_LAGS) - np.median(list(corr.values())))


def _lagged_correlation(motion: np.ndarray, voice: np.ndarray, lag: int) -> float:
    """Pearson correlation of motion at t with voice at t + lag frames."""
    if lag >= 0:
        a, b = motion[: len(motion) - lag], voice[lag:]
    else:
        a, b = motion[-lag:], voice[: len(voice) + lag]
    if a.std() < 1e-9 or b.std() < 1e-9:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def _speech_band(rate: int) -> np.ndarray:
    return butter(4, [100.0, min(4000.0, 0.45 * rate)], btype="bandpass", fs=rate, output="sos")
