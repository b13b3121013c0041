"""The unit of work every engine runs: one video in, one picklable Outcome out.

Engines (in-process, process pool, Ray actors) differ only in where ``label_one`` runs; the
driver alone touches FiftyOne. Models come from ``pipeline.models_for``, cached per process, so
each worker loads them once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from speakerid.errors import GalleryError, ModelUnavailableError, SpeakeridError

if TYPE_CHECKING:
    from speakerid.identity.gallery import Gallery
    from speakerid.pipeline import AnnotateSettings
    from speakerid.results import VideoResult


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
    from speakerid.pipeline import annotate_video, models_for

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
