"""``compute_video_embeddings``: zero-shot concept (and Video2Vec) embeddings of the targeted videos.

The work is ``speakerid.video.embed`` (what ``speakerid embed-videos`` runs): resumable per video,
then the similarity indexes, so text search and "sort by similarity" in the App can use them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import fiftyone.operators as foo
import fiftyone.operators.types as types

from .annotate import _progress
from .common import SEGMENTS, button, require_videos


class ComputeVideoEmbeddings(foo.Operator):
    @property
    def config(self) -> foo.OperatorConfig:
        return foo.OperatorConfig(
            name="compute_video_embeddings",
            label="speakerid: compute video embeddings",
            description="Zero-shot concept embeddings (no training) and, with a checkpoint, Video2Vec, for text search",
            icon="movie_filter",
            dynamic=True,
            execute_as_generator=True,
            allow_immediate_execution=True,
            allow_delegated_execution=True,
        )

    def resolve_placement(self, ctx) -> types.Placement:
        return button(types.Places.SAMPLES_GRID_SECONDARY_ACTIONS, "Compute video embeddings")

    def resolve_input(self, ctx) -> types.Property:
        inputs = types.Object()
        target = ctx.target_view()
        inputs.str(
            "checkpoint",
            label="Video2Vec checkpoint (optional)",
            description="a speakerid train-video folder; empty: zero-shot concepts only",
        )
        inputs.bool("force", default=False, label="Recompute concept embeddings that exist")
        inputs.view("count", types.Notice(label=f"{len(target)} video(s) targeted, ~8 s CPU per minute of video"))
        return types.Property(inputs, view=types.View(label="Compute video embeddings"))

    def execute(self, ctx) -> Iterator[Any]:
        from speakerid.video.embed import embed_concepts, embed_dataset  # torch: the 'video' extra

        view = ctx.target_view()
        require_videos(view)
        clips = SEGMENTS if view.has_field(SEGMENTS) else None
        force = bool(ctx.params.get("force"))
        ids = view.values("id")
        for i, sample_id in enumerate(ids):
            yield from _progress(ctx, i / max(len(ids), 1), f"concepts: video {i + 1}/{len(ids)}")
            embed_concepts(view.select(sample_id), clips, brain=False, force=force)
        done = embed_concepts(view, clips)  # all present now: builds the indexes
        text = f"zero-shot concepts on {done['samples']} video(s), {done['clips']} clip(s)"
        checkpoint = (ctx.params.get("checkpoint") or "").strip()
        if checkpoint:
            yield from _progress(ctx, 0.9, "video2vec")
            v2v = embed_dataset(view, checkpoint, clips_field=clips)
            text += f"; video2vec on {v2v['samples']} video(s), {v2v['clips']} clip(s)"
        yield from _progress(ctx, 1.0, text)
        if not ctx.delegated:
            yield ctx.ops.reload_dataset()
            yield ctx.ops.notify(f"speakerid: {text}", variant="success")
        return
