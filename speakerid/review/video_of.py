"""Which video an id the App hands out belongs to, whatever view the App shows.

The App gives the panel ids of the samples it shows: videos, but also clips (a clip's id is the
id of the segment or track it was cut from), frames, face patches of frames, similarity results
and selections of any of these, and it may hand over an id from the view it showed a moment ago.
Looking such an id up in the video dataset fails (``No sample found with ID``); here each id is
walked back through the generated collections (patches -> frames -> videos, clips -> videos)
to its video, and an id of no sample at all can still name a segment or track of a video.
"""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from bson.errors import InvalidId

from speakerid.fiftyone_private import dataset_of, root_dataset_of, sample_docs, source_of
from speakerid.labels.fiftyone_writer import SEGMENTS, TRACKS


def video_of(view: Any, sample_id: str | None) -> str | None:
    """The id of the video (a sample of ``view``'s root dataset) that ``sample_id`` shows, or
    None when it is none of them (never raises for an unknown id)."""
    try:
        oid = ObjectId(str(sample_id))
    except (InvalidId, TypeError):
        return None
    root = root_dataset_of(view)
    collection = view
    while True:
        if _exists(root, oid):
            return str(oid)
        if not _is_generated(collection):
            break
        doc = sample_docs(dataset_of(collection)).find_one({"_id": oid}, {"_sample_id": 1})
        if doc is None or doc.get("_sample_id") is None:
            break
        oid, collection = doc["_sample_id"], source_of(collection)
    return _video_with_label(root, oid)


def videos_in(view: Any) -> Any:
    """The videos ``view`` shows: itself for a view of videos, else the videos its clips,
    frames or patches come from (as a view of the root dataset)."""
    if not _is_generated(view):
        return view
    ids = {video_of(view, str(i)) for i in view.distinct("_sample_id")} - {None}
    return root_dataset_of(view).select(sorted(ids), ordered=False)


def _is_generated(collection: Any) -> bool:
    """Clips, frames and patches views live in a dataset of their own, cut from a source."""
    return source_of(collection) is not None and dataset_of(collection) is not (root_dataset_of(collection))


def _exists(dataset: Any, oid: ObjectId) -> bool:
    return sample_docs(dataset).find_one({"_id": oid}, {"_id": 1}) is not None


def _video_with_label(dataset: Any, oid: ObjectId) -> str | None:
    """The video holding speaker segment or face track ``oid`` (what a clip's id is)."""
    schema = dataset.get_field_schema()
    for name in (SEGMENTS, TRACKS):
        if name in schema:
            doc = sample_docs(dataset).find_one({f"{name}.detections._id": oid}, {"_id": 1})
            if doc is not None:
                return str(doc["_id"])
    return None
