"""Write a VideoResult into a FiftyOne dataset as native labels.

A video already in the dataset (same filepath) has its speakerid fields replaced, never
duplicated; everything is built in memory first, so a failed analysis never touches the dataset.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from speakerid.results import VideoResult

FACES, SPEAKER, SEGMENTS, SPEAKERS, RUN = "faces", "speaker", "speaker_segments", "speakers", "speakerid"


def database_note() -> str:
    """Which database FiftyOne will use (embedded unless FIFTYONE_DATABASE_URI is set)."""
    uri = os.environ.get("FIFTYONE_DATABASE_URI")
    return f"database {uri}" if uri else "embedded database"


def get_or_create_dataset(name: str) -> Any:
    """A persistent dataset called ``name`` (created on first use)."""
    import fiftyone as fo

    if fo.dataset_exists(name):
        return fo.load_dataset(name)
    ds = fo.Dataset(name)
    ds.persistent = True
    return ds


def find_sample(dataset: Any, filepath: str) -> Any | None:
    """The sample of ``filepath`` in ``dataset``, if any."""
    from fiftyone import ViewField as F

    view = dataset.match(F("filepath") == filepath).limit(1)
    return view.first() if len(view) else None


def _frame_labels(result: VideoResult) -> dict[int, dict[str, Any]]:
    import fiftyone as fo

    frames = {}
    for fr in result.frames:
        dets = []
        for f in fr.faces:
            attrs = {"similarity": f.similarity, "detector_score": f.detector_score}
            if f.speaking is not None:
                attrs["speaking"] = f.speaking
            if f.embedding is not None:
                attrs["embedding"] = f.embedding.astype(float).tolist()
            dets.append(fo.Detection(label=f.identity, bounding_box=list(f.box), confidence=f.confidence,
                                     index=f.track, **attrs))
        labels: dict[str, Any] = {FACES: fo.Detections(detections=dets)}
        if fr.speaker is not None:
            labels[SPEAKER] = fo.Classification(label=fr.speaker, confidence=fr.speaker_confidence)
        frames[fr.index + 1] = labels
    return frames


def _sample_labels(result: VideoResult) -> dict[str, Any]:
    import fiftyone as fo

    segs = [fo.TemporalDetection(label=s.speaker, support=[s.first_frame, s.last_frame], confidence=s.confidence,
                                 start_time=s.start, end_time=s.end) for s in result.segments]
    people = [fo.Classification(label=name, screen_time=secs) for name, secs in result.screen_time.items()]
    return {
        SEGMENTS: fo.TemporalDetections(detections=segs),
        SPEAKERS: fo.Classifications(classifications=people),
        RUN: {**{k: v for k, v in result.settings.items()}, "analysed_fps": result.analysed_fps, "notes": result.notes},
    }


def write_video_result(dataset: Any, result: VideoResult, sample: Any | None = None) -> Any:
    """Add or replace the sample of ``result.video`` (or write onto ``sample``); returns the saved sample."""
    import fiftyone as fo

    filepath = str(Path(result.video).resolve())
    frame_labels = _frame_labels(result)
    sample_labels = _sample_labels(result)
    sample = sample if sample is not None else find_sample(dataset, filepath)
    new = sample is None
    if new:
        sample = fo.Sample(filepath=filepath)
    else:
        sample.frames.clear()
        sample.save()  # FiftyOne drops sample fields set after an unsaved frames.clear()
    if sample.metadata is None:
        sample.metadata = fo.VideoMetadata.build_for(filepath)
    for key, value in sample_labels.items():
        sample[key] = value
    for number, labels in frame_labels.items():
        sample.frames[number] = fo.Frame(**labels)
    if new:
        dataset.add_sample(sample)
    else:
        sample.save()
    return sample
