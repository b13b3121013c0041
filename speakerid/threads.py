"""Thread settings for every compute library the pipeline uses, decided in one place.

Why: with default settings, torch/OpenMP worker threads spin while waiting, so when another
process competes for the cores they burn their time slices spinning and throughput collapses
(measured 8x on 2 cores). We use every core this process may run on (a user with 16 cores gets
16), but with passive waiting: onnxruntime's spinning is turned off, OpenMP is asked to sleep
(``OMP_WAIT_POLICY=PASSIVE`` unless the user set it), and BLAS pools are capped with
threadpoolctl.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import onnxruntime

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # read when libgomp loads: before torch is imported

_threads: int | None = None


def available_cores() -> int:
    """Cores this process may run on (affinity and cgroup CPU sets respected)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def configure(threads: int | None = None) -> int:
    """Set the intra-op thread count of OpenCV, BLAS and torch for this process; returns it.

    torch, if not imported yet, takes it from ``OMP_NUM_THREADS`` when it loads (set here too).
    """
    global _threads
    import cv2
    from threadpoolctl import threadpool_limits

    n = int(threads) if threads else available_cores()
    cv2.setNumThreads(n)
    threadpool_limits(n)
    os.environ["OMP_NUM_THREADS"] = str(n)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(n)
    _threads = n
    return n


@contextmanager
def limited(threads: int | None) -> Iterator[None]:
    """Run a block with at most ``threads`` intra-op threads in torch and BLAS (None: unchanged),
    then restore: small models (a text encoder, the video CNN streams) run fastest on one thread
    of a shared CPU, where a pool per core spin-waits against other processes."""
    if not threads:
        yield
        return
    from threadpoolctl import threadpool_limits

    torch = sys.modules.get("torch")
    before = torch.get_num_threads() if torch is not None else None
    with threadpool_limits(threads):
        if torch is not None:
            torch.set_num_threads(threads)
        try:
            yield
        finally:
            if torch is not None:
                torch.set_num_threads(before)


def current() -> int:
    """The configured thread count (configuring with the default when nobody has yet)."""
    return _threads if _threads is not None else configure()


def onnx_session(path: str | os.PathLike, threads: int | None = None) -> onnxruntime.InferenceSession:
    """An onnxruntime CPU session with ``threads`` (default ``current()``) intra-op threads that
    sleep, not spin, and no memory arena: for FaceNet the arena held 170 MB more (sized by the
    largest batch ever run) for 7 % of its speed (``docs/benchmarks.md``, "onnxruntime options").
    """
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or current()
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    options.enable_cpu_mem_arena = False
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
