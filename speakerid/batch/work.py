"""The unit of work every engine runs: one video in, one picklable Outcome out.

Engines (in-process, process pool, Ray actors) differ only in where ``label_one`` runs; the
driver alone touches FiftyOne. Models are cached per process so each worker loads them once
(a few settings at most: a process serves one job's settings at a time).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from speakerid.errors import GalleryError, ModelUnavailableError, SpeakeridError
from speakerid.lru import LRU

if TYPE_CHECKING:
    from speakerid.identity.gallery import Gallery
    from speakerid.pipeline import AnnotateSettings, Models
    from speakerid.results import VideoResult

# Model sets kept per process (the App may alternate between two galleries' embedders).
_MODELS: LRU[str, Models] = LRU(maxsize=2)


@dataclass(frozen=True)
class WorkItem:
    """One sample to label: its id (for the driver) and its media path (for the worker)."""

    sample_id: str
    filepath: str


@dataclass
class Outcome:
    """What a worker sends back: a result, or the one-line reason the video failed."""

    item: WorkItem
    result: VideoResult | None
    error: str | None

    @property
    def frames(self) -> int:
        return len(self.result.frames) if self.result else 0


def models_for(settings: AnnotateSettings) -> Models:
    """Models for ``settings``, loaded once per process (workers, the plugin, repeated jobs)."""
    from speakerid.pipeline import load_models

    # the settings load_models reads: changing fps or the speaker rule must not reload networks
    return _MODELS.get_or_make(settings.model_key(), lambda: load_models(settings))


def worker_settings(settings: AnnotateSettings, threads: int) -> AnnotateSettings:
    """``settings`` for one worker of a pool: ``threads`` threads (``speakerid.threads``) unless the
    job chose its own, so N workers do not oversubscribe the cores (load_models applies them)."""
    from speakerid import threads as thread_settings

    n = settings.threads or threads
    thread_settings.configure(n)
    return replace(settings, threads=n)


def label_one(
    item: WorkItem, gallery: Gallery, settings: AnnotateSettings, on_frames: Callable[[int], None] | None = None
) -> Outcome:
    """Analyse one video. Bad media becomes a failed Outcome; a bad gallery or model aborts the job."""
    from speakerid.pipeline import annotate_video

    try:
        result = annotate_video(item.filepath, gallery, settings, models_for(settings), on_frames=on_frames)
    except (GalleryError, ModelUnavailableError):
        raise
    except SpeakeridError as exc:
        return Outcome(item, None, _one_line(str(exc)))
    except Exception as exc:  # noqa: BLE001 - one odd file must not stop a job over thousands
        return Outcome(item, None, _one_line(f"{item.filepath}: {type(exc).__name__}: {exc}"))
    return Outcome(item, result, None)


def _one_line(text: str) -> str:
    return " ".join(text.split())
