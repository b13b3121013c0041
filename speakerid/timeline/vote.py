"""Identity per track by averaging its per-frame similarities (reference 003: average over frames)."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from speakerid.identity.calibrate import Calibration
from speakerid.results import UNKNOWN


def vote_tracks(
    track_ids: list[int],
    scores: list[np.ndarray],
    names: list[str],
    threshold: float,
    calibration: Calibration | None,
) -> dict[int, tuple[str, float, float]]:
    """``{track: (identity, confidence, mean similarity)}`` from each face's similarity row.

    Averaging a track's similarity vectors before taking the best person makes one blurred or
    turned-away frame unable to flip the identity of a face seen well elsewhere.
    """
    rows: dict[int, list[np.ndarray]] = defaultdict(list)
    for t, s in zip(track_ids, scores):
        rows[t].append(s)
    out = {}
    for t, rs in rows.items():
        mean = np.mean(rs, axis=0)
        best = int(mean.argmax())
        sim = float(mean[best])
        # without a calibration the scores are already class probabilities (trained classifiers)
        p = float(calibration.probability(sim)) if calibration else sim
        if sim >= threshold:
            out[t] = (names[best], p, sim)
        else:
            out[t] = (UNKNOWN, 1.0 - p, sim)
    return out
