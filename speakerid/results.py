"""Plain result records of one annotated video: what every output (FiftyOne, JSON) is written from."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

UNKNOWN = "unknown"


@dataclass
class FaceResult:
    """One detected face on one frame; ``box`` is relative ``[x, y, w, h]`` in 0..1."""

    box: tuple[float, float, float, float]
    identity: str
    confidence: float
    similarity: float
    track: int
    detector_score: float
    embedding: np.ndarray | None = None
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
class Segment:
    """A span in which one speaker holds the frame; frames are 1-based, inclusive."""

    speaker: str
    start: float
    end: float
    first_frame: int
    last_frame: int
    confidence: float = 1.0


@dataclass
class VideoResult:
    """Everything speakerid concluded about one video."""

    video: str
    width: int
    height: int
    video_fps: float
    analysed_fps: float
    duration: float
    frames: list[FrameResult]
    segments: list[Segment]
    screen_time: dict[str, float]
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
                {"speaker": s.speaker, "start": round(s.start, 6), "end": round(s.end, 6)}
                for s in self.segments
            ],
            "screen_time": {k: round(v, 3) for k, v in self.screen_time.items()},
            "settings": self.settings,
            "notes": self.notes,
        }

    def summary(self) -> dict[str, Any]:
        """Small dict for logs and tables (no per-frame data)."""
        d = asdict(self)
        d.pop("frames")
        return d
