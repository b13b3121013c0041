"""Video embeddings stored on a dataset and indexed: Video2Vec (trained) and zero-shot concepts
(no training); fields and indexes: ``speakerid.video.index``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from speakerid.fiftyone_private import dataset_of
from speakerid.video.clips import labelled_spans, whole_video_spans, window_clips
from speakerid.video.concepts import (
    BRAIN_KEY as CONCEPTS_KEY,
)
from speakerid.video.concepts import (
    CLIPS_BRAIN_KEY as CONCEPTS_CLIPS_KEY,
)
from speakerid.video.concepts import (
    CONCEPTS_FIELD,
    ConceptModel,
    ConceptSettings,
    span_probs,
    video_frame_probs,
)
from speakerid.video.concepts import FIELD as CONCEPTS
from speakerid.video.embedder import VideoEmbedder
from speakerid.video.index import FIELD, build_indexes

RECIPE_KEY = "speakerid_zeroshot_recipe"  # dataset.info: the recipe the stored concept vectors follow


def embed_dataset(
    samples,
    checkpoint: str | Path,
    clips_field: str | None = "speaker_segments",
    brain: bool = True,
    threads: int | None = 1,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Store ``video2vec`` on every sample (and temporal detection of ``clips_field``); index them.

    ``progress(done, total)`` is called as windows are embedded. Returns a summary: how many
    samples/clips were embedded and the brain keys built.
    """
    embedder = VideoEmbedder(checkpoint, threads=threads)
    video_spans = whole_video_spans(samples)
    clip_spans = labelled_spans(samples, clips_field) if clips_field else []
    total, done = len(window_clips(video_spans + clip_spans, embedder.meta.window_s)), 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, total)

    video_res = embedder.embed_spans(video_spans, advance)
    clip_res = embedder.embed_spans(clip_spans, advance) if clip_spans else []
    by_id = {s.sample_id: (None if r is None else r[0]) for s, r in zip(video_spans, video_res)}
    samples.set_values(FIELD, [by_id[i] for i in samples.values("id")])
    clip_embs: dict = {}
    if clips_field:
        clip_embs = {s.clip_id: r[0] for s, r in zip(clip_spans, clip_res) if r is not None}
        _declare_vector(samples, f"{clips_field}.detections.{FIELD}")
        det_ids = samples.values(f"{clips_field}.detections.id")
        samples.set_values(
            f"{clips_field}.detections.{FIELD}", [[clip_embs.get(d) for d in (ids or [])] for ids in det_ids]
        )
    summary = {
        "checkpoint": str(embedder.checkpoint),
        "samples": sum(v is not None for v in by_id.values()),
        "clips": len(clip_embs),
        "brain_keys": [],
    }
    if brain:
        kwargs = {"checkpoint": str(embedder.checkpoint)}
        summary["brain_keys"] = build_indexes(samples, kwargs, clips_field, clip_embs)
    return summary


def embed_concepts(
    samples,
    clips_field: str | None = "speaker_segments",
    settings: ConceptSettings | None = None,
    brain: bool = True,
    threads: int | None = 1,
    force: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Store zero-shot concept vectors (``zeroshot``) and their top classes on every video and clip.

    Resumable: a video whose vectors (its own and its clips') were made by the same recipe is
    skipped unless ``force``; each video is saved as soon as it is done. ``progress(done, total)``
    counts videos.
    """
    if clips_field and not samples.has_field(clips_field):
        clips_field = None
    model = ConceptModel(settings, threads)
    dataset = dataset_of(samples)
    if dataset.info.get(RECIPE_KEY) != model.settings.recipe:
        force = True
    _declare_vector(samples, CONCEPTS)
    _declare_strings(samples, CONCEPTS_FIELD)
    if clips_field:
        _declare_vector(samples, f"{clips_field}.detections.{CONCEPTS}")
        _declare_strings(samples, f"{clips_field}.detections.{CONCEPTS_FIELD}")
    todo = samples if force else _missing(samples, clips_field)
    total = len(todo)
    for done, sample in enumerate(todo.iter_samples(), 1):
        indices, probs = video_frame_probs(model, sample.filepath)
        if len(indices):
            sample[CONCEPTS], sample[CONCEPTS_FIELD] = model.embed(probs.mean(axis=0))
        for det in sample[clips_field].detections if clips_field and sample[clips_field] else []:
            mean = span_probs(indices, probs, int(det.support[0]), int(det.support[1]))
            if mean is not None:
                det[CONCEPTS], det[CONCEPTS_FIELD] = model.embed(mean)
        sample.save()
        if progress:
            progress(done, total)
    dataset.info[RECIPE_KEY] = model.settings.recipe
    dataset.save()
    clip_embs = {}
    if clips_field:
        ids, embs = samples.values([f"{clips_field}.detections.id", f"{clips_field}.detections.{CONCEPTS}"])
        clip_embs = {i: e for ii, ee in zip(ids, embs) for i, e in zip(ii or [], ee or []) if e is not None}
    summary = {
        "recipe": model.settings.recipe,
        "samples": len(samples.exists(CONCEPTS)),
        "clips": len(clip_embs),
        "computed": total,
        "brain_keys": [],
    }
    if brain:
        kwargs = {"text_encoder": model.settings.text_encoder}
        keys = (CONCEPTS_KEY, CONCEPTS_CLIPS_KEY)
        summary["brain_keys"] = build_indexes(samples, kwargs, clips_field, clip_embs, CONCEPTS, keys)
    return summary


def _missing(samples, clips_field: str | None):
    """The samples lacking a concept vector on themselves or on one of their clips."""
    from fiftyone import ViewField as F

    missing = ~F(CONCEPTS).exists()
    if clips_field:
        dets = F(f"{clips_field}.detections")
        missing |= dets.filter(~F(CONCEPTS).exists()).length() > 0
    return samples.match(missing)


def _declare_vector(samples, path: str) -> None:
    """Declare a vector field, so values come back as arrays, not bytes."""
    import fiftyone as fo

    if not samples.has_field(path):
        dataset_of(samples).add_sample_field(path, fo.VectorField)


def _declare_strings(samples, path: str) -> None:
    import fiftyone as fo

    if not samples.has_field(path):
        dataset_of(samples).add_sample_field(path, fo.ListField, subfield=fo.StringField)
