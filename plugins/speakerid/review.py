"""Human review loop: ``review_low_confidence`` flags doubtful faces, ``apply_review`` learns from fixes.

A flagged face keeps its label at flagging time in ``review_label``. A reviewer either renames it
(any edit of ``label``) or confirms it with the ``speakerid_confirmed`` tag; ``apply_review`` then
crops and embeds exactly those faces and adds them to the gallery under their corrected names,
leaving everyone else's embeddings untouched.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import fiftyone.operators as foo
import fiftyone.operators.types as types
from fiftyone import ViewField as F

from speakerid.errors import SpeakeridError

from .common import (FRAME_FACES, REVIEW_TAG, UNKNOWN, embed_labelled_faces, gallery_input, load_gallery, notify,
                     remember_gallery, require_videos)

CONFIRMED_TAG = "speakerid_confirmed"
REVIEW_LABEL = "review_label"


def face_rows(view: Any) -> Iterator[dict]:
    """One dict per face box in ``view``: ids, frame, box, label, tags, label at flagging time."""
    ids, frame_numbers, detections = view.values(["id", "frames.frame_number", f"{FRAME_FACES}.detections"])
    for sample_id, numbers, frames in zip(ids, frame_numbers, detections):
        for frame_number, dets in zip(numbers, frames):
            for det in dets or []:
                yield {"sample_id": sample_id, "frame_number": frame_number, "label_id": det.id,
                       "box": list(det.bounding_box), "label": det.label, "tags": list(det.tags or []),
                       REVIEW_LABEL: det[REVIEW_LABEL] if det.has_field(REVIEW_LABEL) else None}


def flag_faces(dataset: Any, view: Any, max_confidence: float, include_unknown: bool, tag: str = REVIEW_TAG) -> Any:
    """Tag faces below ``max_confidence`` (and unknown ones) for review; returns the review view."""
    doubtful = F("confidence") < max_confidence
    if include_unknown:
        doubtful = doubtful | (F("label") == UNKNOWN)
    flagged = view.filter_labels(FRAME_FACES, doubtful)
    rows = list(face_rows(flagged))
    if rows:
        flagged.tag_labels(tag, label_fields=[FRAME_FACES])
        dataset.set_label_values(f"{FRAME_FACES}.detections.{REVIEW_LABEL}",
                                       {r["label_id"]: r["label"] for r in rows})
    return view.filter_labels(FRAME_FACES, F("tags").contains(tag))


def reviewed(row: dict, tag: str = REVIEW_TAG) -> bool:
    """Flagged, and a human has renamed it to a person or confirmed it."""
    if tag not in row["tags"] or row["label"] == UNKNOWN:
        return False
    return row["label"] != row[REVIEW_LABEL] or CONFIRMED_TAG in row["tags"]


def fold_review(dataset: Any, view: Any, gallery_path: str, tag: str = REVIEW_TAG) -> dict[str, int]:
    """Add the reviewed faces of ``view`` to the gallery file; they leave the review queue."""
    rows = [r for r in face_rows(view.filter_labels(FRAME_FACES, F("tags").contains(tag))) if reviewed(r, tag)]
    if not rows:
        raise SpeakeridError(f"no reviewed faces: rename faces tagged {tag!r} or tag them {CONFIRMED_TAG!r} first")
    gallery = load_gallery(gallery_path, embedder="facenet")
    added: dict[str, int] = {}
    for name in sorted({r["label"] for r in rows}):
        mine = [r for r in rows if r["label"] == name]
        embeddings, sources = embed_labelled_faces(dataset, mine, gallery.embedder)
        gallery.add_person(name, embeddings, sources)
        added[name] = len(mine)
    gallery.save(Path(gallery_path).expanduser())
    ids = [r["label_id"] for r in rows]
    done = dataset.select_labels(ids=ids, fields=[FRAME_FACES])
    done.untag_labels([tag, CONFIRMED_TAG], label_fields=[FRAME_FACES])
    dataset.set_label_values(f"{FRAME_FACES}.detections.confidence", {i: 1.0 for i in ids})
    return added


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
        review = flag_faces(ctx.dataset, view, float(ctx.params.get("max_confidence", 0.5)),
                            bool(ctx.params.get("include_unknown", True)), ctx.params.get("tag") or REVIEW_TAG)
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
            description="Add reviewed (renamed or confirmed) faces to the gallery",
            icon="how_to_reg",
            dynamic=True,
        )

    def resolve_input(self, ctx) -> types.Property:
        inputs = types.Object()
        ctx.target_view()
        gallery_input(ctx, inputs, missing_ok=True)
        inputs.str("tag", default=REVIEW_TAG, label="Review tag")
        inputs.view("how", types.Notice(label=f"faces tagged for review count once renamed, or tagged "
                                              f"'{CONFIRMED_TAG}' when their label was right"))
        return types.Property(inputs, view=types.View(label="Apply review to gallery"))

    def execute(self, ctx) -> dict:
        view = ctx.target_view()
        require_videos(view)
        added = fold_review(ctx.dataset, view, ctx.params["gallery"], ctx.params.get("tag") or REVIEW_TAG)
        remember_gallery(ctx.dataset, ctx.params["gallery"])
        if not ctx.delegated:
            ctx.ops.reload_samples()
        notify(ctx, "added to gallery: " + ", ".join(f"{n} ({k})" for n, k in added.items()))
        return {"added": added}
