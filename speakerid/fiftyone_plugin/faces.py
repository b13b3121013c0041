"""``index_faces``: a FiftyOne Brain similarity index and embeddings map over every face.

Thin operator over speakerid.review.face_index. Afterwards the grid shows one patch per face:
select one and use the App's "sort by similarity" (brain key ``speakerid_faces``) to see the same
person first; the Embeddings panel shows the faces map (``speakerid_faces_map``).
"""

from __future__ import annotations

import fiftyone.operators as foo
import fiftyone.operators.types as types

from speakerid.review.face_index import FACE_INDEX, FACE_MAP, build_face_index, faces_view

from .common import button, notify, require_videos


class IndexFaces(foo.Operator):
    @property
    def config(self) -> foo.OperatorConfig:
        return foo.OperatorConfig(
            name="index_faces",
            label="speakerid: index faces for similarity",
            description="Face similarity index + embeddings map (FiftyOne Brain) over every face box",
            icon="face_retouching_natural",
            dynamic=True,
            allow_immediate_execution=True,
            allow_delegated_execution=True,
        )

    def resolve_placement(self, ctx) -> types.Placement:
        return button(types.Places.SAMPLES_GRID_SECONDARY_ACTIONS, "Index faces")

    def resolve_input(self, ctx) -> types.Property:
        inputs = types.Object()
        inputs.bool("map", default=True, label="Also compute the faces map for the Embeddings panel")
        inputs.bool("show", default=True, label="Show the faces (one patch per face) when done")
        inputs.view(
            "how",
            types.Notice(
                label=f"brain keys: {FACE_INDEX} (similarity), {FACE_MAP} (map); every face gets its track's embedding"
            ),
        )
        return types.Property(inputs, view=types.View(label="Index faces"))

    def execute(self, ctx) -> dict:
        require_videos(ctx.dataset)
        built = build_face_index(ctx.dataset, map_key=FACE_MAP if ctx.params.get("map", True) else None)
        if not ctx.delegated:
            ctx.ops.reload_dataset()
            if ctx.params.get("show", True):
                ctx.ops.set_view(faces_view(ctx.dataset))
        notify(ctx, f"{built.faces} faces indexed ({built.frames} frames); select a face, then sort by similarity")
        return {
            "faces": built.faces,
            "frames": built.frames,
            "written": built.written,
            "without_embedding": built.without_embedding,
            "brain_key": built.brain_key,
            "map_key": built.map_key,
        }
