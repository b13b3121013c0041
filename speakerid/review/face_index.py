"""Faces as first-class citizens of FiftyOne Brain: a similarity index and an embeddings map.

FiftyOne indexes object patches of *images*; for videos it works on a frames view. So every
analysed frame with faces gets its picture as a JPEG in speakerid's cache (the picture the App
shows on that frame number, ``labels.app_pictures``; FiftyOne's own frame sampler counts decode
indices, which would not match labels on the App's clock), referenced by ``frames.filepath``.
``dataset.to_frames()`` then has one image per such frame and ``.to_patches("faces")`` one patch
per face box, and ``fob.compute_similarity(..., patches_field="faces")`` indexes them.

Each face box gets its track's embedding: a track is one person, and its quality-weighted mean
embedding is a better description of every one of its faces than any single blurred crop. The
index names the zoo model ``speakerid/face-embedder`` (``review.face_model``), so FiftyOne can
embed new patches the same way. ``fob.compute_visualization`` gives the App's
Embeddings panel the faces map of ``review.face_map`` (FiftyOne 1.22 cannot colour it there:
its server looks the colour field up on the video dataset; the plugin's Faces map panel does).
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from typing import Any

import numpy as np

from speakerid.cache import atomic_write_bytes, cache_dir
from speakerid.errors import SpeakeridError
from speakerid.labels.app_pictures import app_pictures
from speakerid.labels.fiftyone_writer import FACES, RUN
from speakerid.review.face_model import FACE_MODEL, register_face_model
from speakerid.review.tracks import read_tracks

FACE_INDEX = "speakerid_faces"  # brain key of the face similarity index
FACE_MAP = "speakerid_faces_map"  # brain key of its 2-D visualization
JPEG_QUALITY = 90


@dataclass
class FaceIndex:
    """What ``build_face_index`` made."""

    faces: int  # face boxes indexed
    frames: int  # frame images used
    written: int  # frame images written now (the others were there already)
    without_embedding: int  # face boxes of tracks without a stored embedding (not indexed)
    brain_key: str
    map_key: str | None


def faces_view(dataset: Any) -> Any:
    """One patch per face box (frames view of the frames with pictures, then their faces)."""
    return dataset.to_frames(sample_frames=False).to_patches(FACES)


def build_face_index(dataset: Any, brain_key: str = FACE_INDEX, map_key: str | None = FACE_MAP) -> FaceIndex:
    """(Re)build the face similarity index of ``dataset`` (and its 2-D map unless ``map_key`` is
    None); frame pictures already in the cache are reused."""
    import fiftyone.brain as fob

    frames_total, written = write_frame_pictures(dataset)
    frames = dataset.to_frames(sample_frames=False)
    vectors, sample_ids, label_ids, missing = face_vectors(dataset, frames)
    if not len(vectors):
        raise SpeakeridError(
            f"{dataset.name}: no face with a stored track embedding to index (annotate the videos first)"
        )
    embedder = _embedder(dataset)
    for key in (brain_key, map_key):
        if key and key in dataset.list_brain_runs():
            dataset.delete_brain_run(key)
    register_face_model()
    index = fob.compute_similarity(
        frames,
        patches_field=FACES,
        embeddings=False,
        brain_key=brain_key,
        model=FACE_MODEL,
        model_kwargs={"embedder": embedder},
    )
    index.add_to_index(vectors, sample_ids, label_ids=label_ids)
    index.save()
    if map_key:
        fob.compute_visualization(frames, patches_field=FACES, points=_map_points(dataset, frames), brain_key=map_key)
    return FaceIndex(len(vectors), frames_total, written, missing, brain_key, map_key)


def face_vectors(dataset: Any, frames: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """(vectors, frame-sample ids, face label ids, faces left out) for every face box of the
    ``frames`` view: each face gets its track's embedding."""
    found = read_tracks(dataset)
    row = {(t.sample_id, t.index): i for i, t in enumerate(found.tracks)}
    ids, videos, faces, tracks = frames.values(
        ["id", "sample_id", f"{FACES}.detections.id", f"{FACES}.detections.index"]
    )
    rows, frame_ids, label_ids, missing = [], [], [], 0
    for fid, video, fs, ts in zip(ids, videos, faces, tracks):
        for label_id, track in zip(fs or [], ts or []):
            i = row.get((str(video), track))
            if i is None:
                missing += 1
                continue
            rows.append(i)
            frame_ids.append(fid)
            label_ids.append(label_id)
    return found.embeddings[rows] if rows else np.zeros((0, 0)), np.array(frame_ids), np.array(label_ids), missing


def write_frame_pictures(dataset: Any) -> tuple[int, int]:
    """Give every analysed frame with faces its picture (``frames.filepath``); returns (frames
    with a picture, pictures written now)."""
    from PIL import Image

    if "filepath" not in dataset.get_frame_field_schema():
        import fiftyone as fo

        dataset.add_frame_field("filepath", fo.StringField)
    total = written = 0
    ids, paths, rates, numbers, counts, stored = dataset.values(
        [
            "id",
            "filepath",
            "metadata.frame_rate",
            "frames.frame_number",
            f"frames.{FACES}.detections",
            "frames.filepath",
        ]
    )
    for sample_id, path, rate, ns, dets, old in zip(ids, paths, rates, numbers, counts, stored):
        folder = cache_dir("frames", _video_key(path))
        wanted = {n: str(folder / f"{n:06d}.jpg") for n, d in zip(ns or [], dets or []) if d}
        todo = [n for n, p in wanted.items() if not _is_file(p)]
        if todo:
            if not rate:
                raise SpeakeridError(f"{path}: frame rate unknown (no metadata); annotate it again")
            for n, picture in app_pictures(path, todo, rate):
                buf = io.BytesIO()
                Image.fromarray(picture).save(buf, format="JPEG", quality=JPEG_QUALITY)
                atomic_write_bytes(wanted[n], buf.getvalue())
                written += 1
        current = dict(zip(ns or [], old or []))
        if any(current.get(n) != p for n, p in wanted.items()):
            sample = dataset[sample_id]
            for n, p in wanted.items():
                sample.frames[n]["filepath"] = p
            sample.save()
        total += len(wanted)
    return total, written


def _video_key(path: str) -> str:
    """Cache folder of one video's pictures: changes when the file does."""
    from pathlib import Path

    stat = Path(path).stat()
    return hashlib.sha1(f"{Path(path).resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:20]


def _is_file(path: str) -> bool:
    from pathlib import Path

    return Path(path).is_file()


def _embedder(dataset: Any) -> str:
    """The one embedder the dataset's tracks were embedded with."""
    names = {(r or {}).get("embedder") for r in dataset.values(RUN)} - {None}
    if len(names) > 1:
        raise SpeakeridError(
            f"{dataset.name}: videos were annotated with different embedders "
            f"({', '.join(sorted(names))}); their faces cannot share one index"
        )
    return next(iter(names), "facenet")


def _map_points(dataset: Any, frames: Any) -> np.ndarray:
    """The faces map (``review.face_map``: one spot per track, its faces around it) in the order
    of the frames view's face boxes."""
    from speakerid.review.face_map import face_map

    faces = face_map(dataset)
    where = dict(zip(faces.label_ids, faces.points))
    ids = [i for frame in frames.values(f"{FACES}.detections.id") for i in frame or []]
    return np.array([where.get(i, (np.nan, np.nan)) for i in ids], np.float64).reshape(-1, 2)
