"""The frame's speaker: by default the dominant identified face, then smoothed over time.

Dominance rule (documented in docs/cli.md): among faces with a known identity, the one with the
largest ``relative area * (1 - 0.5 * distance from centre)``; the distance is measured from the
frame centre in units of the half-diagonal, so a face in a corner counts half its area. A frame
with faces but no identified face has speaker ``unknown``; a frame with no face has ``None``.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from speakerid.results import UNKNOWN, FaceResult, FrameResult


def dominance(face: FaceResult) -> float:
    """Area weighted by centrality, in relative (0..1) coordinates."""
    x, y, w, h = face.box
    dist = np.hypot(x + w / 2 - 0.5, y + h / 2 - 0.5) / np.hypot(0.5, 0.5)
    return float(w * h * (1.0 - 0.5 * dist))


def pick_speaker(faces: list[FaceResult], speaking_threshold: float | None = None) -> tuple[str | None, float | None]:
    """Speaker and confidence of one frame.

    With ``speaking_threshold`` set (active mode), the identified face with the highest
    speaking score at or above it wins; if nobody is judged speaking, fall back to dominance.
    """
    if not faces:
        return None, None
    known = [f for f in faces if f.identity != UNKNOWN]
    if not known:
        return UNKNOWN, max(f.confidence for f in faces)
    if speaking_threshold is not None:
        talking = [f for f in known if f.speaking is not None and f.speaking >= speaking_threshold]
        if talking:
            best = max(talking, key=lambda f: f.speaking or 0.0)
            return best.identity, best.confidence
    best = max(known, key=dominance)
    return best.identity, best.confidence


def smooth_speakers(frames: list[FrameResult], window: int) -> None:
    """Majority filter over ``window`` sampled frames: one-frame flickers take their context's label."""
    if window < 3 or len(frames) < 3:
        return
    labels = [f.speaker for f in frames]
    half = window // 2
    for i, fr in enumerate(frames):
        ctx = labels[max(0, i - half) : i + half + 1]
        label, n = Counter(ctx).most_common(1)[0]
        if label != labels[i] and n > len(ctx) // 2 and label is not None:
            fr.speaker = label
            same = [f.confidence for f in fr.faces if f.identity == label]
            fr.speaker_confidence = max(same) if same else None
