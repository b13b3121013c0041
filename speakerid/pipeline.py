"""The annotation pipeline: decode -> keyframe detection + tracking -> identity per track ->
speaker per frame -> segments (see docs/architecture.md).

One decode pass streams the frames (read ahead in a background thread) through
:class:`~speakerid.timeline.analyser.TrackFirstAnalyser`; per-frame records stay compact and
identities are decided once per track, so memory does not grow with the video's length.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from speakerid import __version__
from speakerid.identity.gallery import Gallery
from speakerid.io.prefetch import prefetch
from speakerid.lru import LRU
from speakerid.results import FrameSequence, VideoResult
from speakerid.settings import AnnotateSettings
from speakerid.timeline.analyser import TrackFirstAnalyser
from speakerid.timeline.decide import frame_speakers, speaker_timeline

if TYPE_CHECKING:
    from speakerid.asd import ActiveSpeakerScorer
    from speakerid.faces.embedders.base import Embedder
    from speakerid.faces.face import Detector
    from speakerid.identity.classify import Matcher
    from speakerid.io.types import VideoInfo

__all__ = ["AnnotateSettings", "Models", "annotate_video", "load_models", "models_for"]


@dataclass
class Models:
    """Networks loaded once and reused across videos."""

    detector: Detector
    embedder: Embedder
    face_model: Matcher | None = None  # a trained classifier in place of the gallery (--face-model)
    speaker_scorer: ActiveSpeakerScorer | None = None  # loaded by the first --speaker-mode active run


# Model sets kept per process (the App may alternate between two galleries' embedders).
_MODELS: LRU[str, Models] = LRU(maxsize=2)


def models_for(settings: AnnotateSettings) -> Models:
    """Models for ``settings``, loaded once per process (workers, the plugin, repeated jobs)."""
    # the settings load_models reads: changing fps or the speaker rule must not reload networks
    return _MODELS.get_or_make(settings.model_key(), lambda: load_models(settings))


def load_models(settings: AnnotateSettings) -> Models:
    """Load detector and embedder named by ``settings`` (slow: do it once per process)."""
    from speakerid import threads
    from speakerid.faces.detect import load_detector
    from speakerid.faces.embedders import get_embedder

    threads.configure(settings.threads)
    models = Models(
        load_detector(settings.detector, settings.min_face_size, settings.min_score), get_embedder(settings.embedder)
    )
    if settings.face_model:
        from speakerid.train.matcher import TrainedMatcher

        models.face_model = TrainedMatcher(settings.face_model, models.embedder)
    return models


def annotate_video(
    path: str | Path,
    gallery: Gallery,
    settings: AnnotateSettings | None = None,
    models: Models | None = None,
    on_frames: Callable[[int], None] | None = None,
    info: VideoInfo | None = None,
) -> VideoResult:
    """Analyse one video end to end; nothing is written anywhere (see speakerid.labels).
    ``info`` is the video's probe when the caller made one (the file is probed once)."""
    from speakerid.io import probe, read_frames

    settings = settings or AnnotateSettings()
    models = models or load_models(settings)
    gallery.check_embedder(models.embedder.name, models.embedder.version)
    matcher = models.face_model
    threshold = (
        matcher.threshold if matcher else (gallery.threshold if settings.threshold is None else settings.threshold)
    )
    info = probe(path, backend=settings.backend) if info is None else info
    notes: list[str] = []
    collector = _speaking_collector(path, info, settings, models, notes)
    analyser = TrackFirstAnalyser(info, settings, models, gallery, collector.add_boxes if collector else None)
    frames = read_frames(
        path,
        fps=settings.fps,
        every=settings.every,
        start=settings.start,
        end=settings.end,
        batch_size=settings.batch_size,
        backend="pyav" if collector else settings.backend,
        with_grey=collector is not None,
        audio_rate=collector.sample_rate if collector else None,
        info=info,
    )
    for batch in prefetch(frames):
        if collector is not None:  # the single pass: sound and every picture before this batch's boxes
            for time, chunk in batch.audio:
                collector.add_audio(time, chunk)
            for time, grey in batch.grey:
                collector.add_frame(time, grey)
        for index, time, frame in zip(batch.indices, batch.times, batch.frames):
            analyser.add_frame(int(index), float(time), frame)
        if on_frames:
            on_frames(len(batch))
    tracks = analyser.finish()
    table = analyser.table
    if collector is not None:
        table.put_speaking(collector.finish())
        notes.extend(collector.notes)
    sequence = FrameSequence(table, tracks)
    speaking_threshold = settings.speaking_threshold if collector is not None else None
    analysed_fps = _analysed_fps(settings, info.fps)
    step = 1.0 / analysed_fps
    for i, (speaker, conf) in enumerate(frame_speakers(sequence, analysed_fps, settings.smooth, speaking_threshold)):
        table.speaker[i] = speaker
        table.speaker_confidence[i] = float("nan") if conf is None else conf
    segments, seconds = speaker_timeline(
        sequence, step, info.fps, info.num_frames, settings.gap_tolerance, info.duration
    )
    return VideoResult(
        video=str(Path(path).resolve()),
        width=info.width,
        height=info.height,
        video_fps=info.fps,
        analysed_fps=analysed_fps,
        duration=info.duration,
        frames=sequence,
        segments=segments,
        screen_time=seconds,
        tracks=sorted(tracks.values(), key=lambda t: t.id),
        settings={
            **asdict(settings),
            "gallery": gallery.fingerprint(),
            "threshold": threshold,
            "fingerprint": settings.fingerprint(gallery),
            "version": __version__,
            "keyframes": analyser.detections,
        },
        notes=notes,
    )


def _speaking_collector(
    path: str | Path, info: Any, settings: AnnotateSettings, models: Models, notes: list[str]
) -> Any:
    """The active-speaker collector for ``--speaker-mode active``, or None with a note saying why
    the dominant-face rule is used instead (no sound, no weights)."""
    if settings.speaker_mode != "active":
        return None
    fallback = "used the dominant-face rule instead"
    if not info.has_audio:
        notes.append(f"{path}: no audio stream, so nobody can be heard talking: {fallback}")
        return None
    from speakerid.asd import ActiveSpeakerCollector, ActiveSpeakerScorer
    from speakerid.errors import ModelUnavailableError

    scorer = models.speaker_scorer
    if scorer is None:
        try:
            scorer = models.speaker_scorer = ActiveSpeakerScorer()
        except ModelUnavailableError as exc:
            notes.append(f"active speaker model unavailable ({exc}): {fallback}")
            return None
    if settings.backend != "pyav":
        notes.append("active speaker detection decodes with PyAV (one pass for pictures and sound)")
    return ActiveSpeakerCollector(scorer, threshold=settings.speaking_threshold)


def _analysed_fps(settings: AnnotateSettings, video_fps: float) -> float:
    if settings.every:
        return video_fps / settings.every
    return min(settings.fps, video_fps) if settings.fps else video_fps
