"""Contract of ``speakerid.fiftyone_private`` with the pinned FiftyOne, on a real database.

speakerid's label writes and its walk from clips back to videos use FiftyOne below its public
API; each access lives in that one module, and this test says whether it still means what
speakerid assumes. A FiftyOne upgrade that moves any of it fails here, by name.
"""

from __future__ import annotations

from pathlib import Path

from bson import ObjectId

from speakerid.fiftyone_private import (
    dataset_id,
    dataset_of,
    forget_frames,
    frame_docs,
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
