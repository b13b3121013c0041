"""Local engine: in-process for one worker, otherwise a pool of spawned worker processes.

Each worker loads the models once (pool initializer) and gets the gallery once; the parent
keeps at most two videos per worker in flight, so memory stays bounded however long the
dataset. How many workers and threads each: ``speakerid.batch.pool_size``.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from multiprocessing.connection import wait as wait_ready
from typing import TYPE_CHECKING

from speakerid.batch.work import Outcome, WorkItem, label_one, worker_settings
from speakerid.errors import SpeakeridError
from speakerid.pipeline import models_for

if TYPE_CHECKING:
    from speakerid.identity.gallery import Gallery
    from speakerid.pipeline import AnnotateSettings

IN_FLIGHT_PER_WORKER = 2

_gallery: Gallery | None = None
_settings: AnnotateSettings | None = None


def run_local(
    items: Iterable[WorkItem],
    gallery: Gallery,
    settings: AnnotateSettings,
    workers: int = 1,
    threads: int = 1,
    on_frames: Callable[[str, int], None] | None = None,
) -> Iterator[Outcome]:
    """Outcomes of ``items`` (completion order); ``workers`` > 1 runs a process pool of
    ``threads`` threads each (unless ``settings.threads``). ``on_frames(video path, frames
    analysed)`` as a single worker goes."""
    if workers <= 1:
        models_for(settings)  # load before the first video so its time is not counted as analysis
        for item in items:
            yield label_one(item, gallery, settings, partial(on_frames, item.filepath) if on_frames else None)
        return
    yield from _run_pool(iter(items), gallery, settings, workers, threads)


def _run_pool(
    items: Iterator[WorkItem], gallery: Gallery, settings: AnnotateSettings, workers: int, threads: int
) -> Iterator[Outcome]:
    # spawn, not fork: the parent holds a MongoDB client and torch thread pools
    with ProcessPoolExecutor(
        workers, mp_context=mp.get_context("spawn"), initializer=_init_worker, initargs=(gallery, settings, threads)
    ) as pool:
        pending: set[Future] = set()
        try:
            while True:
                for item in items:
                    pending.add(pool.submit(_work, item))
                    if len(pending) >= workers * IN_FLIGHT_PER_WORKER:
                        break
                if not pending:
                    return
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    yield fut.result()
        except BrokenProcessPool:
            raise SpeakeridError("a worker process died (out of memory?); rerun to resume the job") from None
        finally:
            for fut in pending:
                fut.cancel()


def _init_worker(gallery: Gallery, settings: AnnotateSettings, threads: int) -> None:
    """Runs once per worker process: threads, models, gallery; exit if the parent is killed."""
    global _gallery, _settings
    _gallery, _settings = gallery, worker_settings(settings, threads)
    models_for(_settings)
    parent = mp.parent_process()
    if parent is not None:  # a SIGKILLed parent must not leave workers holding models in memory
        threading.Thread(target=_exit_with, args=(parent.sentinel,), daemon=True).start()


def _exit_with(sentinel: int) -> None:
    wait_ready([sentinel])
    os._exit(1)


def _work(item: WorkItem) -> Outcome:
    assert _gallery is not None and _settings is not None, "worker not initialised"
    return label_one(item, _gallery, _settings)
