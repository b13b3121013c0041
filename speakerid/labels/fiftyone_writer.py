"""Write a VideoResult into a FiftyOne dataset as native labels.

A video already in the dataset (same filepath) has its speakerid fields replaced, never
duplicated, and the replacement is all-or-nothing for every reader (``labels.replace``).
Everything is built in memory first (``label_docs``), so a failed analysis never touches the
dataset, and the same documents can be kept in a spool when the database is unreachable.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from speakerid.errors import SpeakeridError
from speakerid.fiftyone_private import sample_docs
from speakerid.labels.app_clock import app_frame_number, frame_offset
from speakerid.labels.interpolate import Sighting, analysed_step, between_frames
from speakerid.results import VideoResult

FACES, SPEAKER, SEGMENTS, SPEAKERS, RUN = "faces", "speaker", "speaker_segments", "speakers", "speakerid"
TRACKS = "face_tracks"  # one TemporalDetection per face track (VideoResult.tracks)
# Boxes of the frames between analysed ones (labels.interpolate), in a field of their own so that
# everything reading ``faces`` (speakers, clusters, the face index, training) sees analysed faces only.
FACES_BETWEEN = "faces_between"
# The tracks' mean embeddings, row i for face_tracks.detections[i]: a field of their own, so
# hovering a label in the App never dumps 512 floats (NaN rows: tracks too short to embed).
TRACK_EMBEDDINGS = "face_track_embeddings"


@dataclass
class LabelDocs:
    """One video's labels as database documents: sample fields and frame documents."""

    filepath: str
    fields: dict[str, Any]  # sample field -> stored value
    frames: list[dict[str, Any]]  # frame documents (``frame_number`` + frame fields)
    field_types: dict[str, Any] = field(default_factory=dict)  # "name" / "frames.name" -> Label class


def get_or_create_dataset(name: str, media_type: str = "video") -> Any:
    """A persistent dataset called ``name`` (of ``media_type`` when created: videos for labels,
    images for face patches and heatmaps); two processes creating it at once get one."""
    import fiftyone as fo

    if not fo.dataset_exists(name):
        try:
            ds = fo.Dataset(name)
            ds.persistent = True
            ds.media_type = media_type
            return ds
        except Exception:  # noqa: BLE001 - lost the creation race (unique name): load the winner's
            if not fo.dataset_exists(name):
                raise
    return fo.load_dataset(name)


def find_sample(dataset: Any, filepath: str) -> Any | None:
    """The sample of ``filepath`` in ``dataset``, if any (read with the current schema, which
    another process may have extended meanwhile)."""
    doc = sample_docs(dataset).find_one({"filepath": filepath}, {"_id": 1})
    if doc is None:
        return None
    dataset.reload()
    return dataset[str(doc["_id"])]


def sample_id_for(dataset: Any, filepath: str) -> str:
    """The id of the sample of ``filepath``, created (without labels) if missing; idempotent
    across processes: a unique index on ``filepath`` makes concurrent first writes of one video
    converge on one sample (the loser of the insert race finds the winner's)."""
    import fiftyone as fo
    from pymongo.errors import DuplicateKeyError

    _unique_filepaths(dataset)
    coll = sample_docs(dataset)
    doc = coll.find_one({"filepath": filepath}, {"_id": 1})
    if doc is None:
        now = datetime.now(UTC).replace(tzinfo=None)
        new = dataset._make_dict(
            fo.Sample(filepath=filepath, metadata=fo.VideoMetadata.build_for(filepath)),
            created_at=now,
            last_modified_at=now,
        )
        try:
            coll.insert_one(new)
        except DuplicateKeyError:
            pass
        doc = coll.find_one({"filepath": filepath}, {"_id": 1})
    return str(doc["_id"])


def _unique_filepaths(dataset: Any) -> None:
    """Make ``filepath`` unique in this dataset (speakerid identifies videos by path); a dataset
    that already holds duplicates keeps its non-unique index."""
    try:
        with _quiet("fiftyone.core.collections"):
            dataset.create_index("filepath", unique=True)
    except Exception:  # noqa: BLE001 - duplicates exist already: nothing to enforce
        pass


def label_docs(result: VideoResult, between: bool = True) -> LabelDocs:
    """The documents ``result`` is stored as; pure (no database access). ``between``: also the
    interpolated boxes of the frames between analysed ones (``FACES_BETWEEN``)."""
    import fiftyone as fo

    filepath = str(Path(result.video).resolve())
    frames, frame_types, seen = [], {}, {}
    for number, labels in _frame_labels(result):
        doc = {k: v for k, v in fo.Frame(**labels).to_mongo_dict().items() if v is not None}
        doc["frame_number"] = number
        frames.append(doc)
        frame_types.update({f"frames.{k}": type(v) for k, v in labels.items()})
        seen[number] = [Sighting(d.index, tuple(d.bounding_box), d) for d in labels[FACES].detections]
    if between and result.video_fps and result.analysed_fps:
        for number, sightings in between_frames(seen, analysed_step(result.video_fps, result.analysed_fps)):
            doc = fo.Frame(**{FACES_BETWEEN: _between_boxes(sightings)}).to_mongo_dict()
            frames.append({FACES_BETWEEN: doc[FACES_BETWEEN], "frame_number": number})
            frame_types[f"frames.{FACES_BETWEEN}"] = fo.Detections
        frames.sort(key=lambda d: d["frame_number"])
    labels = _sample_labels(result)
    stored = fo.Sample(filepath=filepath, **labels).to_mongo_dict()
    types = {
        k: (type(v) if isinstance(v, fo.Label) else fo.ArrayField if isinstance(v, np.ndarray) else dict)
        for k, v in labels.items()
    }
    return LabelDocs(filepath, {k: stored[k] for k in labels}, frames, {**types, **frame_types})


def write_label_docs(
    dataset: Any,
    docs: LabelDocs,
    sample_id: str | None = None,
    extra: dict[str, Any] | None = None,
    made_at: datetime | None = None,
) -> Any:
    """Store prepared ``docs`` on sample ``sample_id`` (else the sample of ``docs.filepath``);
    returns the saved sample. ``extra``: MongoDB update operators applied in the same
    single-document update that publishes the labels (the batch job's done marker), so they can
    never disagree with them. ``made_at``: when the labels were made;
    labels the sample got later are kept (``labels.replace.Superseded``)."""
    import fiftyone as fo
    from bson import ObjectId

    from speakerid.labels.replace import replace_labels

    declare_fields(dataset, docs.field_types)
    sample_id = sample_id or sample_id_for(dataset, docs.filepath)
    fields = dict(docs.fields)
    stored = sample_docs(dataset).find_one({"_id": ObjectId(sample_id)}, {"filepath": 1, "metadata": 1})
    if stored is None:
        raise SpeakeridError(f"sample {sample_id} is not in dataset {dataset.name!r} (deleted meanwhile?)")
    meta = stored.get("metadata")
    if meta is None:
        meta = fo.Sample(
            filepath=stored["filepath"], metadata=fo.VideoMetadata.build_for(stored["filepath"])
        ).to_mongo_dict()["metadata"]
        fields["metadata"] = meta
    last = max((d["frame_number"] for d in docs.frames), default=0)
    if last > (meta.get("total_frame_count") or 0):
        # frame numbers on the App's clock run past the decoded-frame count when the video starts
        # late; FiftyOne's frame views stop at total_frame_count, so it counts App frames
        fields["metadata"] = {**meta, "total_frame_count": last}
    owned = (FACES, SPEAKER, FACES_BETWEEN)
    replace_labels(dataset, sample_id, fields, docs.frames, owned=owned, extra=extra, made_at=made_at)
    dataset.reload()  # the schema may have grown in another process meanwhile
    sample = dataset[sample_id]
    sample.reload(hard=True)
    return sample


def declare_fields(dataset: Any, types: dict[str, Any]) -> None:
    """Add the label fields to the dataset schema (labels are written below FiftyOne's ORM)."""
    import fiftyone as fo

    if dataset.media_type is None:
        _idempotent(dataset, lambda: setattr(dataset, "media_type", "video"), lambda: dataset.media_type == "video")
    for path, cls in types.items():
        frame = path.startswith("frames.")
        name = path.removeprefix("frames.")
        schema = dataset.get_frame_field_schema if frame else dataset.get_field_schema
        if name in schema():
            continue
        kind = (
            {"ftype": fo.DictField}
            if cls is dict
            else {"ftype": fo.ArrayField}
            if cls is fo.ArrayField
            else {"ftype": fo.EmbeddedDocumentField, "embedded_doc_type": cls}
        )
        add = dataset.add_frame_field if frame else dataset.add_sample_field
        _idempotent(dataset, partial(add, name, **kind), partial(_has_field, schema, name))


def _has_field(schema: Any, name: str) -> bool:
    return name in schema()


def _idempotent(dataset: Any, change, done) -> None:
    """Apply a schema ``change`` another process may be applying at the same moment."""
    try:
        change()
    except Exception:  # noqa: BLE001 - the other process won: fine if its change is ours
        dataset.reload()
        if not done():
            raise


def _frame_labels(result: VideoResult) -> Iterator[tuple[int, dict[str, Any]]]:
    """(frame_number, {field: label}) per analysed frame, built one frame at a time; frame
    numbers are on the App's clock (``labels.app_clock``), not decode indices."""
    import fiftyone as fo

    for fr in result.frames:
        dets = []
        for f in fr.faces:
            attrs = {"similarity": f.similarity, "detector_score": f.detector_score}
            if f.speaking is not None:
                attrs["speaking"] = f.speaking
            dets.append(
                fo.Detection(
                    label=f.identity, bounding_box=list(f.box), confidence=f.confidence, index=f.track, **attrs
                )
            )
        labels: dict[str, Any] = {FACES: fo.Detections(detections=dets)}
        if fr.speaker is not None:
            labels[SPEAKER] = fo.Classification(label=fr.speaker, confidence=fr.speaker_confidence)
        yield app_frame_number(fr.time, result.video_fps), labels


def _between_boxes(sightings: list[Sighting]) -> Any:
    """Interpolated boxes: the label, confidence and track of the analysed box before them."""
    import fiftyone as fo

    return fo.Detections(
        detections=[
            fo.Detection(
                label=s.source.label,
                bounding_box=list(s.box),
                confidence=s.source.confidence,
                index=s.track,
                interpolated=True,
            )
            for s in sightings
        ]
    )


def _clock(result: VideoResult) -> dict[str, Any]:
    """``frame_offset`` (App frame number minus 1-based decode index), ``start_time`` (PTS of
    decode index 0) and ``frame_count`` (decoded frames) of a constant-frame-rate video: what
    re-deciding its speakers from the stored labels needs (``review.relabel``)."""
    first = result.frames[0] if len(result.frames) else None
    count = int(round(result.duration * result.video_fps))
    if first is None:
        return {"frame_offset": 0, "start_time": 0.0, "frame_count": count}
    return {
        "frame_offset": frame_offset(first.time, first.index, result.video_fps),
        "start_time": round(float(first.time) - first.index / result.video_fps, 6),
        "frame_count": count,
    }


def timeline_labels(segments: list[Any], screen_time: dict[str, float], offset: int) -> dict[str, Any]:
    """``speaker_segments`` and ``speakers`` of a video (also rebuilt after a relabel in the App);
    ``offset`` moves the segments' decode-based frame numbers onto the App's clock."""
    import fiftyone as fo

    segs = [
        fo.TemporalDetection(
            label=s.speaker,
            support=[s.first_frame + offset, s.last_frame + offset],
            confidence=s.confidence,
            start_time=s.start,
            end_time=s.end,
        )
        for s in segments
    ]
    people = [fo.Classification(label=name, screen_time=secs) for name, secs in screen_time.items()]
    return {SEGMENTS: fo.TemporalDetections(detections=segs), SPEAKERS: fo.Classifications(classifications=people)}


def _sample_labels(result: VideoResult) -> dict[str, Any]:
    import fiftyone as fo

    clock = _clock(result)
    offset = clock["frame_offset"]
    labels = {
        **timeline_labels(result.segments, result.screen_time, offset),
        RUN: {**result.settings, "analysed_fps": result.analysed_fps, "notes": result.notes, **clock},
    }
    labels[TRACKS] = fo.TemporalDetections(detections=[_track_label(t, offset) for t in result.tracks])
    labels[TRACK_EMBEDDINGS] = _track_embeddings(result.tracks)
    return labels


def _track_embeddings(tracks: list[Any]) -> np.ndarray:
    """(tracks, dim) float32, one row per track in ``face_tracks`` order; NaN rows for tracks
    without an embedding; (0, 0) when none are stored (always written: a re-annotation must not
    leave the previous run's rows behind)."""
    if not tracks:
        return np.zeros((0, 0), np.float32)
    dim = next((len(t.embedding) for t in tracks if t.embedding is not None), 0)
    return np.stack(
        [
            np.full(dim, np.nan, np.float32) if t.embedding is None else np.asarray(t.embedding, np.float32)
            for t in tracks
        ]
    )


def _track_label(track: Any, offset: int) -> Any:
    """A face track (``VideoResult.tracks``) as a TemporalDetection over the frames it spans.

    ``first_frame``/``last_frame``/``best_frame`` of a TrackResult are 0-based decode indices, like
    ``FrameResult.index``; FiftyOne frame numbers are those plus one plus the video's ``offset``
    (``labels.app_clock``).
    """
    import fiftyone as fo

    first = int(track.first_frame) + 1 + offset
    attrs: dict[str, Any] = {
        "similarity": track.similarity,
        "best": track.best,
        "faces": int(track.num_faces),
        "embedded": int(track.embedded),
        "start_time": float(track.start),
        "end_time": float(track.end),
        "best_frame": int(track.best_frame) + 1 + offset,
        "best_box": [float(v) for v in track.best_box],
    }
    return fo.TemporalDetection(
        label=track.identity,
        support=[first, int(track.last_frame) + 1 + offset],
        confidence=track.confidence,
        index=int(track.id),
        **attrs,
    )


class _quiet:
    """Silence one FiftyOne logger below WARNING for a block (its INFO chatter is not ours)."""

    def __init__(self, name: str) -> None:
        self.logger = logging.getLogger(name)

    def __enter__(self) -> None:
        self.level = self.logger.level
        self.logger.setLevel(logging.WARNING)

    def __exit__(self, *exc: object) -> None:
        self.logger.setLevel(self.level)
