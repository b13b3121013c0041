"""Run an iterator in a background thread, a few items ahead of its consumer.

Decoding (FFmpeg) and colour conversion release the GIL, so reading the next batch of frames
while the current one is analysed keeps both cores busy with single-threaded work each, which
also holds up better than wide thread pools when another process competes for the CPU.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
_DONE = object()


def prefetch(items: Iterable[T], depth: int = 2) -> Iterator[T]:
    """Yield ``items`` as they come, produced up to ``depth`` ahead in a daemon thread.

    An exception raised while producing is re-raised in the consumer at the same position;
    closing the generator early stops the producer at its next item.
    """
    box: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                box.put((item, None))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            box.put((_DONE, exc))
            return
        finally:
            close = getattr(items, "close", None)
            if close is not None:  # a generator: release its file now, in its own thread
                close()
        box.put((_DONE, None))

    thread = threading.Thread(target=produce, name="speakerid-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item, exc = box.get()
            if item is _DONE:
                if exc is not None:
                    raise exc
                return
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # unblock a producer waiting on a full queue
            try:
                box.get_nowait()
            except queue.Empty:
                thread.join(0.05)
