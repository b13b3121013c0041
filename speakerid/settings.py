"""The settings of one annotation run, and the fingerprint that identifies results made with them."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from speakerid import __version__

if TYPE_CHECKING:
    from speakerid.identity.gallery import Gallery


@dataclass
class AnnotateSettings:
    """Every knob of one annotation run; its fingerprint identifies results made with it."""

    fps: float | None = 5.0
    every: int | None = None
    start: float | None = None
    end: float | None = None
    backend: str = "pyav"
    detector: str = "yunet"
    embedder: str = "facenet"
    min_face_size: int = 20
    min_score: float | None = None  # None: the detector's own default
    keyframe_every: int = 3  # detect on every k-th analysed frame (and at shot cuts); track between
    faces_per_track: int = 5  # a track is embedded on at most this many of its best faces
    batch_size: int = 16
    classifier: str | None = None
    threshold: float | None = None
    smooth: float = 1.0
    gap_tolerance: float = 1.0
    speaker_mode: str = "dominant"
    speaking_threshold: float = 0.5
    store_embeddings: bool = True
    face_model: str | None = None
    max_detect_side: int = 1280
    threads: int | None = None  # None: every core this process may use

    def fingerprint(self, gallery: "Gallery") -> str:
        """Hash of settings + gallery + version: equal fingerprints mean identical labels."""
        blob = json.dumps([asdict(self), gallery.fingerprint(), __version__], sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]
