"""Where finished results go: the dataset while its database answers, the spool once it fails.

``annotate`` and ``label`` both write through a ``ResultSink``, so a database that dies at write
time costs no analysis: the first failure switches the sink to the spool (no further waits on a
dead server), and ``retry_hint`` tells the user how the kept results get written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from speakerid.errors import DatabaseError
from speakerid.fiftyone_private import sample_docs
from speakerid.labels.database import is_database_failure
from speakerid.labels.fiftyone_writer import LabelDocs, get_or_create_dataset, write_label_docs
from speakerid.labels.replace import utc_now
from speakerid.labels.spool import spool, spool_dir
from speakerid.stop_points import stop_point


class ResultSink:
    """Writes results into dataset ``name`` (created on first write unless ``dataset`` is given)."""

    def __init__(self, name: str, dataset: Any | None = None) -> None:
        self.name, self.dataset = name, dataset
        self.written = 0
        self.spooled = 0
        self.failure: str | None = None  # why the database was given up on

    def write(self, docs: LabelDocs, sample_id: str | None = None, extra: dict[str, Any] | None = None) -> Any | None:
        """Store ``docs`` on sample ``sample_id`` (else the sample of ``docs.filepath``); returns
        the sample, or None when they went to the spool instead."""
        made_at = utc_now()
        if self.failure is None:
            try:
                self.dataset = self.dataset or get_or_create_dataset(self.name)
                saved = write_label_docs(self.dataset, docs, sample_id, extra)
                self.written += 1
                stop_point("sink-written")
                return saved
            except Exception as exc:
                self._give_up(exc)
        spool(self.name, docs, sample_id, extra, made_at)
        self.spooled += 1
        return None

    def update(self, sample_id: str, update: dict[str, Any]) -> None:
        """Apply a MongoDB ``update`` to one sample (a status, not a result: skipped, not spooled,
        once the database failed; the next run recomputes it)."""
        from bson import ObjectId

        if self.failure is None:
            try:
                sample_docs(self.dataset).update_one({"_id": ObjectId(sample_id)}, update)
                self.dataset[sample_id].reload()  # this process's copy of the sample, if any, too
            except Exception as exc:
                self._give_up(exc)

    def attempt(self, action: Callable[[], Any]) -> None:
        """Run a database ``action`` that is not a result (e.g. recording the gallery used):
        skipped once the database failed, and a failure now switches to the hint, no traceback."""
        if self.failure is None:
            try:
                action()
            except Exception as exc:
                self._give_up(exc)

    def keep_in_spool(self, exc: Exception) -> None:
        """Send every result to the spool from now on: the database failed (``exc``, told in
        ``retry_hint``) before the first write. Our own ``DatabaseError`` already names the database."""
        self.failure = str(exc) if isinstance(exc, DatabaseError) else f"FiftyOne database failed ({_phrase(exc)})"

    def _give_up(self, exc: Exception) -> None:
        """Switch to the spool on a database failure; anything else is a real error."""
        if not is_database_failure(exc):
            raise exc
        self.failure = _phrase(exc)

    def retry_hint(self) -> str:
        """One line: what failed, where the results are, and the command that writes them."""
        if not self.spooled and not self.written:  # failed before any write (keep_in_spool), nothing to keep
            return f"{self.failure}; nothing was written"
        if not self.spooled:
            return (
                f"FiftyOne database failed after the results were written to dataset {self.name!r} "
                f"({self.failure}): the gallery used was not recorded on it for the App"
            )
        return (
            f"FiftyOne database failed while writing to dataset {self.name!r} ({self.failure}); "
            f"{self.spooled} result(s) kept in {spool_dir(self.name)}: run `speakerid flush --dataset "
            f"{self.name}` (or this command again) once the database is back"
        )


def _phrase(exc: Exception) -> str:
    """A failure in a few words: its type and the first line of its message."""
    return f"{type(exc).__name__}: {(str(exc).strip().splitlines() or [''])[0][:160]}"
