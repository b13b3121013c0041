"""The frame's speaker: by default the dominant identified face, then smoothed over time.

Dominance rule (documented in docs/cli.md): among faces with a known identity, the one with the
largest ``relative area * (1 - 0.5 * distance from centre)``; the distance is measured from the
frame centre in units of the half-diagonal, so a face in a corner counts half its area. A frame
with faces but no identified face has speaker ``unknown``; a frame with no face has ``None``.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from speakerid.results import UNKNOWN, FaceResult


def dominance(face: FaceResult) -> float:
    """Area weighted by centrality, in relative (0..1) coordinates."""
    x, y, w, h = face.box
    dist = np.hypot(x + w / 2 - 0.5, y + h / 2 - 0.5) / np.hypot(0.5, 0.5)
    return float(w * h * (1.0 - 0.5 * dist))


def pick_speaker(faces: list[FaceResult], speaking_threshold: float | None = None) -> tuple[str | None, float | None]:
    """Speaker and confidence of one frame.

    With ``speaking_threshold`` set (active mode), the face with the highest speaking score at
    or above it is the speaker, identified or not (an unknown face that talks makes the frame's
    speaker ``unknown``, not the silent known face beside it); if nobody is judged speaking
    (e.g. no voice is heard), fall back to dominance.
    """
    if not faces:
        return None, None
    if speaking_threshold is not None:
        talking = [f for f in faces if f.speaking is not None and f.speaking >= speaking_threshold]
        if talking:
            best = max(talking, key=lambda f: f.speaking or 0.0)
            return best.identity, best.confidence
    known = [f for f in faces if f.identity != UNKNOWN]
    if not known:
        return UNKNOWN, max(f.confidence for f in faces)
    best = max(known, key=dominance)
    return best.identity, best.confidence


def smooth_labels(labels: list[str | None], window: int) -> list[str | None]:
    """Majority filter over ``window`` analysed frames: one-frame flickers take their context's
    label (a frame with no face keeps ``None``: nothing is invented where nobody is seen)."""
    if window < 3 or len(labels) < 3:
        return list(labels)
    half = window // 2
    out = list(labels)
    for i in range(len(labels)):
        ctx = labels[max(0, i - half) : i + half + 1]
        label, n = Counter(ctx).most_common(1)[0]
        if label != labels[i] and n > len(ctx) // 2 and label is not None and labels[i] is not None:
            out[i] = label
    return out
