"""Plan and drive a labelling job over a FiftyOne dataset or view.

The job fingerprint (settings + gallery + version) decides what is already done; the engine
(in-process, process pool or Ray) only analyses videos, and this driver alone writes to
FiftyOne, one sample at a time through ``speakerid.batch.commit``. Settings and gallery are
validated in full before anything is written or any model loads; writes interrupted by an
earlier kill are finished, and results spooled by an earlier database failure are written,
before the plan is made.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from speakerid.batch.commit import DONE_FIELD, commit_outcome, ensure_fields
from speakerid.batch.pool_size import available_memory_mb, pool_size
from speakerid.batch.summary import JobProgress, LabelSummary
from speakerid.batch.work import Outcome, WorkItem
from speakerid.errors import SpeakeridError
from speakerid.fiftyone_private import root_dataset_of
from speakerid.identity.gallery import Gallery
from speakerid.labels import spool
from speakerid.labels.replace import finish_pending
from speakerid.labels.sink import ResultSink
from speakerid.pipeline import models_for
from speakerid.settings import AnnotateSettings
from speakerid.threads import available_cores

ENGINES = ("local", "ray")


def open_collection(dataset: str, view: str | None = None) -> Any:
    """The dataset called ``dataset``, or its saved view ``view``; one-line error if missing."""
    import fiftyone as fo

    if not fo.dataset_exists(dataset):
        raise SpeakeridError(f"FiftyOne dataset {dataset!r} not found")
    ds = fo.load_dataset(dataset)
    if view is None:
        return ds
    if not ds.has_saved_view(view):
        saved = ", ".join(ds.list_saved_views()) or "none"
        raise SpeakeridError(f"dataset {dataset!r} has no saved view {view!r} (saved views: {saved})")
    return ds.load_saved_view(view)


def load_gallery(gallery: str | Path | Gallery, settings: AnnotateSettings) -> Gallery:
    """A Gallery object, a ``.sid`` file, or a ``<person>/<images>`` folder (enrolled here, once).

    A given Gallery is copied: annotate_video sets its threshold override, which would change the
    caller's gallery fingerprint between jobs. A ``.sid`` file is validated in full and its
    embedder checked against ``settings`` without loading any model."""
    if isinstance(gallery, Gallery):
        out = copy.copy(gallery)
    elif Path(gallery).is_dir():
        from speakerid.identity.folder_cache import open_gallery

        models = models_for(settings)
        out = open_gallery(gallery, models.detector, models.embedder)
    else:
        out = Gallery.load(gallery)
    out.check_embedder(settings.embedder)
    return out


def plan(collection: Any, fingerprint: str, overwrite: bool = False) -> tuple[list[WorkItem], int, int]:
    """(video samples still to label, how many are already done, how many samples are not videos)."""
    from fiftyone.core.media import VIDEO, get_media_type

    ids, paths, marks = collection.values(["id", "filepath", DONE_FIELD])
    todo, done, ignored = [], 0, 0
    for sid, path, mark in zip(ids, paths, marks):
        if get_media_type(path) != VIDEO:
            ignored += 1
        elif mark == fingerprint and not overwrite:
            done += 1
        else:
            todo.append(WorkItem(sid, path))
    return todo, done, ignored


def label_dataset(
    dataset_or_view: Any,
    gallery_path: str | Path | Gallery,
    settings: AnnotateSettings | None = None,
    workers: int | None = 1,
    engine: str = "local",
    overwrite: bool = False,
    progress: Callable[[JobProgress], None] | None = None,
    address: str | None = None,
    on_frames: Callable[[str, int], None] | None = None,
) -> LabelSummary:
    """Label every video sample of a dataset or view; resumable, idempotent, crash-safe.

    ``workers``: processes (local) or Ray actors; None = chosen for this machine (local:
    ``speakerid.batch.pool_size``) or one per CPU of the Ray cluster. ``address``:
    Ray cluster to join ("auto", "ray://host:port"); None starts a local Ray unless one is
    initialised already. ``progress`` gets a JobProgress after each video. Videos that cannot
    be read are tagged ``speakerid:failed`` with the reason in ``speakerid_error`` and listed
    in the summary; the job goes on. ``on_frames(video path, frames)``: frames analysed as they
    are, from the local engine with one worker (the App's progress bar within a video).
    """
    settings = settings or AnnotateSettings()
    if engine not in ENGINES:
        raise SpeakeridError(f"unknown engine {engine!r}: choose one of {', '.join(ENGINES)}")
    if workers is not None and workers < 1:
        raise SpeakeridError(f"--workers must be >= 1, got {workers}")
    gallery = load_gallery(gallery_path, settings)
    fingerprint = settings.fingerprint(gallery)
    root = root_dataset_of(dataset_or_view)
    ensure_fields(root)
    finish_pending(root)
    spool.flush(root)
    items, skipped, ignored = plan(dataset_or_view, fingerprint, overwrite)
    threads = 1
    if engine == "local":
        workers, threads = pool_size(len(items), available_cores(), available_memory_mb(), workers)
    summary = LabelSummary(
        root.name,
        engine,
        workers,
        fingerprint,
        threads=settings.threads or threads if engine == "local" else None,
        videos=len(items) + skipped,
        skipped=skipped,
        ignored=ignored,
    )
    sink = ResultSink(root.name, root)
    t0 = time.perf_counter()
    if progress:
        progress(JobProgress(0, len(items), 0, 0, 0.0))
    for done, out in enumerate(_outcomes(items, gallery, settings, workers, threads, engine, address, on_frames), 1):
        commit_outcome(sink, out, fingerprint)
        if out.error:
            summary.failed.append((out.item.filepath, out.error))
        else:
            summary.labelled += 1
        summary.frames += out.frames
        if progress:
            progress(JobProgress(done, len(items), len(summary.failed), summary.frames, time.perf_counter() - t0))
    summary.seconds = time.perf_counter() - t0
    if sink.failure:
        summary.spooled, summary.database_error = sink.spooled, sink.retry_hint()
    return summary


def _outcomes(
    items: list[WorkItem],
    gallery: Gallery,
    settings: AnnotateSettings,
    workers: int | None,
    threads: int,
    engine: str,
    address: str | None,
    on_frames: Callable[[str, int], None] | None = None,
) -> Iterator[Outcome]:
    """Nothing to do starts nothing: no pool, no Ray, no model loading."""
    if not items:
        return iter(())
    if engine == "ray":
        from speakerid.batch.ray_engine import run_ray

        return run_ray(items, gallery, settings, workers, address)
    from speakerid.batch.local import run_local

    return run_local(items, gallery, settings, workers or 1, threads, on_frames)
