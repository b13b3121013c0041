"""The unit of work every engine runs: one video in, one picklable Outcome out.

Engines (in-process, process pool, Ray actors) differ only in where ``label_one`` runs; the
driver alone touches FiftyOne. Models are cached per process so each worker loads them once.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from speakerid.errors import GalleryError, ModelUnavailableError, SpeakeridError

if TYPE_CHECKING:
    from speakerid.identity.gallery import Gallery
    from speakerid.pipeline import AnnotateSettings, Models
    from speakerid.results import VideoResult

_MODELS: dict[str, "Models"] = {}


@dataclass(frozen=True)
class WorkItem:
    """One sample to label: its id (for the driver) and its media path (for the worker)."""

    sample_id: str
    filepath: str


@dataclass
class Outcome:
    """What a worker sends back: a result, or the one-line reason the video failed."""

    item: WorkItem
    result: "VideoResult | None"
    error: str | None
    seconds: float

    @property
    def frames(self) -> int:
        return len(self.result.frames) if self.result else 0


def models_for(settings: "AnnotateSettings") -> "Models":
    """Models for ``settings``, loaded once per process (workers, the plugin, repeated jobs)."""
    from speakerid.pipeline import load_models

    # the settings load_models reads: changing fps or the speaker rule must not reload networks
    key = settings.model_key()
    if key not in _MODELS:
        _MODELS[key] = load_models(settings)
    return _MODELS[key]


def limit_threads(threads: int) -> None:
    """Cap intra-op threads so N workers do not oversubscribe the cores."""
    import torch

    os.environ["OMP_NUM_THREADS"] = str(threads)
    torch.set_num_threads(threads)


def label_one(item: WorkItem, gallery: "Gallery", settings: "AnnotateSettings") -> Outcome:
    """Analyse one video. Bad media becomes a failed Outcome; a bad gallery or model aborts the job."""
    from speakerid.pipeline import annotate_video

    t0 = time.perf_counter()
    try:
        result = annotate_video(item.filepath, gallery, settings, models_for(settings))
    except (GalleryError, ModelUnavailableError):
        raise
    except SpeakeridError as exc:
        return Outcome(item, None, _one_line(str(exc)), time.perf_counter() - t0)
    except Exception as exc:  # noqa: BLE001 - one odd file must not stop a job over thousands
        return Outcome(item, None, _one_line(f"{item.filepath}: {type(exc).__name__}: {exc}"), time.perf_counter() - t0)
    return Outcome(item, result, None, time.perf_counter() - t0)


def _one_line(text: str) -> str:
    return " ".join(text.split())
