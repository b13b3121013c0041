"""Replace one sample's labels without transactions: a write only ever replaces *older* data.

FiftyOne keeps a video's frames as separate documents (``_sample_id`` + ``frame_number``, unique
together), and its embedded MongoDB is a standalone server (no multi-document transactions). So a
write goes:

1. **claim**: one update sets ``speakerid_pending`` on the sample (a staging id, the phase
   ``stage`` and a lease). Another writer of the same sample waits for the lease; an expired lease
   (its writer died) is taken over. Holding the claim, the writer picks its **stamp**: later than
   its clock and than every frame the sample holds, so every write's stamp is later than those of
   all writes completed before it, whatever the machines' clocks say.
2. **stage**: the new frame documents, stamped (``created_at``), are inserted under the staging id,
   which no sample has, so no reader sees them; frame fields that are not speakerid's (the user's
   own frame labels) are carried over. A process killed here leaves the sample fully old (the
   stale claim is cleaned up later).
3. **publish**: one update sets the phase ``swap``, stores the two final updates in the marker
   and clears the done markers the write will set (``extra``'s ``$set`` fields, e.g. the batch
   job's fingerprint), so no marker claims a sample whose frames are changing. From here on the
   write is committed: anyone can finish it.
4. **swap**, every step idempotent and guarded by the stamp, so a stalled writer or finisher
   that resumes after a newer write can only touch data older than its own:
   a. each staged frame replaces, in place, the sample's frame of the same number if that frame
      is older than the stamp (one document swap: a reader sees the old or the new frame, never
      none), or moves in if the sample has no such frame;
   b. the new sample labels (segments, speakers...) are set, while the marker is still ours;
   c. the sample's frames older than the stamp (those the new run did not label) are deleted;
   d. the done markers are set and the marker is cleared, in one update.

What a reader that is not speakerid sees during step 4 (milliseconds; a second for a long video):
a mix of old and new frames under the old segments (a), then the new segments with the frames of
both runs (b, c); never a segment without its frames, never a done marker on a half-written
sample. A process killed during the swap leaves the marker with phase ``swap``;
``finish_pending`` rolls it forward to fully new. Every speakerid reader and writer does that first
(``speakerid annotate``, ``speakerid label``, ``speakerid app``, the plugin's batch operator).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bson import ObjectId
from pymongo import ReplaceOne, UpdateOne
from pymongo.errors import BulkWriteError

from speakerid.errors import SpeakeridError
from speakerid.fiftyone_private import dataset_id, forget_frames, frame_docs, sample_docs
from speakerid.stop_points import stop_point

PENDING = "speakerid_pending"
WRITTEN = "speakerid_written_at"  # the stamp of the write that made the sample's current labels
LEASE_S = 10.0  # a claim whose writer has not renewed it for this long is abandoned
WAIT_S = 120.0  # give up waiting for another live writer of the same sample after this
BATCH = 100  # frame documents per insert (the lease is renewed between batches)
_DUPLICATE_KEY = 11000


class Superseded(SpeakeridError):
    """The sample holds labels written after the ones being written (they are kept)."""


def replace_labels(
    dataset: Any,
    sample_id: str,
    fields: dict[str, Any],
    frames: list[dict[str, Any]],
    owned: tuple[str, ...],
    extra: dict[str, Any] | None = None,
    made_at: datetime | None = None,
) -> None:
    """Make ``fields`` and ``frames`` the sample's labels, all-or-nothing (see module doc).

    ``owned``: the frame fields this write replaces; other frame fields are kept. ``extra``:
    MongoDB update operators (``$set``, ``$pull``, ...) applied when the write completes (done
    markers). ``made_at``: when these labels were computed; if the sample's labels were written
    later than that (another machine, meanwhile), nothing is written and ``Superseded`` is raised.
    """
    declare_marker(dataset)
    samples, frame_coll = sample_docs(dataset), frame_docs(dataset)
    sid, staging = ObjectId(sample_id), ObjectId()
    stamp = _claim(dataset, sid, staging, made_at)
    try:
        frames = _carry_over(frame_coll, sid, frames, owned)
        for i in range(0, len(frames), BATCH):
            docs = [
                {
                    **d,
                    "_sample_id": staging,
                    "_dataset_id": dataset_id(dataset),
                    "created_at": stamp,
                    "last_modified_at": stamp,
                }
                for d in frames[i : i + BATCH]
            ]
            frame_coll.insert_many(docs, ordered=False)
            _renew(samples, sid, staging)
        labels = {"$set": {**fields, WRITTEN: stamp, "last_modified_at": stamp}}
        after = {**(extra or {})}
        cleared = {k: "" for k in after.get("$set", {})}
        published = samples.update_one(
            {"_id": sid, f"{PENDING}.staging": staging},
            {
                "$set": {
                    f"{PENDING}.phase": "swap",
                    f"{PENDING}.then": _store(labels),
                    f"{PENDING}.after": _store(after),
                },
                **({"$unset": cleared} if cleared else {}),
            },
        )
        if not published.matched_count:
            raise _lost(dataset, sid)
    except BaseException:
        try:
            _abandon(dataset, sid, staging)
        except Exception:  # noqa: BLE001 - database gone: the expired claim is cleaned up later
            pass
        raise
    _swap(dataset, sid, {"staging": staging, "stamp": stamp, "then": _store(labels), "after": _store(after)})


def finish_pending(dataset: Any, sample_ids: list[str] | None = None) -> int:
    """Roll interrupted writes forward (published ones) or back (abandoned claims); returns how
    many samples were repaired. Claims of live writers (unexpired lease) are left alone."""
    query: dict[str, Any] = {PENDING: {"$type": "object"}}
    if sample_ids is not None:
        query["_id"] = {"$in": [ObjectId(s) for s in sample_ids]}
    repaired = 0
    for doc in sample_docs(dataset).find(query, {PENDING: 1}):
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
    """Declare ``speakerid_pending`` and ``speakerid_written_at`` so FiftyOne shows and filters them."""
    import fiftyone as fo

    for name, ftype in ((PENDING, fo.DictField), (WRITTEN, fo.DateTimeField)):
        if name not in dataset.get_field_schema():
            try:
                dataset.add_sample_field(name, ftype)
            except ValueError:  # declared meanwhile by another process
                dataset.reload()


def _claim(dataset: Any, sid: ObjectId, staging: ObjectId, made_at: datetime | None) -> datetime:
    """Take the sample's write claim (wait for a live writer, take over an abandoned claim) and
    return this write's stamp."""
    samples = sample_docs(dataset)
    marker = {"staging": staging, "phase": "stage", "stamp": None, "until": _lease()}
    query: dict[str, Any] = {"_id": sid, PENDING: None}
    if made_at is not None:
        query["$or"] = [{WRITTEN: None}, {WRITTEN: {"$lt": made_at}}]
    deadline = time.monotonic() + WAIT_S
    while not samples.update_one(query, {"$set": {PENDING: marker}}).matched_count:
        doc = samples.find_one({"_id": sid}, {PENDING: 1, WRITTEN: 1})
        if doc is None:
            raise SpeakeridError(f"sample {sid} of dataset {dataset.name!r} was deleted during the write")
        old = doc.get(PENDING)
        if old and old.get("phase") == "swap":
            _swap(dataset, sid, old)
        elif old and _expired(old):
            _abandon(dataset, sid, old["staging"])
        elif not old and made_at is not None and doc.get(WRITTEN) is not None and doc[WRITTEN] >= made_at:
            raise Superseded(
                f"sample {sid} of dataset {dataset.name!r} has labels written at {doc[WRITTEN]:%Y-%m-%d %H:%M:%S} UTC, "
                f"after these were made ({made_at:%Y-%m-%d %H:%M:%S} UTC): kept the newer labels"
            )
        elif time.monotonic() > deadline:
            raise SpeakeridError(
                f"sample {sid} of dataset {dataset.name!r} is being written by another "
                f"process since {old.get('until') if old else '?'}; retry later"
            )
        else:
            time.sleep(0.2)
    newest = frame_docs(dataset).find_one({"_sample_id": sid}, {"created_at": 1}, sort=[("created_at", -1)])
    stamp = utc_now()
    if newest is not None and newest.get("created_at") is not None and newest["created_at"] >= stamp:
        stamp = newest["created_at"] + timedelta(milliseconds=1)
    mine = {"_id": sid, f"{PENDING}.staging": staging}
    if not samples.update_one(mine, {"$set": {f"{PENDING}.stamp": stamp}}).matched_count:
        raise _lost(dataset, sid)
    return stamp


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
    """Steps 4a-4d of the module doc; each only touches data older than the write's stamp and
    each is idempotent, so any number of finishers, at any moment, converge."""
    frame_coll, samples = frame_docs(dataset), sample_docs(dataset)
    staging, stamp = marker["staging"], marker["stamp"]
    stop_point("swap")
    current = {d["frame_number"]: d for d in frame_coll.find({"_sample_id": sid}, {"frame_number": 1, "created_at": 1})}
    ops: list[Any] = []
    for doc in frame_coll.find({"_sample_id": staging}):
        have = current.get(doc["frame_number"])
        if have is None:  # a frame the sample lacks: move the staged document in
            ops.append(UpdateOne({"_id": doc["_id"], "_sample_id": staging}, {"$set": {"_sample_id": sid}}))
        elif have.get("created_at") is None or have["created_at"] < stamp:  # older: replaced in place
            new = {k: v for k, v in doc.items() if k != "_id"} | {"_sample_id": sid}
            ops.append(ReplaceOne({"_id": have["_id"], "created_at": have.get("created_at")}, new))
        # else: replaced already (a finisher ran before), or a newer frame is there and wins; the
        # staged copies left are deleted once the swap is complete
    if ops:
        _bulk(frame_coll, ops)
    stop_point("swap-frames")
    labels, after = _load(marker["then"]), _load(marker.get("after", []))
    samples.update_one({"_id": sid, f"{PENDING}.staging": staging}, labels)
    frame_coll.delete_many({"_sample_id": sid, "created_at": {"$lt": stamp}})
    frame_coll.delete_many({"_sample_id": staging})  # the staged copies of replaced frames
    after["$unset"] = {**after.get("$unset", {}), PENDING: ""}
    samples.update_one({"_id": sid, f"{PENDING}.staging": staging}, after)
    forget_frames(dataset, [str(sid)])


def _bulk(coll: Any, ops: list[Any]) -> None:
    """Apply ``ops``; a staged frame whose number a newer frame took meanwhile is skipped: the
    newer one wins (the staged copy is deleted at the end of the swap)."""
    while ops:
        try:
            coll.bulk_write(ops, ordered=True)
            return
        except BulkWriteError as exc:
            first = exc.details["writeErrors"][0]
            if first.get("code") != _DUPLICATE_KEY:
                raise
            ops = ops[first["index"] + 1 :]


def _store(update: dict[str, Any]) -> list[list[Any]]:
    """An update as [[operator, value], ...]: keys starting with "$" cannot be stored."""
    return [[op, value] for op, value in update.items()]


def _load(stored: Any) -> dict[str, Any]:
    return {op: value for op, value in stored}


def _abandon(dataset: Any, sid: ObjectId, staging: ObjectId) -> None:
    """Drop an unpublished claim: its staged frames and the marker; the old labels stay."""
    frame_docs(dataset).delete_many({"_sample_id": staging})
    sample_docs(dataset).update_one(
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
    return until is None or until < utc_now()


def _lease() -> datetime:
    return utc_now() + timedelta(seconds=LEASE_S)


def utc_now() -> datetime:
    """Naive UTC with millisecond precision: exactly what MongoDB stores and returns."""
    now = datetime.now(UTC).replace(tzinfo=None)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)
