"""Crash-safe per-sample writes: clear the done marker, write the labels, set the marker last.

A sample counts as done only when its ``speakerid_fingerprint`` equals the job's fingerprint.
The marker is cleared (one single-document update) before its labels are rewritten and set
(again one single-document update, which MongoDB applies atomically) only after the frames
and sample labels are saved. A job killed at any point therefore leaves each sample either
done with complete labels, or not done; the rerun rewrites it with ``write_video_result``,
which deletes the sample's frames before inserting the new ones, so labels are never doubled.
"""

from __future__ import annotations

from typing import Any

from speakerid.batch.work import Outcome
from speakerid.labels.fiftyone_writer import write_video_result

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


def commit_outcome(dataset: Any, outcome: Outcome, fingerprint: str) -> None:
    """Write one worker outcome to its sample in ``dataset`` (the root dataset, not a view)."""
    sample = dataset[outcome.item.sample_id]
    if outcome.result is None:
        _set_status(sample, None, outcome.error)
        return
    if sample[DONE_FIELD] is not None:
        sample[DONE_FIELD] = None
        sample.save()
    write_video_result(dataset, outcome.result, sample=sample)
    _set_status(sample, fingerprint, None)


def _set_status(sample: Any, fingerprint: str | None, error: str | None) -> None:
    """Marker, error and failed tag in one atomic update of the sample document."""
    sample[DONE_FIELD] = fingerprint
    sample[ERROR_FIELD] = error
    tags = [t for t in sample.tags if t != FAILED_TAG]
    sample.tags = tags + [FAILED_TAG] if error else tags
    sample.save()
