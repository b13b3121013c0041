"""speakerid.batch.pool_size: workers x threads that ``label`` picks when the user does not say."""

from __future__ import annotations

import subprocess
import sys

import pytest

from speakerid.batch.pool_size import VIDEOS_PER_WORKER, WORKER_MB, pool_size


def test_few_videos_keep_one_worker_with_every_core():
    assert pool_size(videos=4, cores=2, available_mb=16_000) == (1, 2)
    assert pool_size(videos=1, cores=16, available_mb=64_000) == (1, 16)


def test_many_videos_run_a_worker_of_one_thread_per_core():
    assert pool_size(videos=20, cores=2, available_mb=16_000) == (2, 1)
    assert pool_size(videos=400, cores=16, available_mb=64_000) == (16, 1)


def test_each_worker_needs_a_few_videos_and_the_threads_share_the_cores():
    assert pool_size(videos=3 * VIDEOS_PER_WORKER, cores=16, available_mb=64_000) == (3, 5)


def test_free_memory_caps_the_workers():
    assert pool_size(videos=400, cores=16, available_mb=3 * WORKER_MB + 1) == (3, 5)
    assert pool_size(videos=400, cores=16, available_mb=WORKER_MB / 2) == (1, 16)  # never zero


def test_workers_given_by_the_user_are_kept():
    assert pool_size(videos=2, cores=16, available_mb=1_000, workers=6) == (6, 2)
    assert pool_size(videos=2, cores=2, available_mb=1_000, workers=4) == (4, 1)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="taskset is Linux")
def test_the_cores_counted_are_those_the_process_may_run_on():
    """``taskset -c 0`` gives one core, so one worker of one thread, whatever the machine has."""
    code = (
        "from speakerid.batch.pool_size import pool_size; from speakerid.threads import available_cores;"
        "print(*pool_size(100, available_cores(), 64000))"
    )
    done = subprocess.run(["taskset", "-c", "0", sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "1"]
