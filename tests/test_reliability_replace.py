"""The all-or-nothing label replacement on a real FiftyOne database, with small synthetic labels.

The crash states a SIGKILL can leave (a claim whose writer died while staging, a write killed
after publishing, in the middle of the frame swap) are laid down exactly as the writer would
leave them, and every reader-side repair must turn them into fully old or fully new labels.
The same states produced by killing a real `speakerid annotate` are in test_reliability_kill.py.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from bson import ObjectId

from speakerid.labels import replace
from speakerid.labels.fiftyone_writer import FACES, SEGMENTS, SPEAKER, LabelDocs, write_label_docs
from speakerid.labels.replace import PENDING, finish_pending


def docs_for(filepath: str, names: list[str], frames: range) -> LabelDocs:
    """Labels naming ``names[i % len]`` on each frame of ``frames``, one segment per name."""
    import fiftyone as fo

    labels = {
        SEGMENTS: fo.TemporalDetections(
            detections=[fo.TemporalDetection(label=n, support=[1 + 10 * i, 10 + 10 * i]) for i, n in enumerate(names)]
        )
    }
    frame_docs, types = [], {SEGMENTS: fo.TemporalDetections}
    for k, n in enumerate(frames):
        name = names[k % len(names)]
        fr = fo.Frame(
            **{
                FACES: fo.Detections(detections=[fo.Detection(label=name, bounding_box=[0.1, 0.1, 0.2, 0.2])]),
                SPEAKER: fo.Classification(label=name),
            }
        )
        frame_docs.append({**{k2: v for k2, v in fr.to_mongo_dict().items() if v is not None}, "frame_number": n})
        types.update({f"frames.{FACES}": fo.Detections, f"frames.{SPEAKER}": fo.Classification})
    stored = fo.Sample(filepath=filepath, **labels).to_mongo_dict()
    return LabelDocs(filepath, {k: stored[k] for k in labels}, frame_docs, types)


def state(ds) -> dict:
    """What a reader sees of the (single) sample: segments and per-frame labels."""
    ds.reload()
    s = ds.first()
    s.reload(hard=True)
    return {
        "segments": [d.label for d in s[SEGMENTS].detections] if s[SEGMENTS] else None,
        "frames": {
            n: ([d.label for d in f[FACES].detections] if f[FACES] else None, f[SPEAKER].label if f[SPEAKER] else None)
            for n, f in s.frames.items()
        },
    }


@pytest.fixture()
def labelled(dataset_name, hamilton):
    """A dataset whose one sample carries the 'old' labels."""
    import fiftyone as fo

    ds = fo.Dataset(dataset_name)
    old = docs_for(str(hamilton), ["alice", "bob"], range(1, 41, 2))
    write_label_docs(ds, old)
    return ds, state(ds)


def test_replace_is_complete_and_keeps_other_frame_fields(labelled, hamilton):
    import fiftyone as fo

    ds, old = labelled
    sample = ds.first()
    ds.add_frame_field("ground_truth", fo.StringField)
    sample.frames[3]["ground_truth"] = "keep me"
    sample.frames[2] = fo.Frame(ground_truth="me too")  # a frame speakerid never labelled
    sample.save()
    new = docs_for(str(hamilton), ["carol"], range(1, 41, 4))
    write_label_docs(ds, new)
    got = state(ds)
    assert got["segments"] == ["carol"]
    assert {n: v for n, v in got["frames"].items() if v[0]} == {n: (["carol"], "carol") for n in range(1, 41, 4)}
    assert ds.count_values("frames.ground_truth") == {"keep me": 1, "me too": 1, None: len(range(1, 41, 4))}
    assert len(ds) == 1 and ds.count(PENDING) == 0


def _stage(ds, docs: LabelDocs, phase: str, lease_s: float = replace.LEASE_S):
    """Lay down what a writer killed after staging (``phase`` stage) or after publishing (swap)
    leaves: staged frames under a staging id and a marker (for swap, with the final update)."""
    samples, frames = ds._sample_collection, ds._frame_collection
    sid, staging, stamp = ObjectId(ds.first().id), ObjectId(), replace.utc_now()
    frames.insert_many(
        [
            {**d, "_sample_id": staging, "_dataset_id": ds._doc.id, "created_at": stamp, "last_modified_at": stamp}
            for d in docs.frames
        ]
    )
    marker = {"staging": staging, "phase": phase, "stamp": stamp, "until": stamp + timedelta(seconds=lease_s)}
    if phase == "swap":
        marker["then"] = [["$set", docs.fields]]
    samples.update_one({"_id": sid}, {"$set": {PENDING: marker}})
    return sid, marker


def test_killed_while_staging_reads_fully_old_and_is_cleaned_up(labelled, hamilton):
    ds, old = labelled
    new = docs_for(str(hamilton), ["carol"], range(1, 41, 4))
    sid, marker = _stage(ds, new, "stage", lease_s=-1)  # its writer is dead: the lease ran out
    assert state(ds) == old  # staged frames belong to no sample: readers see the old labels
    assert finish_pending(ds) == 1
    assert state(ds) == old and ds.count(PENDING) == 0
    assert ds._frame_collection.count_documents({"_sample_id": marker["staging"]}) == 0


def test_live_claim_is_left_alone(labelled, hamilton):
    ds, old = labelled
    _stage(ds, docs_for(str(hamilton), ["carol"], range(1, 41, 4)), "stage")
    assert finish_pending(ds) == 0 and ds.count(PENDING) == 1 and state(ds) == old


@pytest.mark.parametrize("swapped", [0, 5, 10])
def test_killed_during_swap_is_rolled_forward_to_fully_new(labelled, hamilton, swapped):
    """Killed after publishing, with 0, some or all of the staged frames already moved."""
    ds, old = labelled
    new = docs_for(str(hamilton), ["carol"], range(1, 41, 4))
    sid, marker = _stage(ds, new, "swap")
    assert state(ds) == old  # published, nothing swapped yet: the sample still reads as old
    frames = ds._frame_collection
    if swapped:
        frames.delete_many({"_sample_id": sid, "created_at": {"$ne": marker["stamp"]}})
        moved = [d["_id"] for d in frames.find({"_sample_id": marker["staging"]}).limit(swapped)]
        frames.update_many({"_id": {"$in": moved}}, {"$set": {"_sample_id": sid}})
    assert finish_pending(ds) == 1
    want = {n: (["carol"], "carol") for n in range(1, 41, 4)}
    assert state(ds) == {"segments": ["carol"], "frames": want} and ds.count(PENDING) == 0
    assert finish_pending(ds) == 0  # idempotent


def test_next_write_takes_over_a_dead_claim(labelled, hamilton):
    ds, old = labelled
    _stage(ds, docs_for(str(hamilton), ["carol"], range(1, 41, 4)), "stage", lease_s=-1)
    write_label_docs(ds, docs_for(str(hamilton), ["dave"], range(2, 20, 2)))
    assert state(ds) == {"segments": ["dave"], "frames": {n: (["dave"], "dave") for n in range(2, 20, 2)}}
    staged = ds._frame_collection.count_documents({"_sample_id": {"$ne": ObjectId(ds.first().id)}})
    assert staged == 0 and ds.count(PENDING) == 0


def test_a_write_stamps_later_than_every_frame_whatever_the_clock(labelled, hamilton):
    """A frame stamped an hour ahead (another machine's clock): the next write still stamps its
    frames later, so its own delete step (older than its stamp) removes every old frame, and a
    stale step of an earlier write can never reach the new ones."""
    ds, _ = labelled
    sid = ObjectId(ds.first().id)
    ahead = replace.utc_now() + timedelta(hours=1)
    ds._frame_collection.update_many({"_sample_id": sid}, {"$set": {"created_at": ahead}})
    write_label_docs(ds, docs_for(str(hamilton), ["carol"], range(1, 41, 4)))
    stamps = {d["created_at"] for d in ds._frame_collection.find({"_sample_id": sid})}
    assert len(stamps) == 1 and stamps.pop() > ahead
    assert ds.first()[replace.WRITTEN] > ahead
    assert state(ds) == {"segments": ["carol"], "frames": {n: (["carol"], "carol") for n in range(1, 41, 4)}}
