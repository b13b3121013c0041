"""One slow start-up step run beside the work that does not need it.

``speakerid annotate`` spends seconds importing FiftyOne and reaching its database before it can
write anything; on a short clip that is half the run. The analysis needs neither, so the step runs
in a thread while the analysis goes on: its failure still stops the run as soon as it is known
(``check``), and its result is waited for only where it is used (``result``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Background(Generic[T]):
    """``step()`` started now in a daemon thread (a failed run exits without waiting for it)."""

    def __init__(self, step: Callable[[], T], name: str) -> None:
        self._value: T | None = None
        self._error: BaseException | None = None

        def run() -> None:
            try:
                self._value = step()
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                self._error = exc

        self._thread = threading.Thread(target=run, name=name, daemon=True)
        self._thread.start()

    def check(self) -> None:
        """Raise what the step raised if it has already failed; never waits."""
        if not self._thread.is_alive() and self._error is not None:
            raise self._error

    def result(self) -> T:
        """The step's value, once it is done (what it raised, raised here)."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]
