"""``speakerid label``: label every video of a FiftyOne dataset or saved view (resumable, parallel)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from speakerid.cli.common import add_pipeline_args, settings_from_args
from speakerid.cli.progress import console, progress_bar, rate_text
from speakerid.fiftyone_private import dataset_of

if TYPE_CHECKING:
    from speakerid.batch.summary import LabelSummary


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "label",
        help="label all videos of a FiftyOne dataset (resumable; parallel or on Ray)",
        description="Label every video sample of a dataset or saved view. Samples already "
        "labelled with the same settings and gallery are skipped, so an "
        "interrupted job resumes where it stopped. See docs/batch.md.",
    )
    p.add_argument("--dataset", required=True, help="FiftyOne dataset to label")
    p.add_argument("--view", default=None, help="label only this saved view of the dataset")
    p.add_argument(
        "--engine", choices=["local", "ray"], default="local", help="local processes (default) or a Ray cluster"
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help="parallel workers: processes (local; default: one per core, at most one per 3 videos and "
        "per 900 MB of free memory, cores shared as threads) or Ray actors (default one per cluster CPU)",
    )
    p.add_argument(
        "--address", default=None, help="Ray cluster to join: auto or ray://host:port (default: start a local Ray)"
    )
    add_pipeline_args(p)
    p.add_argument("--overwrite", action="store_true", help="relabel samples already done with these settings")
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from speakerid.batch import JobProgress, label_dataset
    from speakerid.batch.job import open_collection
    from speakerid.labels.database import check_database

    settings = settings_from_args(args)
    check_database()
    collection = open_collection(args.dataset, args.view)
    gallery = args.gallery
    if Path(gallery).is_dir():  # enrolled once here, and remembered on the dataset below
        from speakerid.batch.job import load_gallery

        gallery = load_gallery(gallery, settings)
    with progress_bar(args.quiet, unit="videos") as prog:
        task = prog.add_task("labelling videos", total=None, rate="")

        def show(p: JobProgress) -> None:
            prog.update(task, total=p.total, completed=p.done, rate=rate_text(p.frames, p.elapsed))

        summary = label_dataset(
            collection,
            gallery,
            settings,
            workers=args.workers,
            engine=args.engine,
            overwrite=args.overwrite,
            progress=show,
            address=args.address,
        )
    if summary.labelled and not summary.database_error:  # the App's panel and forms open this gallery
        from speakerid.labels.app_config import configure_app
        from speakerid.labels.database import is_database_failure
        from speakerid.review.gallery_link import remember_gallery

        try:
            remember_gallery(dataset_of(collection), gallery if not isinstance(gallery, str) else None, args.gallery)
            configure_app(dataset_of(collection))
        except Exception as exc:
            if not is_database_failure(exc):
                raise
            why = exc.__class__.__name__
            summary.database_error = f"FiftyOne database failed after the results were written ({why})"
    if not args.quiet:
        print_summary(summary)
    else:
        for _, reason in summary.failed:
            print(f"speakerid: error: {reason}", file=sys.stderr)
    if summary.database_error:
        print(f"speakerid: error: {summary.database_error}", file=sys.stderr)
        return 2
    return 0 if summary.ok else 1


def print_summary(summary: LabelSummary) -> None:
    """Rich table of the job on stderr, failures listed one per row."""
    from rich.table import Table

    workers = f"{summary.workers} worker(s)" if summary.workers else "one worker per CPU"
    if summary.threads:
        workers += f" x {summary.threads} thread(s)"
    table = Table(title=f"speakerid label: dataset {summary.dataset} ({summary.engine}, {workers})")
    table.add_column("")
    table.add_column("count", justify="right")
    table.add_row("video samples", str(summary.videos))
    table.add_row("labelled now", str(summary.labelled), style="green")
    table.add_row("already done (skipped)", str(summary.skipped))
    table.add_row("failed", str(len(summary.failed)), style="red" if summary.failed else "")
    if summary.spooled:
        table.add_row("kept in the spool (database failed)", str(summary.spooled), style="red")
    if summary.ignored:
        table.add_row("non-video samples (ignored)", str(summary.ignored))
    table.add_row("frames analysed", str(summary.frames))
    table.add_row("time", f"{summary.seconds:.1f} s ({summary.videos_per_minute:.1f} videos/min)")
    console.print(table)
    if summary.failed:
        failures = Table(title="failed videos (tagged speakerid:failed, reason in speakerid_error)")
        failures.add_column("video")
        failures.add_column("reason")
        for path, reason in summary.failed:
            failures.add_row(path, reason.removeprefix(f"{path}: "))
        console.print(failures)
    console.print(f"run fingerprint {summary.fingerprint}; rerun to resume, --overwrite to relabel")
