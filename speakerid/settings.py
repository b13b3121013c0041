"""The settings of one annotation run, and the fingerprint that identifies results made with them.

Options are validated here, once, for every caller (CLI, batch jobs, the App plugin, the Python
API): an impossible value is a SettingsError naming the option, never a traceback later on or
a silently wrong result.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from speakerid import __version__
from speakerid.cache import content_sha256
from speakerid.defaults import BACKENDS, CLASSIFIERS, DEFAULT_DETECTOR, DEFAULT_EMBEDDER, DEFAULT_FPS
from speakerid.errors import SettingsError
from speakerid.faces.detect import DETECTORS

if TYPE_CHECKING:
    from speakerid.identity.gallery import Gallery

# Settings that change how fast results come, never what they are: left out of the fingerprint,
# so resuming a job with another batch size, decoder or thread count does not relabel anything.
SPEED_ONLY = ("batch_size", "backend", "threads")
# Every setting ``speakerid.pipeline.load_models`` reads: the per-process model cache key.
MODEL_FIELDS = ("detector", "embedder", "min_face_size", "min_score", "face_model", "threads")
SPEAKER_MODES = ("dominant", "active")


@dataclass(frozen=True)
class AnnotateSettings:
    """Every knob of one annotation run; its fingerprint identifies results made with it. Frozen
    and checked once, when made: every layer can trust the values it is given
    (``dataclasses.replace`` makes a changed copy, checked again)."""

    fps: float | None = DEFAULT_FPS
    every: int | None = None
    start: float | None = None
    end: float | None = None
    backend: str = "pyav"
    detector: str = DEFAULT_DETECTOR
    embedder: str = DEFAULT_EMBEDDER
    min_face_size: int = 20
    min_score: float | None = None  # None: the detector's own default
    keyframe_every: int = 3  # detect on every k-th analysed frame (and at shot cuts); track between
    faces_per_track: int = 3  # a track is embedded on at most this many of its best faces (and their mirrors)
    batch_size: int = 4  # frames per decoded batch: 720p at 16 held ~190 MB more at its peak, for no speed
    classifier: str | None = None
    threshold: float | None = None
    smooth: float = 1.0
    gap_tolerance: float = 1.0
    speaker_mode: str = "dominant"
    speaking_threshold: float = 0.5
    face_model: str | None = None
    max_detect_side: int = 1280
    threads: int | None = None  # None: every core this process may use

    def __post_init__(self) -> None:
        self._validate()

    def _validate(self) -> None:
        """Raise SettingsError for the first impossible option."""
        if self.every is not None:
            _int_at_least("every", self.every, 1)
        elif self.fps is not None:
            _positive("fps", self.fps)
            if self.fps > MAX_FPS:  # above a video's own rate every frame is analysed anyway
                raise SettingsError("fps", f"must be at most {MAX_FPS:g} frames per second, got {self.fps:g}")
        for name in ("start", "end"):
            value = getattr(self, name)
            if value is not None:
                _finite(name, value)
                if value < 0:
                    raise SettingsError(name, f"must be >= 0 seconds, got {value}")
        if self.start is not None and self.end is not None and self.start >= self.end:
            raise SettingsError("end", f"must be after start ({self.start}), got {self.end}")
        for name in ("min_face_size", "keyframe_every", "faces_per_track", "batch_size", "max_detect_side"):
            _int_at_least(name, getattr(self, name), 1)
        if self.threads is not None:
            _int_at_least("threads", self.threads, 1)
        if self.min_score is not None:
            _in_range("min_score", self.min_score, 0.0, 1.0)
        if self.threshold is not None:
            _in_range("threshold", self.threshold, -1.0, 1.0)
        _in_range("speaking_threshold", self.speaking_threshold, 0.0, 1.0)
        for name in ("smooth", "gap_tolerance"):
            _finite(name, getattr(self, name))
            if getattr(self, name) < 0:
                raise SettingsError(name, f"must be >= 0 seconds, got {getattr(self, name)}")
        _choice("backend", self.backend, BACKENDS)
        _choice("detector", self.detector, DETECTORS)
        _choice("speaker_mode", self.speaker_mode, SPEAKER_MODES)
        if self.classifier is not None:
            _choice("classifier", self.classifier, CLASSIFIERS)
        if self.face_model is not None and not Path(self.face_model).is_file():
            raise SettingsError("face_model", f"{self.face_model}: file not found")

    def fingerprint(self, gallery: Gallery) -> str:
        """Hash of the result-affecting settings + gallery + version: equal fingerprints mean
        identical labels (speed-only settings such as ``batch_size`` are left out; a trained
        face model counts by its content, not its path)."""
        knobs = {k: v for k, v in asdict(self).items() if k not in SPEED_ONLY}
        if self.face_model:  # by content: a model retrained in place relabels, a moved one resumes
            knobs["face_model"] = content_sha256(self.face_model)
        blob = json.dumps([knobs, gallery.fingerprint(), __version__], sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def model_key(self) -> str:
        """What the loaded networks depend on: equal keys may share one loaded ``Models``.

        A trained face model is identified by its path and its file's size and modification
        time, so retraining it in place is not answered from the cache.
        """
        key: dict[str, Any] = {name: getattr(self, name) for name in MODEL_FIELDS}
        if self.face_model:
            st = Path(self.face_model).stat()
            key["face_model"] = [str(Path(self.face_model).resolve()), st.st_size, st.st_mtime_ns]
        return json.dumps(key, sort_keys=True)


MAX_FPS = 1000.0


def _finite(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise SettingsError(name, f"must be a finite number, got {value!r}")


def _positive(name: str, value: Any) -> None:
    _finite(name, value)
    if value <= 0:
        raise SettingsError(name, f"must be > 0, got {value}")


def _in_range(name: str, value: Any, lo: float, hi: float) -> None:
    _finite(name, value)
    if not lo <= value <= hi:
        raise SettingsError(name, f"must be in [{lo:g}, {hi:g}], got {value}")


def _int_at_least(name: str, value: Any, lo: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < lo:
        raise SettingsError(name, f"must be an integer >= {lo}, got {value!r}")


def _choice(name: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise SettingsError(name, f"must be one of {', '.join(choices)}, got {value!r}")
