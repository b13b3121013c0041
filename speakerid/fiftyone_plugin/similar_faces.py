"""``find_similar_faces``: the faces most like the selected one, shown in order in the grid.

Thin operator over speakerid.review.face_similarity: select one face (a tile of the faces grid
that **Index faces** shows, or a face box in the sample view), run it, and the grid shows that
face, then the closest faces with their distance in ``face_distance``.
"""

from __future__ import annotations

import fiftyone.operators as foo
import fiftyone.operators.types as types

from speakerid.errors import SpeakeridError
from speakerid.review.face_similarity import DEFAULT_K, DISTANCE, face_in_selection, similar_faces

from .common import button, invalid, notify, require_videos


class FindSimilarFaces(foo.Operator):
    @property
    def config(self) -> foo.OperatorConfig:
        return foo.OperatorConfig(
            name="find_similar_faces",
            label="speakerid: find similar faces",
            description="The faces most like the selected face, closest first, with their distance",
            icon="person_search",
            dynamic=True,
        )

    def resolve_placement(self, ctx) -> types.Placement:
        place = types.Places.SAMPLES_VIEWER_ACTIONS if ctx.current_sample else types.Places.SAMPLES_GRID_ACTIONS
        return button(place, "Find similar faces")

    def resolve_input(self, ctx) -> types.Property:
        inputs = types.Object()
        try:
            face_in_selection(list(ctx.selected or []), list(ctx.selected_labels or []), ctx.view)
            inputs.view("chosen", types.Notice(label="the selected face, then the closest faces"))
        except SpeakeridError as exc:
            invalid(inputs.view("chosen", types.Warning(label=str(exc))), str(exc))
        inputs.int("k", label="How many faces", default=DEFAULT_K, min=1, max=500)
        inputs.bool("per_track", default=True, label="One face per track (every face of a track looks alike)")
        return types.Property(inputs, view=types.View(label="Find similar faces"))

    def execute(self, ctx) -> dict:
        require_videos(ctx.dataset)
        face = face_in_selection(list(ctx.selected or []), list(ctx.selected_labels or []), ctx.view)
        view = similar_faces(
            ctx.dataset, face, int(ctx.params.get("k") or DEFAULT_K), ctx.params.get("per_track", True)
        )
        ctx.ops.set_view(view)
        ctx.ops.set_active_fields(fields=["faces", DISTANCE])  # the distance shows on each tile
        notify(ctx, f"{len(view)} faces, closest first (distance in '{DISTANCE}')")
        return {"faces": len(view), "ids": view.values("id"), "distances": view.values(DISTANCE)}
