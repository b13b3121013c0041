"""The start-up step run beside the analysis: its failure surfaces at once, its value on demand."""

from __future__ import annotations

import threading

import pytest

from speakerid.background import Background
from speakerid.errors import DatabaseError


def test_check_never_waits_and_result_returns_the_value():
    release = threading.Event()
    step = Background(lambda: release.wait(5) and "sink", "test-step")
    step.check()  # still running: no wait, no error
    release.set()
    assert step.result() == "sink"
    step.check()  # done without error


def test_a_failed_step_raises_at_the_next_check_and_at_result():
    def fail():
        raise DatabaseError("FiftyOne database mongodb://127.0.0.1:1 unreachable")

    step = Background(fail, "test-step")
    with pytest.raises(DatabaseError, match="unreachable"):
        step.result()
    with pytest.raises(DatabaseError, match="unreachable"):
        step.check()
