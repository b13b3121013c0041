"""Plain result records of one annotated video: what every output (FiftyOne, JSON) is written from.

Per-frame data is kept in compact columns (:class:`FaceTable`, a few dozen bytes per face) and
turned into :class:`FrameResult` objects only while a writer iterates them, so a long video's
results stay small; identities live once per track (:class:`TrackResult`).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

import numpy as np

UNKNOWN = "unknown"


@dataclass
class FaceResult:
    """One face on one analysed frame; ``box`` is relative ``[x, y, w, h]`` in 0..1.

    ``detector_score`` is None on frames where the face was tracked rather than detected.
    """

    box: tuple[float, float, float, float]
    identity: str
    confidence: float
    similarity: float
    track: int
    detector_score: float | None = None
    speaking: float | None = None


@dataclass
class FrameResult:
    """Analysis of one sampled frame; ``index`` is the 0-based decode index."""

    index: int
    time: float
    faces: list[FaceResult] = field(default_factory=list)
    speaker: str | None = None
    speaker_confidence: float | None = None


@dataclass
class TrackResult:
    """One face followed through time, and who it is (decided once for the whole track).

    ``embedding`` is the unit-length, quality-weighted mean of the embeddings of its best faces
    (``embedded`` of its ``num_faces`` appearances); ``best`` is the closest gallery person even
    when the track is ``unknown``; ``best_frame``/``best_box`` locate its best face (thumbnails).
    """

    id: int
    identity: str
    best: str
    confidence: float
    similarity: float
    start: float
    end: float
    first_frame: int
    last_frame: int
    num_faces: int
    embedded: int
    embedding: np.ndarray | None
    best_frame: int
    best_box: tuple[float, float, float, float]


@dataclass
class Segment:
    """A span in which one speaker holds the frame; frames are 1-based, inclusive."""

    speaker: str
    start: float
    end: float
    first_frame: int
    last_frame: int
    confidence: float = 1.0


_SAME_FRAME_S = 5e-4  # a score and a row at most this far apart in time are the same frame


class FaceTable:
    """Columns of every analysed frame and every face on it, appended in time order."""

    def __init__(self) -> None:
        self.frame_index, self.frame_time = array("q"), array("d")
        self.speaker: list[str | None] = []
        self.speaker_confidence = array("d")
        self.first_face = array("q")  # row of the frame's first face
        self.face_track = array("q")
        self.face_box = array("f")  # 4 relative values per face
        self.face_score = array("f")  # detector score, NaN when tracked
        self.face_speaking = array("f")  # NaN when not scored

    def add_frame(self, index: int, time: float) -> None:
        """Start a new analysed frame (its faces follow with ``add_face``)."""
        self.frame_index.append(int(index))
        self.frame_time.append(float(time))
        self.first_face.append(len(self.face_track))
        self.speaker.append(None)
        self.speaker_confidence.append(float("nan"))

    def add_face(self, track: int, box: tuple[float, float, float, float], score: float | None) -> None:
        """A face on the frame added last."""
        self.face_track.append(int(track))
        self.face_box.extend(box)
        self.face_score.append(float("nan") if score is None else float(score))
        self.face_speaking.append(float("nan"))

    def __len__(self) -> int:
        return len(self.frame_index)

    def put_speaking(self, scores: dict[int, tuple[np.ndarray, np.ndarray]]) -> int:
        """Put each track's speaking scores on its face rows; returns how many rows got one.

        Scores come as (times, values) per track id, at the times the rows were analysed. They are
        matched to rows by the nearest time within half a millisecond (far below any frame period),
        not by float equality, so a time that went through another float type still finds its row.
        """
        if not scores or not len(self.face_track):
            return 0
        tracks = np.frombuffer(self.face_track, np.int64)
        faces_per_frame = np.diff(np.append(np.frombuffer(self.first_face, np.int64), len(tracks)))
        row_time = np.repeat(np.frombuffer(self.frame_time, np.float64), faces_per_frame)
        speaking = np.frombuffer(self.face_speaking, np.float32)
        order = np.argsort(tracks, kind="stable")
        ids, starts = np.unique(tracks[order], return_index=True)
        put = 0
        for tid, rows in zip(ids, np.split(order, starts[1:])):
            times, values = scores.get(int(tid), (None, None))
            if times is None or not len(times):
                continue
            times, values = np.asarray(times, np.float64), np.asarray(values, np.float64)
            t = row_time[rows]
            after = np.clip(np.searchsorted(times, t), 0, len(times) - 1)
            before = np.maximum(after - 1, 0)
            nearest = np.where(np.abs(times[before] - t) <= np.abs(times[after] - t), before, after)
            hit = np.abs(times[nearest] - t) <= _SAME_FRAME_S
            speaking[rows[hit]] = values[nearest[hit]]
            put += int(hit.sum())
        return put

    def face_rows(self, frame: int) -> range:
        """Rows of the faces of frame number ``frame`` (0-based position, not decode index)."""
        end = self.first_face[frame + 1] if frame + 1 < len(self.first_face) else len(self.face_track)
        return range(self.first_face[frame], end)


class FrameSequence(Sequence[FrameResult]):
    """The analysed frames of a video as :class:`FrameResult` objects, built on access."""

    def __init__(self, table: FaceTable, tracks: dict[int, TrackResult]) -> None:
        self._table, self._tracks = table, tracks

    def __len__(self) -> int:
        return len(self._table)

    @overload
    def __getitem__(self, i: int) -> FrameResult: ...

    @overload
    def __getitem__(self, i: slice) -> list[FrameResult]: ...

    def __getitem__(self, i: int | slice) -> FrameResult | list[FrameResult]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        return self._frame(i)

    def __iter__(self) -> Iterator[FrameResult]:
        return (self._frame(i) for i in range(len(self)))

    def _frame(self, i: int) -> FrameResult:
        t = self._table
        faces = []
        for row in t.face_rows(i):
            track = self._tracks[t.face_track[row]]
            score, speaking = t.face_score[row], t.face_speaking[row]
            faces.append(
                FaceResult(
                    tuple(t.face_box[4 * row : 4 * row + 4]),
                    track.identity,
                    track.confidence,
                    track.similarity,
                    track.id,
                    None if np.isnan(score) else float(score),
                    None if np.isnan(speaking) else float(speaking),
                )
            )
        conf = t.speaker_confidence[i]
        return FrameResult(t.frame_index[i], t.frame_time[i], faces, t.speaker[i], None if np.isnan(conf) else conf)


@dataclass
class VideoResult:
    """Everything speakerid concluded about one video."""

    video: str
    width: int
    height: int
    video_fps: float
    analysed_fps: float
    duration: float
    frames: Sequence[FrameResult]
    segments: list[Segment]
    screen_time: dict[str, float]
    tracks: list[TrackResult] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The documented JSON export schema (docs/json_schema.md)."""
        frames = []
        for fr in self.frames:
            faces = []
            for f in fr.faces:
                face = {
                    "bbox": [round(float(v), 6) for v in f.box],
                    "identity": f.identity,
                    "confidence": round(float(f.confidence), 6),
                    "track": int(f.track),
                }
                if f.speaking is not None:
                    face["speaking"] = round(float(f.speaking), 6)
                faces.append(face)
            frames.append(
                {
                    "frame_number": fr.index + 1,
                    "time": round(float(fr.time), 6),
                    "faces": faces,
                    "speaker": fr.speaker,
                }
            )
        return {
            "video": self.video,
            "fps": self.analysed_fps,
            "frames": frames,
            "segments": [
                {"speaker": s.speaker, "start": round(s.start, 6), "end": round(s.end, 6)} for s in self.segments
            ],
            "tracks": [
                {
                    "track": t.id,
                    "identity": t.identity,
                    "confidence": round(t.confidence, 6),
                    "similarity": round(t.similarity, 6),
                    "start": round(t.start, 6),
                    "end": round(t.end, 6),
                    "faces": t.num_faces,
                }
                for t in self.tracks
            ],
            "screen_time": {k: round(v, 3) for k, v in self.screen_time.items()},
            "settings": self.settings,
            "notes": self.notes,
        }
