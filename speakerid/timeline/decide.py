"""Each analysed frame's speaker, decided from its faces and smoothed over time.

One function for the pipeline and for relabelling in the App (naming a cluster changes faces'
identities, so the frame speakers, segments and screen time are decided again the same way).
"""

from __future__ import annotations

from collections.abc import Sequence

from speakerid.results import FrameResult
from speakerid.timeline.speaker import pick_speaker, smooth_labels


def frame_speakers(frames: Sequence[FrameResult], analysed_fps: float, smooth_s: float,
                   speaking_threshold: float | None = None) -> list[tuple[str | None, float | None]]:
    """(speaker, confidence) per frame: ``pick_speaker``, then a majority filter over ``smooth_s``
    seconds; a frame the filter relabels takes its new speaker's confidence on that frame."""
    picked = [pick_speaker(fr.faces, speaking_threshold) for fr in frames]
    smoothed = smooth_labels([s for s, _ in picked], int(round(smooth_s * analysed_fps)) | 1)
    out = []
    for fr, (label, conf), new in zip(frames, picked, smoothed):
        if new != label:
            same = [f.confidence for f in fr.faces if f.identity == new]
            label, conf = new, (max(same) if same else None)
        out.append((label, conf))
    return out
