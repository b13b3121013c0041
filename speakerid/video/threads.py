"""CPU thread count for torch inside one block of work."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch


@contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run with ``n`` intra-op threads (None: unchanged), then restore.

    On a shared CPU, torch's default of one thread per core busy-waits against other
    processes: measured 10-70x slower than a single thread under load on the 2-core dev box.
    """
    before = torch.get_num_threads()
    if n:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
