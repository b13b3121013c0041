"""Rename face tracks across a dataset and re-decide everything that follows from their names.

A track's name lives on its ``face_tracks`` label and on every one of its ``frames.faces``
boxes; the frame speakers, ``speaker_segments`` and ``speakers`` (screen time) are then decided
again from the stored faces with the pipeline's own rules (``timeline.decide``,
``timeline.segments``), so the video reads as if it had been annotated with the new names.
"""

from __future__ import annotations

from typing import Any

from speakerid.errors import SpeakeridError
from speakerid.labels.fiftyone_writer import FACES, FACES_BETWEEN, RUN, SPEAKER, TRACKS, timeline_labels
from speakerid.results import FaceResult, FrameResult
from speakerid.timeline.decide import frame_speakers, speaker_timeline

HUMAN_CONFIDENCE = 1.0  # a name given by a person in the App
REVIEW_TAG, CONFIRMED_TAG = "speakerid_review", "speakerid_confirmed"  # review queue tags (review.review_loop)


def relabel_tracks(dataset: Any, names: dict[tuple[str, int], str]) -> int:
    """Give the tracks ``(sample id, track id) -> name`` their new names (confidence 1, out of the
    review queue) and re-decide each affected video's speakers; returns how many face boxes were
    renamed."""
    renamed = 0
    for sample_id in sorted({s for s, _ in names}):
        sample = dataset[sample_id]
        mine = {track: name for (s, track), name in names.items() if s == sample_id}
        for det in sample[TRACKS].detections if sample[TRACKS] is not None else []:
            if det.index in mine:
                det.label, det.confidence = mine[det.index], HUMAN_CONFIDENCE
        for frame in sample.frames.values():
            for det in frame[FACES].detections if frame[FACES] is not None else []:
                if det.index in mine:
                    det.label, det.confidence = mine[det.index], HUMAN_CONFIDENCE
                    det.tags = [t for t in det.tags or [] if t not in (REVIEW_TAG, CONFIRMED_TAG)]
                    renamed += 1
            between = frame[FACES_BETWEEN] if frame.has_field(FACES_BETWEEN) else None
            for det in between.detections if between is not None else []:  # interpolated: same name
                if det.index in mine:
                    det.label, det.confidence = mine[det.index], HUMAN_CONFIDENCE
        redecide(sample)
        sample.save()
    return renamed


def redecide(sample: Any) -> None:
    """Frame speakers, segments and screen time of ``sample`` from its stored faces (unsaved)."""
    run = sample[RUN] or {}
    fps = sample.metadata.frame_rate if sample.metadata else None
    analysed = run.get("analysed_fps")
    if not fps or not analysed:
        raise SpeakeridError(f"{sample.filepath}: frame rate or analysed fps unknown; annotate it again")
    offset, start = int(run.get("frame_offset", 0)), float(run.get("start_time", 0.0))
    numbers = sorted(n for n, fr in sample.frames.items() if fr[FACES] is not None)
    frames = [_frame_result(sample.frames[n], n - 1 - offset, start, fps) for n in numbers]
    threshold = run.get("speaking_threshold") if run.get("speaker_mode") == "active" else None
    for fr, (speaker, conf) in zip(frames, frame_speakers(frames, analysed, float(run.get("smooth", 1.0)), threshold)):
        fr.speaker, fr.speaker_confidence = speaker, conf
    import fiftyone as fo

    for n, fr in zip(numbers, frames):
        sample.frames[n][SPEAKER] = (
            None if fr.speaker is None else fo.Classification(label=fr.speaker, confidence=fr.speaker_confidence)
        )
    segments, seconds = speaker_timeline(
        frames, 1.0 / analysed, fps, run.get("frame_count"), float(run.get("gap_tolerance", 1.0))
    )
    for field, label in timeline_labels(segments, seconds, offset).items():
        sample[field] = label


def _frame_result(frame: Any, index: int, start: float, fps: float) -> FrameResult:
    """A stored analysed frame as the pipeline had it (decode index, PTS, faces)."""
    faces = [
        FaceResult(
            tuple(d.bounding_box),
            d.label,
            float(d.confidence or 0.0),
            float(d["similarity"] if d.has_field("similarity") else 0.0),
            int(d.index),
            d["detector_score"] if d.has_field("detector_score") else None,
            d["speaking"] if d.has_field("speaking") else None,
        )
        for d in frame[FACES].detections
    ]
    return FrameResult(index=index, time=start + index / fps, faces=faces)
