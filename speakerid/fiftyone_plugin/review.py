"""Human review loop: ``review_low_confidence`` flags doubtful faces, ``apply_review`` learns from fixes.

Thin operators over :mod:`speakerid.review.review_loop`: a reviewer renames flagged faces (or
tags them ``speakerid_confirmed``); applying the review names those faces' tracks in the gallery
and across the dataset.
"""

from __future__ import annotations

import fiftyone.operators as foo
import fiftyone.operators.types as types

from speakerid.review.gallery_link import remember_gallery
from speakerid.review.relabel import CONFIRMED_TAG, REVIEW_TAG
from speakerid.review.review_loop import FRAME_FACES, flag_faces, fold_review

from .common import gallery_input, notify, require_videos


class ReviewLowConfidence(foo.Operator):
    @property
    def config(self) -> foo.OperatorConfig:
        return foo.OperatorConfig(
            name="review_low_confidence",
            label="speakerid: review low-confidence faces",
            description="Tag doubtful or unknown faces for human review and show them",
            icon="rule",
            dynamic=True,
        )

    def resolve_input(self, ctx) -> types.Property:
        inputs = types.Object()
        ctx.target_view()
        inputs.float("max_confidence", label="Flag faces with confidence below", default=0.5, min=0.0, max=1.0)
        inputs.bool("include_unknown", default=True, label="Also flag faces labelled unknown")
        inputs.str("tag", default=REVIEW_TAG, label="Review tag")
        return types.Property(inputs, view=types.View(label="Review low-confidence faces"))

    def execute(self, ctx) -> dict:
        view = ctx.target_view()
        require_videos(view)
        review = flag_faces(
            ctx.dataset,
            view,
            float(ctx.params.get("max_confidence", 0.5)),
            bool(ctx.params.get("include_unknown", True)),
            ctx.params.get("tag") or REVIEW_TAG,
        )
        faces = review.count(f"{FRAME_FACES}.detections")
        if not ctx.delegated:
            ctx.ops.set_view(review)
        notify(ctx, f"{faces} face(s) tagged for review in {len(review)} video(s)")
        return {"faces": faces, "videos": len(review)}


class ApplyReview(foo.Operator):
    @property
    def config(self) -> foo.OperatorConfig:
        return foo.OperatorConfig(
            name="apply_review",
            label="speakerid: apply review to gallery",
            description="Name the tracks of reviewed (renamed or confirmed) faces in the gallery and the dataset",
            icon="how_to_reg",
            dynamic=True,
        )

    def resolve_input(self, ctx) -> types.Property:
        inputs = types.Object()
        ctx.target_view()
        gallery_input(ctx, inputs, missing_ok=True)
        inputs.str("tag", default=REVIEW_TAG, label="Review tag")
        inputs.view(
            "how",
            types.Notice(
                label=f"faces tagged for review count once renamed, or tagged "
                f"'{CONFIRMED_TAG}' when their label was right"
            ),
        )
        return types.Property(inputs, view=types.View(label="Apply review to gallery"))

    def execute(self, ctx) -> dict:
        view = ctx.target_view()
        require_videos(view)
        added = fold_review(ctx.dataset, view, ctx.params["gallery"], ctx.params.get("tag") or REVIEW_TAG)
        remember_gallery(ctx.dataset, None, ctx.params["gallery"])
        if not ctx.delegated:
            ctx.ops.reload_dataset()
        notify(
            ctx, "named in the gallery and the dataset: " + ", ".join(f"{n} ({k} track(s))" for n, k in added.items())
        )
        return {"added": added}
