"""Replace one sample's labels all-or-nothing, as seen by every reader, without transactions.

FiftyOne keeps a video's frames as separate documents (``_sample_id`` + ``frame_number``), and
its embedded MongoDB is a standalone server (no multi-document transactions). So a write goes:

1. **claim**: one update sets ``speakerid_pending`` on the sample (a staging id, the phase
   ``stage``, the staging time and a lease). Another writer of the same sample waits for the
   lease; an expired lease (its writer died) is taken over.
2. **stage**: the new frame documents are inserted under the staging id, which no sample has,
   so no reader sees them; frame fields that are not speakerid's (the user's own frame labels)
   are carried over from the old frames. The old labels and the old done marker are untouched:
   a process killed here leaves the sample fully old (the stale claim is cleaned up later).
3. **publish**: one update sets the phase ``swap`` and stores in the marker the final update
   (the new sample fields: segments, speakers, run settings, the batch job's done marker).
   From here on the write is committed: anyone can finish it.
4. **swap**: the old frame documents are deleted (those not stamped with this staging time),
   the staged ones are re-pointed at the sample; then one update applies the stored sample
   fields and clears the marker. So a done marker, and the new segments, appear only when
   every new frame is in place.

A process killed during the swap leaves the marker with phase ``swap`` (old sample fields, the
frames part replaced); ``finish_pending`` rolls such a sample forward to fully new. Every
speakerid reader and writer does that first (``speakerid annotate``, ``speakerid label``,
``speakerid app``, the plugin's batch operator, ``write_video_result``), and the steps are
idempotent, so two finishers never conflict.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bson import ObjectId

from speakerid.errors import SpeakeridError

PENDING = "speakerid_pending"
LEASE_S = 10.0  # a claim whose writer has not renewed it for this long is abandoned
WAIT_S = 120.0  # give up waiting for another live writer of the same sample after this
BATCH = 100  # frame documents per insert (the lease is renewed between batches)


def replace_labels(
    dataset: Any,
    sample_id: str,
    fields: dict[str, Any],
    frames: list[dict[str, Any]],
    owned: tuple[str, ...],
    extra: dict[str, Any] | None = None,
) -> None:
    """Make ``fields`` and ``frames`` the sample's labels, all-or-nothing (see module doc).

    ``owned``: the frame fields this write replaces; other frame fields are kept. ``extra``:
    MongoDB update operators (``$set``, ``$pull``, ...) applied in the same final update as
    ``fields``.
    """
    declare_marker(dataset)
    samples, frame_coll = dataset._sample_collection, dataset._frame_collection
    sid = ObjectId(sample_id)
    staging, stamp = ObjectId(), _now()
    _claim(dataset, sid, staging, stamp)
    try:
        frames = _carry_over(frame_coll, sid, frames, owned)
        for i in range(0, len(frames), BATCH):
            docs = [
                {
                    **d,
                    "_sample_id": staging,
                    "_dataset_id": dataset._doc.id,
                    "created_at": stamp,
                    "last_modified_at": stamp,
                }
                for d in frames[i : i + BATCH]
            ]
            frame_coll.insert_many(docs, ordered=False)
            _renew(samples, sid, staging)
        final = {**(extra or {}), "$set": {**(extra or {}).get("$set", {}), **fields, "last_modified_at": _now()}}
        then = [[op, value] for op, value in final.items()]  # operators as values: "$" keys can't be stored
        published = samples.update_one(
            {"_id": sid, f"{PENDING}.staging": staging}, {"$set": {f"{PENDING}.phase": "swap", f"{PENDING}.then": then}}
        )
        if not published.matched_count:
            raise _lost(dataset, sid)
    except BaseException:
        try:
            _abandon(dataset, sid, staging)
        except Exception:  # noqa: BLE001 - database gone: the expired claim is cleaned up later
            pass
        raise
    _swap(dataset, sid, {"staging": staging, "stamp": stamp, "then": then})


def finish_pending(dataset: Any, sample_ids: list[str] | None = None) -> int:
    """Roll interrupted writes forward (published ones) or back (abandoned claims); returns how
    many samples were repaired. Claims of live writers (unexpired lease) are left alone."""
    query: dict[str, Any] = {PENDING: {"$type": "object"}}
    if sample_ids is not None:
        query["_id"] = {"$in": [ObjectId(s) for s in sample_ids]}
    repaired = 0
    for doc in dataset._sample_collection.find(query, {PENDING: 1}):
        marker = doc[PENDING]
        if marker.get("phase") == "swap":
            _swap(dataset, doc["_id"], marker)
        elif _expired(marker):
            _abandon(dataset, doc["_id"], marker["staging"])
        else:
            continue
        repaired += 1
    return repaired


def declare_marker(dataset: Any) -> None:
    """Declare ``speakerid_pending`` so FiftyOne shows and filters it like any field."""
    import fiftyone as fo

    if PENDING not in dataset.get_field_schema():
        try:
            dataset.add_sample_field(PENDING, fo.DictField)
        except ValueError:  # declared meanwhile by another process
            dataset.reload()


def _claim(dataset: Any, sid: ObjectId, staging: ObjectId, stamp: datetime) -> None:
    """Take the sample's write claim: wait for a live writer, take over an abandoned claim."""
    samples = dataset._sample_collection
    marker = {"staging": staging, "phase": "stage", "stamp": stamp, "until": _lease()}
    deadline = time.monotonic() + WAIT_S
    while True:
        if samples.update_one({"_id": sid, PENDING: None}, {"$set": {PENDING: marker}}).matched_count:
            return
        doc = samples.find_one({"_id": sid}, {PENDING: 1})
        if doc is None:
            raise SpeakeridError(f"sample {sid} of dataset {dataset.name!r} was deleted during the write")
        old = doc.get(PENDING)
        if old and old.get("phase") == "swap":
            _swap(dataset, sid, old)
        elif old and _expired(old):
            _abandon(dataset, sid, old["staging"])
        elif time.monotonic() > deadline:
            raise SpeakeridError(
                f"sample {sid} of dataset {dataset.name!r} is being written by another "
                f"process since {old.get('stamp') if old else '?'}; retry later"
            )
        else:
            time.sleep(0.2)


def _carry_over(
    frame_coll: Any, sid: ObjectId, frames: list[dict[str, Any]], owned: tuple[str, ...]
) -> list[dict[str, Any]]:
    """``frames`` plus the fields of the sample's current frames that this write does not own."""
    skip = set(owned) | {"_id", "_sample_id", "_dataset_id", "frame_number", "created_at", "last_modified_at"}
    by_number = {d["frame_number"]: d for d in frames}
    for old in frame_coll.find({"_sample_id": sid}):
        keep = {k: v for k, v in old.items() if k not in skip}
        if keep:
            n = old["frame_number"]
            by_number[n] = {**keep, **by_number.get(n, {"frame_number": n})}
    return sorted(by_number.values(), key=lambda d: d["frame_number"])


def _swap(dataset: Any, sid: ObjectId, marker: dict[str, Any]) -> None:
    """Replace the old frame documents by the staged ones, then apply the final sample update and
    clear the marker in one update (idempotent)."""
    frame_coll = dataset._frame_collection
    frame_coll.delete_many({"_sample_id": sid, "created_at": {"$ne": marker["stamp"]}})
    frame_coll.update_many({"_sample_id": marker["staging"]}, {"$set": {"_sample_id": sid}})
    final = {op: value for op, value in marker["then"]}
    final["$unset"] = {**final.get("$unset", {}), PENDING: ""}
    dataset._sample_collection.update_one({"_id": sid, f"{PENDING}.staging": marker["staging"]}, final)
    _forget_frames(dataset, sid)


def _forget_frames(dataset: Any, sid: ObjectId) -> None:
    """Detach this process's in-memory frames of the sample: their documents were replaced
    below FiftyOne's ORM (reloading them would warn that they were deleted)."""
    from fiftyone.core.frame import Frame

    Frame._reset_docs(dataset._frame_collection_name, sample_ids=[str(sid)])


def _abandon(dataset: Any, sid: ObjectId, staging: ObjectId) -> None:
    """Drop an unpublished claim: its staged frames and the marker; the old labels stay."""
    dataset._frame_collection.delete_many({"_sample_id": staging})
    dataset._sample_collection.update_one(
        {"_id": sid, f"{PENDING}.staging": staging, f"{PENDING}.phase": "stage"}, {"$unset": {PENDING: ""}}
    )


def _renew(samples: Any, sid: ObjectId, staging: ObjectId) -> None:
    if not samples.update_one(
        {"_id": sid, f"{PENDING}.staging": staging}, {"$set": {f"{PENDING}.until": _lease()}}
    ).matched_count:
        raise SpeakeridError(f"sample {sid}: write claim lost (stalled past its {LEASE_S:g} s lease)")


def _lost(dataset: Any, sid: ObjectId) -> SpeakeridError:
    return SpeakeridError(f"sample {sid} of dataset {dataset.name!r}: write claim lost to another process")


def _expired(marker: dict[str, Any]) -> bool:
    until = marker.get("until")
    return until is None or until < _now()


def _lease() -> datetime:
    return _now() + timedelta(seconds=LEASE_S)


def _now() -> datetime:
    """Naive UTC with millisecond precision: exactly what MongoDB stores and returns."""
    now = datetime.now(UTC).replace(tzinfo=None)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)
