"""Put Light-ASD speaking scores on the pipeline's faces (``--speaker-mode active``)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from speakerid.errors import ModelUnavailableError
from speakerid.results import FrameResult

FALLBACK = "used the dominant-face rule instead"


def add_speaking_scores(path: str | Path, frames: list[FrameResult], info: Any, models: Any) -> list[str]:
    """Fill ``FaceResult.speaking`` for every face of every track; return notes when it could not
    (no audio, no weights), in which case the caller falls back to the dominance rule."""
    from speakerid.asd.score import ActiveSpeakerScorer
    from speakerid.io.audio import read_audio

    if not info.has_audio:
        return [f"{path}: no audio stream, so nobody can be heard talking: {FALLBACK}"]
    scorer = models.extra.get("asd")
    if scorer is None:
        try:
            scorer = models.extra["asd"] = ActiveSpeakerScorer()
        except ModelUnavailableError as exc:
            return [f"active speaker model unavailable ({exc}): {FALLBACK}"]
    tracks: dict[int, list] = defaultdict(list)
    for fr in frames:
        for face in fr.faces:
            tracks[face.track].append((fr.time, face))
    if not tracks:
        return []
    scale = np.array([info.width, info.height, info.width, info.height], np.float32)
    inputs, members = [], []
    for items in tracks.values():
        times = np.array([t for t, _ in items])
        rel = np.array([f.box for _, f in items], np.float32)  # x, y, w, h relative
        boxes = np.concatenate([rel[:, :2], rel[:, :2] + rel[:, 2:]], axis=1) * scale
        inputs.append((times, boxes))
        members.append([f for _, f in items])
    audio = read_audio(path, start=0.0)
    for faces, scores in zip(members, scorer.score_tracks(path, inputs, audio)):
        for face, s in zip(faces, scores):
            face.speaking = None if np.isnan(s) else float(s)
    return []
