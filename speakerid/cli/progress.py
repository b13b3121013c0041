"""Rich progress bars and the report console of the CLI (library functions take callbacks and
draw nothing; only the command-line shell shows bars)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

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


def _progress(quiet: bool) -> Progress:
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    return Progress(*columns, console=console, disable=quiet, transient=False)


@contextmanager
def progress_bar(quiet: bool = False, unit: str = "frames") -> Iterator[Progress]:
    """A Progress with a rate column (fill its ``rate`` field, see ``rate_text``); disabled (but
    still usable) when quiet."""
    with _progress(quiet) as prog:
        yield prog


class LazyBars:
    """Named bars that appear with their first news, for library functions that report through
    callbacks: a command that fails before any work prints its error line and no empty bar."""

    def __init__(self, quiet: bool = False) -> None:
        self._quiet = quiet
        self._progress: Progress | None = None
        self._tasks: dict[str, int] = {}

    def __enter__(self) -> LazyBars:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def update(self, name: str, completed: float, total: float | None = None, description: str | None = None) -> None:
        """Move bar ``name`` (made on first use) to ``completed`` of ``total``."""
        if self._progress is None:
            self._progress = _progress(self._quiet)
            self._progress.start()
        if name not in self._tasks:
            self._tasks[name] = self._progress.add_task(name, total=total, rate="")
        self._progress.update(self._tasks[name], completed=completed, total=total, description=description or name)


def rate_text(done: float, elapsed: float, unit: str = "frames") -> str:
    """Human rate string such as ``12.3 frames/s``."""
    return f"{done / elapsed:.1f} {unit}/s" if elapsed > 0 else ""
