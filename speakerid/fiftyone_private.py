"""FiftyOne's private API, in one place: what speakerid reads below FiftyOne's public surface.

speakerid writes labels below FiftyOne's ORM (one all-or-nothing MongoDB update per sample,
``labels.replace``) and walks clips, frames and patches views back to their videos
(``review.video_of``); FiftyOne has no public call for either. Every such access goes through
these functions, and ``tests/test_fiftyone_private.py`` checks them against the pinned
FiftyOne, so an upgrade that moves one fails there, named, not somewhere in a write. The App
plugin also sends one event of FiftyOne's App server (``open_in_app``).
"""

from __future__ import annotations

from typing import Any


def sample_docs(dataset: Any) -> Any:
    """The pymongo collection of ``dataset``'s sample documents."""
    return dataset._sample_collection


def frame_docs(dataset: Any) -> Any:
    """The pymongo collection of ``dataset``'s frame documents."""
    return dataset._frame_collection


def dataset_id(dataset: Any) -> Any:
    """The ObjectId frame documents carry as ``_dataset_id``."""
    return dataset._doc.id


def forget_frames(dataset: Any, sample_ids: list[str]) -> None:
    """Detach this process's in-memory frames of ``sample_ids``: their documents were replaced
    below the ORM (reloading them would warn that they were deleted)."""
    from fiftyone.core.frame import Frame

    Frame._reset_docs(dataset._frame_collection_name, sample_ids=sample_ids)


def dataset_of(collection: Any) -> Any:
    """The dataset a view reads from: for clips, frames and patches views, the generated
    dataset they live in, not the videos'."""
    return collection._dataset


def root_dataset_of(collection: Any) -> Any:
    """The dataset of videos a (possibly generated) view was cut from."""
    return collection._root_dataset


def source_of(collection: Any) -> Any | None:
    """The collection a generated view was cut from (None for a plain dataset or view)."""
    return getattr(collection, "_source_collection", None)


async def open_in_app(sample_id: str) -> None:
    """Open ``sample_id`` in the modal of the App tabs this server feeds, as FiftyOne's
    ``setSample`` mutation does: the App then copies the grid's current sidebar and settings into
    the modal (the ``open_sample`` operator does not: its modal keeps those of the view the page
    was loaded on). Call it from an operator's ``async execute`` (the App server's event loop)."""
    from fiftyone.core.session.events import SetSample
    from fiftyone.server.events import dispatch_event

    await dispatch_event(None, SetSample(group_id=None, sample_id=sample_id))
