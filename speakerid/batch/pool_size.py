"""How many local worker processes, and how many threads each, when the user does not say.

Why processes of one thread: the analysis is a chain of small steps (decode a batch, detect on a
keyframe, embed a few crops, track in Python) whose intra-op threads saturate early. One process
gains 1.47x from a second thread here, and 2.7x from 16 on a 16-core machine (issue 19), while
on 20 short clips 2 processes x 1 thread labelled 282 videos/min once started against 179 for
1 x 2 (``docs/benchmarks.md``). But each worker pays its own start-up and model loading (~3 s)
and holds its own models (``WORKER_MB``), so a worker needs a few videos to be worth it: with 4
clips on 2 cores, 1 x 2 finished first.
"""

from __future__ import annotations

from typing import NamedTuple

VIDEOS_PER_WORKER = 3  # fewer videos than this per worker and the start-up outweighs the gain
WORKER_MB = 900  # peak RSS of one worker on a 720p video (docs/benchmarks.md, memory) plus margin


class PoolSize(NamedTuple):
    workers: int
    threads: int  # intra-op threads per worker


def pool_size(videos: int, cores: int, available_mb: float, workers: int | None = None) -> PoolSize:
    """Workers x threads for ``videos`` videos on ``cores`` usable cores with ``available_mb``
    of free memory; ``workers`` given by the user is kept, and the cores shared among them."""
    if workers is None:
        by_memory = int(available_mb // WORKER_MB)
        workers = max(1, min(videos // VIDEOS_PER_WORKER, cores, by_memory))
    return PoolSize(workers, max(1, cores // workers))


def available_memory_mb() -> float:
    """Memory that new processes can take without swapping (MemAvailable)."""
    import psutil

    return psutil.virtual_memory().available / 2**20
