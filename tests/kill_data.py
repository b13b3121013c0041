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


def stop_env(*points: str) -> dict[str, str]:
    """The environment of a child that freezes itself (SIGSTOP) at each named stop point
    (``speakerid.stop_points``)."""
    import os

    return {**os.environ, "SPEAKERID_STOP_AT": ",".join(points)}


def is_stopped(proc: subprocess.Popen) -> bool:
    """The child is frozen (state T in /proc/<pid>/stat)."""
    try:
        with open(f"/proc/{proc.pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] in ("T", "t")
    except FileNotFoundError:
        return False


def wait_stopped(proc: subprocess.Popen, timeout: float = 600) -> None:
    """Wait until the child froze at its stop point; fail (with its stderr) if it ended instead."""
    deadline = time.monotonic() + timeout
    while not is_stopped(proc):
        if proc.poll() is not None:
            err = proc.stderr.read() if proc.stderr else ""
            raise AssertionError(f"exited ({proc.returncode}) before its stop point: {str(err)[-2000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("never reached its stop point")
        time.sleep(0.02)


def resume(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGCONT)
