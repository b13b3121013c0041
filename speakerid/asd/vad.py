"""Is anyone talking? Silero VAD on the audio track, streaming, with onnxruntime and no torch.

Why a separate voice detector: Light-ASD (TalkSet weights) reads moving lips as speech even when
the sound is digital silence (docs/active_speaker.md), so "speaking" must be gated on a voice
being heard. Silero VAD v6 (MIT, Silero Team) ships its ONNX weights inside the ``silero-vad``
wheel; we run its batched "sequence" export (``silero_vad_16k_sequence.onnx``: the LSTM state is
an input and output, so the stream can be fed in pieces and gives the streaming model's exact
probabilities) straight through onnxruntime. The package itself is never imported: its
``__init__`` imports torch and changes torch's thread count.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
from scipy.ndimage import maximum_filter1d

from speakerid.asd.stream import SAMPLE_RATE
from speakerid.weights import SILERO_VAD

FRAME = 512  # samples per VAD frame (32 ms)
FRAME_SECONDS = FRAME / SAMPLE_RATE
_CONTEXT = 64  # samples of the previous frame the model sees in front of each frame
_STATE = (1, 1, 128)
_MAX_FRAMES = 512  # frames per onnxruntime call (~16 s of audio)
VOICE_THRESHOLD = 0.5  # Silero's own default speech threshold
VOICE_PAD_SECONDS = 0.2  # a face time counts as voiced if speech is detected within +-0.2 s


def silero_model_path() -> Path:
    """The ONNX file inside the installed ``silero-vad`` wheel, found without importing it."""
    return SILERO_VAD.path()


@lru_cache(maxsize=1)
def _session():
    from speakerid.threads import onnx_session

    # a 300 k-parameter LSTM: more threads cost more than they save
    return onnx_session(silero_model_path(), threads=1)


class VoiceActivity:
    """Speech probability for every 32 ms of a 16 kHz mono stream fed in consecutive pieces.

    Frame ``i`` covers ``origin + [i, i + 1) * 0.032`` s. Memory: one float per 32 ms
    (450 kB per hour) plus less than one frame of pending samples.
    """

    def __init__(self, origin: float) -> None:
        self.origin = origin
        self._session = _session()
        self._h = np.zeros(_STATE, np.float32)
        self._c = np.zeros(_STATE, np.float32)
        self._context = np.zeros(_CONTEXT, np.float32)
        self._pending = np.zeros(0, np.float32)
        self._probs = np.zeros(4096, np.float32)  # grows by doubling; the first _count are set
        self._count = 0

    @property
    def end_time(self) -> float:
        """End of the audio whose probabilities are known."""
        return self.origin + self._count * FRAME_SECONDS

    def push(self, samples: np.ndarray) -> None:
        """Append samples (float32 in [-1, 1]) that follow the previous ones without a gap."""
        data = np.concatenate([self._pending, np.asarray(samples, np.float32).reshape(-1)])
        whole = len(data) // FRAME * FRAME
        self._pending = data[whole:]
        if whole:
            self._run(data[:whole].reshape(-1, FRAME))

    def finish(self) -> None:
        """Score the last partial frame, zero-padded (as Silero does)."""
        if len(self._pending):
            frame = np.zeros(FRAME, np.float32)
            frame[: len(self._pending)] = self._pending
            self._pending = np.zeros(0, np.float32)
            self._run(frame[None])

    def _run(self, frames: np.ndarray) -> None:
        for lo in range(0, len(frames), _MAX_FRAMES):
            block = frames[lo : lo + _MAX_FRAMES]
            contexts = np.concatenate([self._context[None], block[:-1, -_CONTEXT:]])
            probs, self._h, self._c = self._session.run(
                ["speech_probs", "hn", "cn"],
                {"input": np.concatenate([contexts, block], axis=1), "h": self._h, "c": self._c},
            )
            self._context = block[-1, -_CONTEXT:].copy()
            if self._count + len(block) > len(self._probs):
                self._probs = np.concatenate([self._probs, np.zeros_like(self._probs)])
            self._probs[self._count : self._count + len(block)] = np.asarray(probs).reshape(-1)
            self._count += len(block)

    def probabilities(self) -> np.ndarray:
        """(N,) speech probability of every 32 ms frame so far."""
        return self._probs[: self._count]

    def voice(self, times: np.ndarray, pad: float = VOICE_PAD_SECONDS) -> np.ndarray:
        """Highest speech probability within ``+-pad`` s of each time; 0 where nothing was heard.

        The padding bridges the short pauses between words and syllables, so a talking face is
        not switched off mid-sentence, and it makes up for face times sampled at ~5 fps.
        """
        probs = self.probabilities()
        times = np.asarray(times, np.float64).reshape(-1)
        out = np.zeros(len(times), np.float32)
        if not len(probs) or not len(times):
            return out
        half = int(round(pad / FRAME_SECONDS))
        index = np.floor((times - self.origin) / FRAME_SECONDS).astype(np.int64)
        inside = (index >= -half) & (index < len(probs) + half)
        if not inside.any():
            return out
        # only the stretch these times need: cost independent of the length of the video
        index = np.clip(index[inside], 0, len(probs) - 1)  # just outside: the nearest frame
        lo, hi = int(index.min()), int(index.max())
        first = max(lo - half, 0)
        stretch = probs[first : hi + half + 1]
        widened = maximum_filter1d(stretch, 2 * half + 1, mode="constant", cval=0.0)
        out[inside] = widened[index - first]
        return out
