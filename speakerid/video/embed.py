"""Video2Vec embeddings for whole videos and their clips, stored on the dataset and indexed
(fields and indexes: ``speakerid.video.index``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from speakerid.video.clips import labelled_spans, whole_video_spans, window_clips
from speakerid.video.embedder import VideoEmbedder
from speakerid.video.index import FIELD, build_indexes


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
    import fiftyone as fo

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
    n_clips = 0
    if clips_field:
        clip_embs = {s.clip_id: r[0] for s, r in zip(clip_spans, clip_res) if r is not None}
        n_clips = len(clip_embs)
        det_ids = samples.values(f"{clips_field}.detections.id")
        path = f"{clips_field}.detections.{FIELD}"
        if not samples.has_field(path):  # declared, so values come back as arrays, not bytes
            samples._dataset.add_sample_field(path, fo.VectorField)
        samples.set_values(path, [[clip_embs.get(d) for d in (ids or [])] for ids in det_ids])
    summary = {
        "checkpoint": str(embedder.checkpoint),
        "samples": sum(v is not None for v in by_id.values()),
        "clips": n_clips,
        "brain_keys": [],
    }
    if brain:
        summary["brain_keys"] = build_indexes(
            samples, embedder.checkpoint, clips_field, clip_embs if clips_field else {}
        )
    return summary
