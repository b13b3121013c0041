"""Where video2vec embeddings live on a dataset, and the similarity indexes built over them.

Embeddings go to the sample field ``video2vec`` and to the ``video2vec`` attribute of each
temporal detection; FiftyOne brain similarity indexes (sklearn backend) over them name the
registered zoo model (``speakerid.video.zoo``), so the App's text search works on them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

FIELD = "video2vec"
BRAIN_KEY = "video2vec"
CLIPS_BRAIN_KEY = "video2vec_clips"


def build_indexes(samples, checkpoint: Path, clips_field: str | None, clip_embs: dict[str, np.ndarray]) -> list[str]:
    """sklearn similarity indexes over samples (and clips) answering text prompts in the App."""
    import fiftyone.brain as fob

    from speakerid.video.zoo import ZOO_MODEL_NAME, register_zoo_model  # imports fiftyone: on use only

    register_zoo_model()
    kwargs = {
        "model": ZOO_MODEL_NAME,
        "model_kwargs": {"checkpoint": str(checkpoint)},
        "backend": "sklearn",
        "metric": "cosine",
    }
    keys = []
    for key in (BRAIN_KEY, CLIPS_BRAIN_KEY):
        if samples.has_brain_run(key):
            samples.delete_brain_run(key)
    view = samples.exists(FIELD)
    if len(view):
        fob.compute_similarity(view, embeddings=FIELD, brain_key=BRAIN_KEY, **kwargs)
        keys.append(BRAIN_KEY)
    if clips_field and clip_embs:
        clips = samples.to_clips(clips_field).select(list(clip_embs))
        ids = clips.values("id")
        fob.compute_similarity(
            clips, embeddings=np.stack([clip_embs[i] for i in ids]), brain_key=CLIPS_BRAIN_KEY, **kwargs
        )
        keys.append(CLIPS_BRAIN_KEY)
    return keys
