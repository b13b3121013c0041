"""Killing a child process at a moment chosen by watching what it does, never by a timer."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable


def kill_when(proc: subprocess.Popen, reached: Callable[[], bool], timeout: float) -> None:
    """SIGKILL ``proc`` as soon as ``reached()`` is true (polled every millisecond), or let it
    finish; it is killed anyway if still running after ``timeout`` seconds."""
    try:
        deadline = time.monotonic() + timeout
        while proc.poll() is None and time.monotonic() < deadline:
            if reached():
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.001)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
