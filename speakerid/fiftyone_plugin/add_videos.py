"""``add_videos``: add a video file or a folder of videos (on the App's machine) and annotate them.

One form: the path (checked as typed) plus the annotation form; the videos are added once
(``speakerid.labels.add_videos``), then labelled like **Annotate speakers** does, with progress.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import fiftyone.operators as foo
import fiftyone.operators.types as types

from speakerid.labels.add_videos import add_videos, input_problem

from .annotate import annotate_view, annotation_inputs
from .common import button, invalid


class AddVideos(foo.Operator):
    @property
    def config(self) -> foo.OperatorConfig:
        return foo.OperatorConfig(
            name="add_videos",
            label="speakerid: add and annotate videos",
            description="Add a video file or a folder of videos on this machine, and annotate them",
            icon="video_call",
            dynamic=True,
            execute_as_generator=True,
            allow_immediate_execution=True,
            allow_delegated_execution=True,
        )

    def resolve_placement(self, ctx) -> types.Placement:
        return button(types.Places.SAMPLES_GRID_SECONDARY_ACTIONS, "Add videos")

    def resolve_input(self, ctx) -> types.Property:
        inputs = types.Object()
        path = ctx.params.get("path")
        prop = inputs.str(
            "path",
            label="Video file or folder",
            required=True,
            description="a path on the machine running the App; a folder adds the videos directly inside it",
        )
        problem = input_problem(path) if path is not None else None
        if problem:
            invalid(prop, problem)
        annotation_inputs(ctx, inputs)
        return types.Property(inputs, view=types.View(label="Add and annotate videos"))

    def resolve_run_name(self, ctx) -> str:
        return f"speakerid: add videos to {ctx.dataset_name}"

    def execute(self, ctx) -> Iterator[Any]:
        ids = add_videos(ctx.dataset, ctx.params["path"])
        if not ctx.delegated:
            yield ctx.ops.reload_dataset()
        yield from annotate_view(ctx, ctx.dataset.select(ids))
        if not ctx.delegated:
            yield ctx.ops.set_view(ctx.dataset.select(ids))  # the videos just added
