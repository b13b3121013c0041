"""What a labelling job did (returned to callers; the CLI shows it as a table) and its live progress."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class JobProgress:
    """Passed to the ``progress`` callback after each finished video."""

    done: int
    total: int
    failed: int
    frames: int
    elapsed: float

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0

    def text(self) -> str:
        """Short line for status bars, e.g. ``12/40 videos, 1 failed, 31.0 frames/s``."""
        rate = f", {self.frames / self.elapsed:.1f} frames/s" if self.elapsed > 0 else ""
        failed = f", {self.failed} failed" if self.failed else ""
        return f"{self.done}/{self.total} videos{failed}{rate}"


@dataclass
class LabelSummary:
    """Outcome of ``label_dataset``: counts, failures (filepath, reason) and throughput."""

    dataset: str
    engine: str
    workers: int | None  # None: one per CPU (of the Ray cluster)
    fingerprint: str
    threads: int | None = None  # intra-op threads per local worker (None: Ray's actors decide)
    videos: int = 0
    labelled: int = 0
    skipped: int = 0
    frames: int = 0
    seconds: float = 0.0
    failed: list[tuple[str, str]] = field(default_factory=list)
    ignored: int = 0  # non-video samples in the collection
    spooled: int = 0  # results kept on disk because the database failed at write time
    database_error: str | None = None  # that failure, and how to write the kept results

    @property
    def ok(self) -> bool:
        return not self.failed and self.database_error is None

    @property
    def videos_per_minute(self) -> float:
        processed = self.labelled + len(self.failed)
        return 60.0 * processed / self.seconds if self.seconds > 0 else 0.0
