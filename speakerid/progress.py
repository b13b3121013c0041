"""Rich progress bars shared by every long-running command (quiet-able, frames/s shown)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

console = Console(stderr=True)


@contextmanager
def progress_bar(quiet: bool = False, unit: str = "frames") -> Iterator[Progress]:
    """A Progress with a rate column in ``unit``/s; disabled (but still usable) when quiet."""
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, disable=quiet, transient=False) as prog:
        yield prog


def rate_text(done: float, elapsed: float, unit: str = "frames") -> str:
    """Human rate string such as ``12.3 frames/s``."""
    return f"{done / elapsed:.1f} {unit}/s" if elapsed > 0 else ""
