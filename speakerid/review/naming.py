"""Naming people in the App: a cluster, or the tracks of selected face boxes, become a person.

Naming enrolls the tracks into the dataset's gallery (their mean embeddings as references, the
best face of the longest track as the person's thumbnail; everyone else's references are
untouched) and relabels every one of those tracks across the dataset (``review.relabel``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from speakerid.errors import GalleryError, SpeakeridError
from speakerid.identity.gallery import Gallery
from speakerid.labels.fiftyone_writer import RUN
from speakerid.results import UNKNOWN
from speakerid.review.cluster_actions import check_cluster_is_one_person
from speakerid.review.frames import track_crop
from speakerid.review.relabel import relabel_tracks
from speakerid.review.tracks import Track, read_tracks

NAME_RE = re.compile(r"^[\w][\w .\-']{0,79}$")


@dataclass
class Named:
    """What naming did: tracks enrolled and relabelled, face boxes renamed, the gallery file."""

    name: str
    tracks: int
    faces: int
    gallery: Path


def name_problem(name: str | None) -> str | None:
    """Why ``name`` cannot be a person's name in the gallery (None when fine)."""
    if not name or not name.strip():
        return "type the person's name"
    if name.strip() == UNKNOWN:
        return f"{UNKNOWN!r} is what speakerid calls people it does not know; choose a name"
    if not NAME_RE.match(name.strip()):
        return f"{name!r}: use letters, digits, spaces, '_', '-', '.' or an apostrophe (max 80)"
    return None


def name_cluster(dataset: Any, cluster: int, name: str, gallery_path: str | Path) -> Named:
    """Enroll the ``unknown`` tracks of stored cluster ``cluster`` as ``name`` and relabel them;
    refused when a track looks like someone else (``review.cluster_actions``)."""
    found = read_tracks(dataset, label=UNKNOWN)
    rows = [i for i, t in enumerate(found.tracks) if t.cluster == cluster]
    if not rows:
        raise SpeakeridError(f"cluster {cluster}: no unknown tracks in it (already named, or clustered again since)")
    tracks, embeddings = [found.tracks[i] for i in rows], found.embeddings[rows]
    check_cluster_is_one_person(dataset, tracks, embeddings)
    return name_tracks(dataset, tracks, embeddings, name, gallery_path)


def name_faces(dataset: Any, faces: list[dict], name: str, gallery_path: str | Path) -> Named:
    """Name the tracks of selected ``frames.faces`` boxes (``{sample_id, frame_number, label_id}``)."""
    found = read_tracks(dataset.select([f["sample_id"] for f in faces]))
    wanted = _tracks_of_faces(dataset, faces)
    rows = [i for i, t in enumerate(found.tracks) if (t.sample_id, t.index) in wanted]
    if len(rows) < len(wanted):
        raise SpeakeridError(
            f"{len(wanted) - len(rows)} of the selected faces' tracks have no stored embedding "
            "(annotated by an older speakerid?): annotate those videos again"
        )
    return name_tracks(dataset, [found.tracks[i] for i in rows], found.embeddings[rows], name, gallery_path)


def name_tracks(
    dataset: Any, tracks: list[Track], embeddings: np.ndarray, name: str, gallery_path: str | Path
) -> Named:
    """Enroll ``tracks`` (with their ``embeddings``, row for row) as ``name``; relabel them."""
    problem = name_problem(name)
    if problem:
        raise SpeakeridError(problem)
    if not tracks:
        raise SpeakeridError("no tracks to name")
    name = name.strip()
    path = Path(gallery_path).expanduser()
    gallery = _gallery_for(dataset, path, tracks)
    face = track_crop(max(tracks, key=lambda t: (t.faces, t.confidence)))
    gallery.add_person(name, embeddings, [t.source for t in tracks], thumbnail=face)
    gallery.save(path)
    faces = relabel_tracks(dataset, {(t.sample_id, t.index): name for t in tracks})
    return Named(name, len(tracks), faces, path)


def _gallery_for(dataset: Any, path: Path, tracks: list[Track]) -> Gallery:
    """The gallery at ``path`` (a new one if missing), checked against the tracks' embedder."""
    runs = dataset.select([t.sample_id for t in tracks]).values(RUN)
    embedders = {(r or {}).get("embedder") for r in runs} - {None}
    if len(embedders) > 1:
        raise SpeakeridError(f"the tracks were embedded by different embedders ({', '.join(sorted(embedders))})")
    embedder = next(iter(embedders), None)
    if path.exists():
        gallery = Gallery.load(path)
        if embedder and embedder != gallery.embedder:
            raise GalleryError(f"{path}: made with {gallery.embedder}, but these tracks were embedded with {embedder}")
        return gallery
    from speakerid.faces.embedders import get_embedder

    model = get_embedder(embedder or "facenet")
    return Gallery(embedder=model.name, embedder_version=model.version)


def _tracks_of_faces(dataset: Any, faces: list[dict]) -> set[tuple[str, int]]:
    """(sample id, track) of each selected face box; a box that is gone is an error."""
    out = set()
    for face in faces:
        frame = dataset[face["sample_id"]].frames[face["frame_number"]]
        dets = frame["faces"].detections if frame["faces"] is not None else []
        det = next((d for d in dets if d.id == face["label_id"]), None)
        if det is None or det.index is None:
            raise SpeakeridError(f"frame {face['frame_number']}: face {face['label_id']} not found")
        out.add((face["sample_id"], int(det.index)))
    return out
