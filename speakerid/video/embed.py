"""Video2Vec embeddings for whole videos and their clips, stored on the dataset and indexed.

A span (a whole video, or one temporal detection) is cut into the checkpoint's windows; its
embedding is the re-normalised mean of the window embeddings (the model was trained on windows,
so it is never run on sequences longer than it has seen). Results go to the sample field
``video2vec`` and to the ``video2vec`` attribute of each temporal detection, and a FiftyOne
brain similarity index (sklearn backend) is built whose model is the registered zoo model, so
the App's text search works on it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np

from speakerid.progress import progress_bar
from speakerid.video.clips import (Span, labelled_spans, num_frames, whole_video_spans,
                                   window_clips)
from speakerid.video.features import FeatureSettings, FeatureStore
from speakerid.video.model import load_checkpoint, predict, resolve_checkpoint
from speakerid.video.threads import torch_threads

FIELD = "video2vec"
BRAIN_KEY = "video2vec"
CLIPS_BRAIN_KEY = "video2vec_clips"


class VideoEmbedder:
    """A trained checkpoint plus its feature pipeline: spans -> (embedding, class logits)."""

    def __init__(self, checkpoint: str | Path, cache_root: str | Path | None = None,
                 threads: int | None = 1) -> None:
        self.checkpoint = resolve_checkpoint(checkpoint)
        self.model, self.meta = load_checkpoint(self.checkpoint)
        self.store = FeatureStore(FeatureSettings(**self.meta.features), cache_root)
        self.threads = threads

    def embed_spans(self, spans: list[Span], advance: Callable[[int], None] | None = None,
                    ) -> list[tuple[np.ndarray, np.ndarray] | None]:
        """Per span: (unit embedding (D,), mean logits (C,)), or None if no window had frames."""
        clips = window_clips(spans, self.meta.window_s)
        feats = self.store.get_many(clips, advance)
        ok = [i for i, f in enumerate(feats) if f is not None]
        with torch_threads(self.threads):
            logits, embs = predict(self.model, [feats[i] for i in ok])
        groups: dict[tuple, list[int]] = defaultdict(list)
        for row, i in enumerate(ok):
            c = clips[i]
            groups[(c.path, c.sample_id, c.clip_id, c.label)].append(row)
        out: list[tuple[np.ndarray, np.ndarray] | None] = []
        for span in spans:
            rows = groups.get((span.path, span.sample_id, span.clip_id, span.label))
            if not rows:
                out.append(None)
                continue
            mean = embs[rows].mean(axis=0)
            out.append((mean / max(np.linalg.norm(mean), 1e-12), logits[rows].mean(axis=0)))
        return out

    def embed_path(self, path: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(embedding, mean logits) of one whole video file, None if it yields no window."""
        return self.embed_spans([Span(path, None, 1, num_frames(path), path)])[0]


def _count_windows(spans: list[Span], window_s: float) -> int:
    return len(window_clips(spans, window_s))


def embed_dataset(samples, checkpoint: str | Path, clips_field: str | None = "speaker_segments",
                  brain: bool = True, quiet: bool = False, threads: int | None = 1) -> dict:
    """Store ``video2vec`` on every sample (and temporal detection of ``clips_field``); index them.

    Returns a summary: how many samples/clips were embedded and the brain keys built.
    """
    import fiftyone as fo

    embedder = VideoEmbedder(checkpoint, threads=threads)
    video_spans = whole_video_spans(samples)
    clip_spans = labelled_spans(samples, clips_field) if clips_field else []
    total = _count_windows(video_spans + clip_spans, embedder.meta.window_s)
    with progress_bar(quiet, unit="windows") as prog:
        task = prog.add_task("video2vec", total=total, rate="")
        adv = lambda n: prog.advance(task, n)  # noqa: E731
        video_res = embedder.embed_spans(video_spans, adv)
        clip_res = embedder.embed_spans(clip_spans, adv) if clip_spans else []
    by_id = {s.sample_id: (None if r is None else r[0]) for s, r in zip(video_spans, video_res)}
    samples.set_values(FIELD, [by_id[i] for i in samples.values("id")])
    n_clips = 0
    if clips_field:
        clip_embs = {s.clip_id: r[0] for s, r in zip(clip_spans, clip_res) if r is not None}
        n_clips = len(clip_embs)
        det_ids = samples.values(f"{clips_field}.detections.id")
        path = f"{clips_field}.detections.{FIELD}"
        if not samples.has_field(path):  # declared, so values come back as arrays, not bytes
            samples._dataset.add_sample_field(path, fo.VectorField)
        samples.set_values(path,
                           [[clip_embs.get(d) for d in (ids or [])] for ids in det_ids])
    summary = {"checkpoint": str(embedder.checkpoint), "samples": sum(
        v is not None for v in by_id.values()), "clips": n_clips, "brain_keys": []}
    if brain:
        summary["brain_keys"] = build_indexes(samples, embedder.checkpoint, clips_field, clip_embs
                                              if clips_field else {})
    return summary


def build_indexes(samples, checkpoint: Path, clips_field: str | None,
                  clip_embs: dict[str, np.ndarray]) -> list[str]:
    """sklearn similarity indexes over samples (and clips) answering text prompts in the App."""
    import fiftyone.brain as fob

    from speakerid.video.zoo import ZOO_MODEL_NAME, register_zoo_model

    register_zoo_model()
    kwargs = {"model": ZOO_MODEL_NAME, "model_kwargs": {"checkpoint": str(checkpoint)},
              "backend": "sklearn", "metric": "cosine"}
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
        fob.compute_similarity(clips, embeddings=np.stack([clip_embs[i] for i in ids]),
                               brain_key=CLIPS_BRAIN_KEY, **kwargs)
        keys.append(CLIPS_BRAIN_KEY)
    return keys
