"""The human review loop: flag doubtful faces, then learn from what reviewers decided.

``flag_faces`` tags faces below a confidence (and ``unknown`` ones) with ``speakerid_review``,
keeping their label at flagging time in ``review_label``. A reviewer renames a flagged face (any
edit of its label) or confirms it with ``speakerid_confirmed``; ``fold_review`` then names the
*tracks* of those faces: their embeddings join the gallery under the reviewed name and every
face of those tracks is relabelled (``review.naming``), leaving everyone else untouched.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fiftyone import ViewField as F

from speakerid.errors import SpeakeridError
from speakerid.labels.fiftyone_writer import FACES
from speakerid.results import UNKNOWN
from speakerid.review.naming import name_faces
from speakerid.review.relabel import CONFIRMED_TAG, REVIEW_TAG

FRAME_FACES = f"frames.{FACES}"
REVIEW_LABEL = "review_label"


def face_rows(view: Any) -> Iterator[dict]:
    """One dict per face box in ``view``: ids, frame, box, label, tags, label at flagging time."""
    ids, frame_numbers, detections = view.values(["id", "frames.frame_number", f"{FRAME_FACES}.detections"])
    for sample_id, numbers, frames in zip(ids, frame_numbers, detections):
        for frame_number, dets in zip(numbers, frames):
            for det in dets or []:
                yield {
                    "sample_id": sample_id,
                    "frame_number": frame_number,
                    "label_id": det.id,
                    "box": list(det.bounding_box),
                    "label": det.label,
                    "tags": list(det.tags or []),
                    REVIEW_LABEL: det[REVIEW_LABEL] if det.has_field(REVIEW_LABEL) else None,
                }


def flag_faces(dataset: Any, view: Any, max_confidence: float, include_unknown: bool, tag: str = REVIEW_TAG) -> Any:
    """Tag faces below ``max_confidence`` (and unknown ones) for review; returns the review view."""
    doubtful = F("confidence") < max_confidence
    if include_unknown:
        doubtful = doubtful | (F("label") == UNKNOWN)
    flagged = view.filter_labels(FRAME_FACES, doubtful)
    rows = list(face_rows(flagged))
    if rows:
        flagged.tag_labels(tag, label_fields=[FRAME_FACES])
        dataset.set_label_values(f"{FRAME_FACES}.detections.{REVIEW_LABEL}", {r["label_id"]: r["label"] for r in rows})
    return view.filter_labels(FRAME_FACES, F("tags").contains(tag))


def reviewed(row: dict, tag: str = REVIEW_TAG) -> bool:
    """Flagged, and a human has renamed it to a person or confirmed it."""
    if tag not in row["tags"] or row["label"] == UNKNOWN:
        return False
    return row["label"] != row[REVIEW_LABEL] or CONFIRMED_TAG in row["tags"]


def fold_review(dataset: Any, view: Any, gallery_path: str | Path, tag: str = REVIEW_TAG) -> dict[str, int]:
    """Name the tracks of the reviewed faces of ``view`` in the gallery file and the dataset;
    returns tracks named per person (they leave the review queue)."""
    rows = [r for r in face_rows(view.filter_labels(FRAME_FACES, F("tags").contains(tag))) if reviewed(r, tag)]
    if not rows:
        raise SpeakeridError(f"no reviewed faces: rename faces tagged {tag!r} or tag them {CONFIRMED_TAG!r} first")
    added = {}
    for name in sorted({r["label"] for r in rows}):
        added[name] = name_faces(dataset, [r for r in rows if r["label"] == name], name, gallery_path).tracks
    return added
