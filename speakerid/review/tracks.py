"""The face tracks of a dataset as plain records with their embeddings (what review works on).

A track is one person followed through a video: ``face_tracks`` holds its label, span, best
face and cluster; ``face_track_embeddings`` its quality-weighted mean embedding (row i for
detection i); ``frames.faces`` boxes carry the track id in ``index``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from speakerid.errors import SpeakeridError
from speakerid.labels.fiftyone_writer import RUN, TRACK_EMBEDDINGS, TRACKS


@dataclass
class Track:
    """One face track of one video sample."""

    sample_id: str
    filepath: str
    index: int  # the track id (``index`` of its labels)
    label_id: str  # id of its ``face_tracks`` detection
    label: str
    confidence: float
    support: tuple[int, int]  # App frame numbers
    start: float
    end: float
    faces: int  # analysed frames it appears on
    best_frame: int  # App frame number of its best face
    best_box: tuple[float, float, float, float]
    frame_rate: float
    analysed_fps: float
    cluster: int | None = None

    @property
    def screen_time(self) -> float:
        """Seconds on screen: one analysed-frame step per appearance (as ``speakers`` counts)."""
        return self.faces / self.analysed_fps if self.analysed_fps else 0.0

    @property
    def source(self) -> str:
        """Where a gallery reference made from this track came from."""
        return f"{self.filepath}#track={self.index}"


@dataclass
class Tracks:
    """Tracks and their embeddings, row for row; ``missing``: tracks left out for lack of one."""

    tracks: list[Track] = field(default_factory=list)
    embeddings: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    missing: int = 0


def read_tracks(collection: Any, label: str | None = None, need_embeddings: bool = True) -> Tracks:
    """The face tracks of the video samples of ``collection`` (only those labelled ``label`` if
    given). With ``need_embeddings`` a track without a stored embedding is left out and counted
    in ``missing`` (tracks too short to embed, videos annotated by an older speakerid)."""
    if TRACKS not in collection.get_field_schema():
        raise SpeakeridError(f"{collection.dataset_name}: no face tracks yet; annotate the videos first")
    has_emb = TRACK_EMBEDDINGS in collection.get_field_schema()
    fields = ["id", "filepath", f"{TRACKS}.detections", "metadata.frame_rate", RUN]
    values = collection.values(fields + ([TRACK_EMBEDDINGS] if has_emb else []))
    rows = zip(*values) if has_emb else (v + (None,) for v in zip(*values))
    out, vectors = Tracks(), []
    for sample_id, path, dets, rate, run, emb in rows:
        dets = dets or []
        aligned = emb is not None and emb.ndim == 2 and len(emb) == len(dets) and emb.shape[1] > 0
        analysed = float((run or {}).get("analysed_fps") or 0.0)
        for i, det in enumerate(dets):
            if label is not None and det.label != label:
                continue
            vec = emb[i] if aligned else None
            if need_embeddings and (vec is None or not np.isfinite(vec).all()):
                out.missing += 1
                continue
            out.tracks.append(_track(sample_id, path, det, float(rate or 0.0), analysed))
            if need_embeddings:
                vectors.append(np.asarray(vec, np.float32))
    if vectors:
        out.embeddings = np.stack(vectors)
    return out


def _track(sample_id: str, path: str, det: Any, frame_rate: float, analysed_fps: float) -> Track:
    get = lambda name, default=None: det[name] if det.has_field(name) else default  # noqa: E731
    cluster = get("cluster")
    return Track(
        sample_id=sample_id,
        filepath=path,
        index=int(det.index),
        label_id=det.id,
        label=det.label,
        confidence=float(det.confidence or 0.0),
        support=(int(det.support[0]), int(det.support[1])),
        start=float(get("start_time", 0.0)),
        end=float(get("end_time", 0.0)),
        faces=int(get("faces", 0)),
        best_frame=int(get("best_frame", det.support[0])),
        best_box=tuple(float(v) for v in get("best_box", (0.0, 0.0, 1.0, 1.0))),
        frame_rate=frame_rate,
        analysed_fps=analysed_fps,
        cluster=None if cluster is None else int(cluster),
    )
