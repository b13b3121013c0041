"""Light-ASD scoring of 25 fps face crops, and the one-call convenience over a whole video.

:class:`ActiveSpeakerScorer` holds the network and runs it on crops and their MFCC rows in
windows of at most ``window_seconds`` (a chunk is cut into the fewest near-equal windows, so
none is a short leftover without context; several lengths can be given and are averaged, like
the reference's multi-duration evaluation, at proportional cost). It returns the probability of
the "speaking" class, ``softmax(logits)[1]``.

Everything between a video and those crops (25 fps resampling, box smoothing, crops, audio,
voice gate, synchrony rule) lives in :class:`speakerid.asd.collector.ActiveSpeakerCollector`,
which the pipeline feeds during its single decode pass; :meth:`ActiveSpeakerScorer.score_tracks`
feeds it from one decode of the tracks' span, for callers that have tracks but no pipeline.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from speakerid.asd.model import AUDIO_ROWS_PER_FRAME
from speakerid.asd.stream import GRID_FPS
from speakerid.asd.weights import load_light_asd


class ActiveSpeakerScorer:
    """Light-ASD on CPU or GPU: how likely each face of a track is speaking, in 0..1.

    ``weights``: a local state-dict path, a release name (``"pretrain_AVA_CVPR.model"``), or
    None for ``$SPEAKERID_ASD_WEIGHTS`` / cache / download (see :mod:`speakerid.asd.weights`).
    ``window_seconds``: the window lengths whose scores are averaged (more lengths = steadier
    scores, proportionally more compute).
    ``max_batch_frames`` bounds memory: about 0.4 MB of activations per frame in a batch.
    """

    def __init__(
        self,
        weights: str | Path | None = None,
        device: str = "cpu",
        window_seconds: Sequence[float] = (4.0,),
        max_batch_frames: int = 200,
    ) -> None:
        self.model = load_light_asd(weights, device)
        self.device = device
        self.window_frames = sorted({max(1, round(w * GRID_FPS)) for w in window_seconds})
        self.max_batch_frames = max_batch_frames

    def score_tracks(
        self,
        video_path: str | Path,
        tracks: Sequence[tuple[np.ndarray, np.ndarray]],
        audio: np.ndarray | None = None,
        **rules,
    ) -> list[np.ndarray]:
        """Speaking scores (0..1, NaN where no frame was found) at each track's times.

        ``tracks``: (times (N,) in s on the video's PTS axis, boxes (N,4) x1,y1,x2,y2 pixels).
        The tracks' span is decoded once (video and audio in one pass) and fed to an
        :class:`~speakerid.asd.collector.ActiveSpeakerCollector`, so the voice gate and the
        synchrony rule apply; ``rules`` are its keyword options (``threshold``, ``voice_gate``,
        ``sync_rule``). ``audio``: 16 kHz mono samples with sample ``i`` at ``i / 16000`` s,
        used instead of the file's sound (e.g. to test a dubbed or muted version).
        Raises VideoReadError if the video is unreadable, or has no audio and none is given.
        """
        from speakerid.asd.collector import ActiveSpeakerCollector
        from speakerid.asd.feed import feed_tracks

        return feed_tracks(ActiveSpeakerCollector(self, **rules), video_path, tracks, audio)

    def score_crops(self, crops: np.ndarray, mfcc_rows: np.ndarray) -> np.ndarray:
        """Raw per-frame scores for 25 fps crops (T,112,112) uint8 and their MFCCs (4T,13).

        The building block for callers that cut crops themselves (see :mod:`speakerid.asd.crops`).
        """
        windows = self._windows(len(crops))
        total = np.zeros(len(crops))
        counts = np.zeros(len(crops))
        for length, starts in windows.items():
            for batch in _batches(starts, max(1, self.max_batch_frames // length)):
                faces = np.stack([crops[s : s + length] for s in batch])
                rows = np.stack(
                    [mfcc_rows[AUDIO_ROWS_PER_FRAME * s : AUDIO_ROWS_PER_FRAME * (s + length)] for s in batch]
                )
                with torch.inference_mode():
                    out = (
                        self.model(torch.from_numpy(rows).to(self.device), torch.from_numpy(faces).to(self.device))
                        .cpu()
                        .numpy()
                    )
                for s, scores in zip(batch, out):
                    total[s : s + length] += scores
                    counts[s : s + length] += 1
        return total / counts

    def _windows(self, n: int) -> dict[int, list[int]]:
        """Window length -> start frames: for each window length, 0..n cut into the fewest
        near-equal windows no longer than it (no overlap, so no frame is computed twice per
        length, and no short leftover window lacking context)."""
        windows: dict[int, list[int]] = {}
        for count in sorted({-(-n // length) for length in self.window_frames}):
            bounds = np.linspace(0, n, count + 1).round().astype(int)
            for start, stop in zip(bounds[:-1], bounds[1:]):
                windows.setdefault(int(stop - start), []).append(int(start))
        return windows


def _batches(items: list[int], size: int) -> list[list[int]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
