"""Run the App's scheduled (delegated) speakerid operations: a worker that finds the plugin.

FiftyOne queues an operation scheduled in the App (**Schedule** in the form) and leaves it to a
worker (``fiftyone delegated launch``), which must find the plugin in *its* plugins directory and
needs ``allow_legacy_orchestrators`` for the App to offer scheduling at all. ``speakerid app``
runs this worker in a thread of its own process instead: same plugins directory as the App,
nothing to install or launch. It takes only speakerid's operations on the datasets it serves,
so other workers and other users' queues are left alone.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

PLUGIN_PREFIX = "@speakerid/speakerid/"
POLL_S = 2.0
logger = logging.getLogger(__name__)


def enable_scheduling() -> None:
    """Let the App offer **Schedule** (FiftyOne's ``allow_legacy_orchestrators``) in this process
    and the App servers it starts."""
    import os

    import fiftyone as fo

    os.environ["FIFTYONE_ALLOW_LEGACY_ORCHESTRATORS"] = "true"
    fo.config.allow_legacy_orchestrators = True


def run_queued(datasets: Callable[[], set[str]]) -> int:
    """Execute the queued speakerid operations of the datasets ``datasets()`` names, oldest
    first; returns how many ran."""
    from fiftyone.operators.delegated import DelegatedOperationService

    service, ran = DelegatedOperationService(), 0
    for name in sorted(datasets()):
        queued = service.get_queued_operations(dataset_name=name)
        for op in sorted(queued, key=lambda o: o.queued_at or 0):
            if op.operator.startswith(PLUGIN_PREFIX):
                service.execute_operation(op)
                ran += 1
    return ran


def start_worker(datasets: Callable[[], set[str]], stop: threading.Event, poll_s: float = POLL_S) -> threading.Thread:
    """A daemon thread running :func:`run_queued` every ``poll_s`` seconds until ``stop``."""

    def loop() -> None:
        while not stop.is_set():
            try:
                run_queued(datasets)
            except Exception as exc:  # noqa: BLE001 - the database is away (a failed run is recorded by
                # FiftyOne itself, with its traceback, in the run): say so once per poll, try again
                logger.warning("speakerid worker: cannot read the queue of scheduled runs (%s); retrying", exc)
            stop.wait(poll_s)

    thread = threading.Thread(target=loop, name="speakerid-worker", daemon=True)
    thread.start()
    return thread
