"""The per-frame loop of annotation: detect on keyframes, follow in between, record, identify.

For each analysed frame, in time order: a shot cut ends every track; on a keyframe (every
``keyframe_every``-th analysed frame, at a cut, or after the flow lost a face) the detector runs
and its faces are linked to tracks, each offering its crop to its track's best faces; otherwise
optical flow moves the visible boxes. A live track that no detection is linked to is looked for
again around its last box before it is hidden (``speakerid.faces.local``). Every face shown on
the frame goes into the compact :class:`~speakerid.results.FaceTable`. Tracks that end are
identified in batches, and only their summaries are kept, so memory stays flat however long the video is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

from speakerid.faces.downscale import detect_downscaled
from speakerid.faces.local import detect_near
from speakerid.faces.quality import face_quality
from speakerid.identity.carry import carry_identities
from speakerid.identity.tracks import TrackEvidence, identify
from speakerid.results import FaceTable, TrackResult
from speakerid.timeline.shots import ShotCutDetector
from speakerid.timeline.tracks import FaceTracker

if TYPE_CHECKING:
    from speakerid.faces.face import Face
    from speakerid.identity.gallery import Gallery
    from speakerid.io.types import VideoInfo
    from speakerid.settings import AnnotateSettings

FLOW_SIDE = 480  # long side (pixels) of the grey frames that shot cuts and optical flow look at
IDENTIFY_BATCH = 32  # crops of ended tracks embedded together


class TrackFirstAnalyser:
    """Feed ``add_frame`` with every analysed frame; ``finish`` returns the tracks' summaries."""

    def __init__(
        self,
        info: VideoInfo,
        settings: AnnotateSettings,
        models: Any,
        gallery: Gallery,
        on_boxes: Callable[[float, dict[int, np.ndarray]], None] | None = None,
    ) -> None:
        self.info, self.settings, self.models, self.gallery = info, settings, models, gallery
        self.table = FaceTable()
        self.tracks: dict[int, TrackResult] = {}
        self.detections = 0
        self._on_boxes = on_boxes
        self._scale = min(1.0, FLOW_SIDE / max(info.width, info.height, 1))
        self._tracker = FaceTracker(max_gap=1.0)
        self._shots = ShotCutDetector()
        self._live: dict[int, TrackEvidence] = {}
        self._ended: list[TrackEvidence] = []
        self._since_key = 0
        self._must_detect = True

    def add_frame(self, index: int, time: float, frame: np.ndarray) -> None:
        """Analyse one frame (H,W,3) RGB with decode ``index`` at presentation ``time``."""
        grey = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
        if self._scale < 1.0:
            grey = cv2.resize(grey, None, fx=self._scale, fy=self._scale, interpolation=cv2.INTER_AREA)
        if self._shots.is_cut(grey):
            self._end(self._tracker.cut())
            self._must_detect = True
        self.table.add_frame(index, time)
        if self._must_detect or self._since_key + 1 >= self.settings.keyframe_every:
            self._keyframe(index, time, frame, grey)
        else:
            self._follow(index, time, grey)
        if self._on_boxes is not None:
            self._on_boxes(time, self._tracker.visible)
        if sum(len(t.best) for t in self._ended) >= IDENTIFY_BATCH:
            self._identify()

    def finish(self) -> dict[int, TrackResult]:
        """End every track, identify the rest, return ``{track id: summary}``."""
        self._end(self._tracker.finish())
        self._identify()
        if self.models.face_model is None:  # a trained classifier has no open-set scale to share
            carry_identities(list(self.tracks.values()), self.gallery, self.settings.threshold)
        return self.tracks

    def _keyframe(self, index: int, time: float, frame: np.ndarray, grey: np.ndarray) -> None:
        faces = detect_downscaled(self.models.detector, frame[None], self.settings.max_detect_side)[0]
        self.detections += 1
        boxes = np.array([f.box for f in faces], np.float32).reshape(-1, 4)
        found: dict[int, Face] = {}

        def look_again(tid: int, box: np.ndarray) -> np.ndarray | None:
            taken = np.concatenate([boxes, *(f.box[None] for f in found.values())])
            face = detect_near(self.models.detector, frame, box, taken)
            if face is not None:
                found[tid] = face
            return None if face is None else face.box

        ids, ended = self._tracker.keyframe(time, grey, boxes, look_again)
        for face, tid in [*zip(faces, ids), *((f, t) for t, f in found.items())]:
            evidence = self._live.get(tid)
            if evidence is None:
                evidence = self._live[tid] = TrackEvidence(tid, self.settings.faces_per_track)
            evidence.seen(index, time)
            evidence.offer(face_quality(frame, face), frame, face, index, self.models.embedder)
            self.table.add_face(tid, self._relative(face.box), face.score)
        self._end(ended)
        self._since_key, self._must_detect = 0, False

    def _follow(self, index: int, time: float, grey: np.ndarray) -> None:
        followed, ended = self._tracker.follow(time, grey, self._scale)
        for tid, box in self._tracker.visible.items():
            self._live[tid].seen(index, time)
            self.table.add_face(tid, self._relative(box), None)
        self._end(ended)
        self._since_key += 1
        self._must_detect = not followed

    def _end(self, ids: list[int]) -> None:
        self._ended.extend(self._live.pop(tid) for tid in ids if tid in self._live)

    def _identify(self) -> None:
        if not self._ended:
            return
        for track in identify(self._ended, self.models.embedder, self.gallery, self.settings, self.models.face_model):
            self.tracks[track.id] = track
        self._ended = []

    def _relative(self, box: np.ndarray) -> tuple[float, float, float, float]:
        w, h = self.info.width, self.info.height
        x1, y1, x2, y2 = np.clip(np.asarray(box, np.float64), 0, [w, h, w, h])
        return (x1 / w, y1 / h, (x2 - x1) / w, (y2 - y1) / h)
