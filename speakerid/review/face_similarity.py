"""Faces most like a chosen face, as a view the App's grid shows in order with their distance.

FiftyOne 1.22's Similarity Search panel refuses patches of a video dataset, but the Brain index
itself (``review.face_index``) sorts the face patches of the dataset's frames fine: the chosen
face first (distance 0), then the closest faces, each patch carrying its cosine distance in
``face_distance`` (a numeric field of the view: shown on the tiles' sidebar, filterable and
sortable). The view keeps Brain's order as a plain ordered selection: Brain's ``SortBySimilarity``
stage stores a Mongo pipeline with ObjectIds that the App cannot load back from JSON.
By default the view has one face per track (its best one), since every face of a track shares
the track's embedding: 25 tiles of one track would hide the other tracks.
"""

from __future__ import annotations

from typing import Any

from speakerid.errors import SpeakeridError
from speakerid.labels.fiftyone_writer import FACES
from speakerid.review.face_index import FACE_INDEX, build_face_index, faces_view
from speakerid.review.tracks import read_tracks

DISTANCE = "face_distance"  # field of the similarity view: cosine distance to the chosen face
DEFAULT_K = 25


def best_face_ids(collection: Any) -> list[str]:
    """The ``frames.faces`` label id of every track's best face (its first face if the best
    frame has none of its boxes)."""
    best = {(t.sample_id, t.index): t.best_frame for t in read_tracks(collection, need_embeddings=False).tracks}
    found: dict[tuple[str, int], tuple[bool, int, str]] = {}
    ids, numbers, label_ids, tracks = collection.values(
        ["id", "frames.frame_number", f"frames.{FACES}.detections.id", f"frames.{FACES}.detections.index"]
    )
    for sample_id, ns, fids, fts in zip(ids, numbers, label_ids, tracks):
        for n, frame_ids, frame_tracks in zip(ns or [], fids or [], fts or []):
            for fid, track in zip(frame_ids or [], frame_tracks or []):
                key = (sample_id, track)
                rank = (n != best.get(key), n, fid)  # the best frame first, else the earliest
                if key not in found or rank < found[key]:
                    found[key] = rank
    return [fid for _, _, fid in found.values()]


def face_in_selection(selected: list[str], selected_labels: list[dict], view: Any) -> str:
    """The label id of the one face the user chose: a selected face box (sample view), or a
    selected tile of a face patches view (a patch's id is its face's label id)."""
    boxes = {s["label_id"] for s in selected_labels if s.get("field") in (FACES, f"frames.{FACES}")}
    if len(boxes) == 1:
        return boxes.pop()
    if not boxes and len(selected) == 1 and getattr(view, "_label_fields", None) == [FACES]:
        return selected[0]
    raise SpeakeridError(
        "select one face: a face box in the sample view, or one tile of the faces grid (Index faces shows it)"
        if not boxes and not selected
        else f"select one face, not {len(boxes) or len(selected)}"
    )


def similar_faces(
    dataset: Any, face_id: str, k: int = DEFAULT_K, per_track: bool = True, among: list[str] | None = None
) -> Any:
    """Face patches ordered by cosine distance to face ``face_id`` (itself first), at most ``k``,
    each with its distance in ``face_distance``. ``per_track``: one face per track; ``among``:
    only these faces (label ids). Builds the face index first if the dataset has none."""
    if k < 1:
        raise SpeakeridError(f"k must be at least 1, got {k}")
    if FACE_INDEX not in dataset.list_brain_runs():
        build_face_index(dataset, map_key=None)
    view = faces_view(dataset)
    if not len(view.select(face_id)):
        raise SpeakeridError(f"face {face_id}: not a face box of {dataset.name} (annotated again since?)")
    if per_track or among is not None:
        keep = set(best_face_ids(dataset)) if per_track else set(view.values("id"))
        if among is not None:
            keep &= set(among)
        view = view.select(sorted(keep | {face_id}))
    ranked = view.sort_by_similarity(face_id, k=k, brain_key=FACE_INDEX, dist_field=DISTANCE)
    return view.select(ranked.values("id"), ordered=True)  # Brain's own stage does not survive JSON
