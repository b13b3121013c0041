"""Crash-safe per-sample writes of a labelling job.

A sample counts as done only when its ``speakerid_fingerprint`` equals the job's fingerprint.
The marker is set by the single-document update that completes the sample's new labels
(``speakerid.labels.replace``: new frames in place first, then sample fields + marker), so a
killed job leaves each sample either with its old labels and old marker, or with the new labels
and the new marker (an interrupted frame swap is finished by the next job before it plans).
A failed video keeps whatever labels and marker it had, since they still describe each other;
only the error and the failed tag are set.
"""

from __future__ import annotations

from typing import Any

from speakerid.batch.work import Outcome
from speakerid.labels.fiftyone_writer import label_docs
from speakerid.labels.sink import ResultSink

DONE_FIELD = "speakerid_fingerprint"
ERROR_FIELD = "speakerid_error"
FAILED_TAG = "speakerid:failed"


def ensure_fields(dataset: Any) -> None:
    """Declare the marker and error fields so views can filter on them before any run sets them."""
    import fiftyone as fo

    schema = dataset.get_field_schema()
    for name in (DONE_FIELD, ERROR_FIELD):
        if name not in schema:
            dataset.add_sample_field(name, fo.StringField)


def commit_outcome(sink: ResultSink, outcome: Outcome, fingerprint: str) -> None:
    """Write one worker outcome to its sample of ``sink.dataset`` (the root dataset, not a view)."""
    sid = outcome.item.sample_id
    if outcome.result is None:  # labels and marker stay: they still describe each other
        sink.update(sid, {"$set": {ERROR_FIELD: outcome.error}, "$addToSet": {"tags": FAILED_TAG}})
        return
    extra = {"$set": {DONE_FIELD: fingerprint, ERROR_FIELD: None}, "$pull": {"tags": FAILED_TAG}}
    sink.write(label_docs(outcome.result), sid, extra)
