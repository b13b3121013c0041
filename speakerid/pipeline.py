"""The annotation pipeline: decode -> detect -> embed -> match -> track -> vote -> speaker -> segments.

Frames stream through in batches (memory does not grow with video length beyond one small
record per sampled frame); detection and embedding are batched across frames; identities are
decided per track, not per frame.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from speakerid import __version__
from speakerid.faces.downscale import detect_downscaled
from speakerid.identity.gallery import Gallery
from speakerid.settings import AnnotateSettings
from speakerid.results import UNKNOWN, FaceResult, FrameResult, VideoResult
from speakerid.timeline.segments import cut_segments, screen_time
from speakerid.timeline.speaker import pick_speaker, smooth_speakers
from speakerid.timeline.tracks import TrackLinker
from speakerid.timeline.vote import vote_tracks


@dataclass
class Models:
    """Networks loaded once and reused across videos."""

    detector: Any
    embedder: Any
    extra: dict[str, Any] = field(default_factory=dict)


def load_models(settings: AnnotateSettings) -> Models:
    """Load detector and embedder named by ``settings`` (slow: do it once per process)."""
    from speakerid.faces.detect import FaceDetector
    from speakerid.faces.embedders import get_embedder

    models = Models(FaceDetector(min_face_size=settings.min_face_size, min_score=settings.min_score or 0.90), get_embedder(settings.embedder))
    if settings.face_model:
        from speakerid.identity.trained import TrainedMatcher

        models.extra["face_model"] = TrainedMatcher(settings.face_model, models.embedder)
    return models


@dataclass
class _RawFace:
    box: np.ndarray
    score: float
    track: int
    match: Any
    embedding: np.ndarray


def _relative_box(box: np.ndarray, width: int, height: int) -> tuple[float, float, float, float]:
    x1, y1, x2, y2 = np.clip(box, 0, [width, height, width, height])
    return (x1 / width, y1 / height, (x2 - x1) / width, (y2 - y1) / height)


def detect_and_match(path: str | Path, gallery: Gallery, settings: AnnotateSettings, models: Models,
                     on_frames: Callable[[int], None] | None = None) -> tuple[list[tuple[int, float, list[_RawFace]]], Any]:
    """Stream the video once: faces, embeddings, gallery matches and track ids per sampled frame."""
    from speakerid.io import probe, read_frames

    info = probe(path, backend=settings.backend)
    linker = TrackLinker()
    out = []
    for batch in read_frames(path, fps=settings.fps, every=settings.every, start=settings.start,
                             end=settings.end, batch_size=settings.batch_size, backend=settings.backend):
        dets = detect_downscaled(models.detector, batch.frames, settings.max_detect_side)
        crops = [models.embedder.crop(fr, f) for fr, faces in zip(batch.frames, dets) for f in faces]
        embs = models.embedder.embed(np.stack(crops)) if crops else np.zeros((0, models.embedder.dim), np.float32)
        matcher = models.extra.get("face_model")
        if matcher is not None:
            matches = matcher.classify(embs, np.stack(crops) if crops else None)
        else:
            matches = gallery.classify(embs, settings.classifier, settings.threshold) if len(embs) else []
        k = 0
        for idx, t, faces in zip(batch.indices, batch.times, dets):
            n = len(faces)
            boxes = np.array([f.box for f in faces], np.float32).reshape(-1, 4)
            ids = linker.update(float(t), boxes, embs[k : k + n])
            out.append((int(idx), float(t), [_RawFace(f.box, f.score, tid, m, e) for f, tid, m, e in
                                             zip(faces, ids, matches[k : k + n], embs[k : k + n])]))
            k += n
        if on_frames:
            on_frames(len(batch.indices))
    return out, info


def annotate_video(path: str | Path, gallery: Gallery, settings: AnnotateSettings | None = None,
                   models: Models | None = None, on_frames: Callable[[int], None] | None = None) -> VideoResult:
    """Analyse one video end to end; nothing is written anywhere (see speakerid.labels)."""
    settings = settings or AnnotateSettings()
    models = models or load_models(settings)
    gallery.check_embedder(models.embedder.name, models.embedder.version)
    matcher = models.extra.get("face_model")
    names = matcher.names if matcher else gallery.names
    threshold = matcher.threshold if matcher else (gallery.threshold if settings.threshold is None else settings.threshold)
    raw, info = detect_and_match(path, gallery, settings, models, on_frames)

    all_faces = [f for _, _, faces in raw for f in faces]
    votes = vote_tracks([f.track for f in all_faces], [f.match.scores for f in all_faces],
                        names, threshold, None if matcher else gallery.calibration)
    frames = []
    for idx, t, faces in raw:
        results = []
        for f in faces:
            identity, conf, _ = votes[f.track]
            person = identity if identity != UNKNOWN else f.match.best
            sim = float(f.match.scores[names.index(person)])
            results.append(FaceResult(_relative_box(f.box, info.width, info.height), identity, conf, sim, f.track,
                                      float(f.score), f.embedding if settings.store_embeddings else None))
        frames.append(FrameResult(idx, t, results))

    notes = _apply_speaker_mode(path, frames, settings, models, info)
    speaking_thr = settings.speaking_threshold if settings.speaker_mode == "active" and not notes else None
    for fr in frames:
        fr.speaker, fr.speaker_confidence = pick_speaker(fr.faces, speaking_thr)
    analysed_fps = _analysed_fps(settings, info.fps)
    step = 1.0 / analysed_fps
    smooth_speakers(frames, int(round(settings.smooth * analysed_fps)) | 1)
    end_time = (raw[-1][1] + step) if raw else info.duration
    return VideoResult(
        video=str(Path(path).resolve()),
        width=info.width,
        height=info.height,
        video_fps=info.fps,
        analysed_fps=analysed_fps,
        duration=info.duration,
        frames=frames,
        segments=cut_segments(frames, step, info.fps, end_time, info.num_frames, settings.gap_tolerance),
        screen_time=screen_time(frames, step),
        settings={**asdict(settings), "gallery": gallery.fingerprint(), "threshold": threshold,
                  "fingerprint": settings.fingerprint(gallery), "version": __version__},
        notes=notes,
    )


def _analysed_fps(settings: AnnotateSettings, video_fps: float) -> float:
    if settings.every:
        return video_fps / settings.every
    return min(settings.fps, video_fps) if settings.fps else video_fps


def _apply_speaker_mode(path, frames, settings, models, info) -> list[str]:
    """Active-speaker scores when asked for and possible; otherwise a note saying why not."""
    if settings.speaker_mode != "active":
        return []
    try:
        from speakerid.asd.annotate import add_speaking_scores
    except ImportError:
        return ["active speaker detection unavailable in this install: used the dominant-face rule"]
    return add_speaking_scores(path, frames, info, models)
