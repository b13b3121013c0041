"""Contract of ``speakerid.fiftyone_private`` with the pinned FiftyOne, on a real database.

speakerid's label writes and its walk from clips back to videos use FiftyOne below its public
API; each access lives in that one module, and this test says whether it still means what
speakerid assumes. A FiftyOne upgrade that moves any of it fails here, by name.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from app_data import on_own_thread
from bson import ObjectId

from speakerid.fiftyone_private import (
    dataset_id,
    dataset_of,
    forget_frames,
    frame_docs,
    open_in_app,
    root_dataset_of,
    sample_docs,
    source_of,
)

VIDEO = Path(__file__).resolve().parents[1] / "sample_videos" / "short_hamilton_clip.mp4"


def test_the_private_api_speakerid_uses_means_what_it_assumes(dataset_name):
    import fiftyone as fo

    ds = fo.Dataset(dataset_name)
    sample = fo.Sample(filepath=str(VIDEO))
    sample["segments"] = fo.TemporalDetections(detections=[fo.TemporalDetection(label="lin", support=[2, 9])])
    sample.frames[3]["mark"] = 1
    ds.add_sample(sample)
    sid = ObjectId(sample.id)

    assert sample_docs(ds).find_one({"_id": sid}, {"filepath": 1})["filepath"] == str(VIDEO)
    frame = frame_docs(ds).find_one({"_sample_id": sid})
    assert frame["frame_number"] == 3 and frame["mark"] == 1
    assert frame["_dataset_id"] == dataset_id(ds)
    assert dataset_of(ds) is ds and root_dataset_of(ds) is ds and source_of(ds) is None
    view = ds.match({"filepath": str(VIDEO)})
    assert dataset_of(view) is ds and root_dataset_of(view) is ds

    # a document replaced below the ORM: after forget_frames the sample reads the new one
    frame_docs(ds).update_one({"_sample_id": sid, "frame_number": 3}, {"$set": {"mark": 2}})
    forget_frames(ds, [sample.id])
    assert ds[sample.id].frames[3]["mark"] == 2

    # a clips view lives in a generated dataset whose documents point back at the video
    clips = ds.to_clips("segments")
    assert dataset_of(clips) is not ds and root_dataset_of(clips).name == ds.name
    assert source_of(clips) is not None
    clip = sample_docs(dataset_of(clips)).find_one({}, {"_sample_id": 1, "support": 1})
    assert clip["_sample_id"] == sid and clip["support"] == [2, 9]


def test_open_in_app_sends_the_app_the_event_of_fiftyones_set_sample_mutation():
    """The App server's state names the sample and every App tab listening for ``set_sample``
    events gets it (the App opens its modal on it, copying the grid's sidebar first)."""
    from fiftyone.server.events.state import get_listeners, get_state

    class Tab:  # an App tab's registration, as FiftyOne's /events endpoint makes it
        subscription = "tab"
        queue: asyncio.Queue

    async def open_with_a_tab_listening() -> list:
        tab = Tab()
        tab.queue = asyncio.Queue()
        get_listeners()["set_sample"].add(tab)
        try:
            await open_in_app("6b14c629388efe4606cca81b")
        finally:
            get_listeners()["set_sample"].discard(tab)
        return [tab.queue.get_nowait()[1] for _ in range(tab.queue.qsize())]

    events = on_own_thread(asyncio.run, open_with_a_tab_listening())  # Playwright may hold this thread's loop
    assert [(type(e).__name__, e.sample_id) for e in events] == [("SetSample", "6b14c629388efe4606cca81b")]
    assert get_state().sample_id == "6b14c629388efe4606cca81b"
