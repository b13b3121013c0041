"""Start-up work that runs beside the analysis instead of before it.

Opening FiftyOne costs seconds that are not ours: its import (~2.5 s here), and its embedded
MongoDB, which each new process waits for (~3.5 s: FiftyOne's service child imports FiftyOne
again before it starts ``mongod``). ``annotate`` starts that in a thread and only
needs it at the first write; the analysis, which spends its time in ONNX Runtime, decoding and
numpy (all of which release the GIL), runs meanwhile. The caller decides what a failure means:
``annotate`` stops at the next batch of frames on a usage error (``error()``), and keeps its
results in the spool when the database failed.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, TypeVar

T = TypeVar("T")


class Background(Generic[T]):
    """``fn(*args)`` running in its own thread from construction on."""

    def __init__(self, fn: Callable[..., T], *args: object) -> None:
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="speakerid-startup")
        self._future: Future[T] = pool.submit(fn, *args)
        pool.shutdown(wait=False)  # the thread finishes its one job, then ends

    def error(self) -> BaseException | None:
        """What ``fn`` raised, if it has already failed; None while it runs or after it returned.
        Never waits."""
        return self._future.exception() if self._future.done() else None

    def result(self) -> T:
        """What ``fn`` returned, waiting for it if need be (or what it raised)."""
        return self._future.result()
