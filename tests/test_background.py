"""speakerid.cli.background: FiftyOne's start-up beside the analysis, its failure told at once."""

from __future__ import annotations

import threading

import pytest

from speakerid.cli.background import Background
from speakerid.errors import DatabaseError


def test_result_waits_for_the_work_and_returns_it():
    go = threading.Event()
    job = Background(lambda: go.wait(5) and "sink")
    assert job.error() is None  # still running: no error, and no wait
    go.set()
    assert job.result() == "sink"


def test_a_failure_is_told_by_error_and_raised_by_result():
    failed = threading.Event()

    def open_database() -> None:
        failed.set()
        raise DatabaseError("FiftyOne database mongodb://127.0.0.1:1 unreachable")

    job = Background(open_database)
    failed.wait(5)
    while job.error() is None:  # done a moment after the event
        pass
    assert isinstance(job.error(), DatabaseError)
    with pytest.raises(DatabaseError, match="unreachable"):
        job.result()


def test_error_never_waits_for_work_in_progress():
    go = threading.Event()
    job = Background(go.wait, 5)
    for _ in range(100):
        assert job.error() is None
    assert not go.is_set()
    go.set()
    assert job.result() is True
