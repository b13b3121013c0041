"""Where video embeddings live on a dataset, and the similarity indexes built over them.

Video2Vec embeddings go to the sample field ``video2vec`` and to the ``video2vec`` attribute of
each temporal detection; zero-shot concept embeddings (``speakerid.video.concepts``) likewise to
``zeroshot``. FiftyOne brain similarity indexes (sklearn backend) over them name the registered
zoo model (``speakerid.video.zoo``), so the App's text search works on them: both kinds live in
the text encoder's space, so the prompt side is the same model.
"""

from __future__ import annotations

import numpy as np

FIELD = "video2vec"
BRAIN_KEY = "video2vec"
CLIPS_BRAIN_KEY = "video2vec_clips"


def build_indexes(
    samples,
    model_kwargs: dict,
    clips_field: str | None,
    clip_embs: dict[str, np.ndarray],
    field: str = FIELD,
    keys: tuple[str, str] = (BRAIN_KEY, CLIPS_BRAIN_KEY),
) -> list[str]:
    """sklearn similarity indexes over samples (and clips) of ``field`` answering text prompts in the App.

    ``model_kwargs`` reload the zoo model by name (a Video2Vec ``checkpoint``, or only a
    ``text_encoder`` for prompts).
    """
    import fiftyone.brain as fob

    from speakerid.video.zoo import ZOO_MODEL_NAME, register_zoo_model  # imports fiftyone: on use only

    register_zoo_model()
    kwargs = {"model": ZOO_MODEL_NAME, "model_kwargs": model_kwargs, "backend": "sklearn", "metric": "cosine"}
    built = []
    for key in keys:
        if samples.has_brain_run(key):
            samples.delete_brain_run(key)
    view = samples.exists(field)
    if len(view):
        fob.compute_similarity(view, embeddings=field, brain_key=keys[0], **kwargs)
        built.append(keys[0])
    if clips_field and clip_embs:
        clips = samples.to_clips(clips_field).select(list(clip_embs))
        ids = clips.values("id")
        fob.compute_similarity(clips, embeddings=np.stack([clip_embs[i] for i in ids]), brain_key=keys[1], **kwargs)
        built.append(keys[1])
    return built
