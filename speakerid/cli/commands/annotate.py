"""``speakerid annotate``: label videos with faces, identities, speakers and segments.

Everything that can be checked cheaply is checked before the first model loads: the options,
the ``--json`` path, the gallery file and every input (probed, not decoded). FiftyOne's import and
database start next, beside the model loading and the analysis (speakerid.cli.background): if the
database fails there, the results are kept in the spool, as after a loss at write time.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from speakerid.cli.background import Background
from speakerid.cli.common import add_pipeline_args, check_writable, settings_from_args
from speakerid.cli.progress import console, progress_bar, rate_text
from speakerid.errors import DatabaseError, VideoReadError
from speakerid.io.inputs import expand_inputs


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "annotate",
        help="annotate videos (files or folders) and write FiftyOne labels / JSON",
        description="Annotate videos: faces, identities, per-frame speaker, speaker segments.",
    )
    p.add_argument("inputs", nargs="+", help="video files or folders of videos")
    add_pipeline_args(p)
    p.add_argument("--dataset", default="speakerid", help="FiftyOne dataset to write to (default: speakerid)")
    p.add_argument("--no-dataset", action="store_true", help="do not write to FiftyOne (e.g. JSON only)")
    p.add_argument("--json", default=None, help="also write results to this JSON file (docs/json_schema.md)")
    p.add_argument("--quiet", action="store_true", help="no progress bars or summary")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from speakerid.identity.gallery import Gallery
    from speakerid.labels.json_export import write_json

    settings = settings_from_args(args)
    videos, failed = expand_inputs(args.inputs)
    n_inputs = len(videos) + len(failed)
    for problem in failed:
        _report(problem)
    if args.json:
        check_writable(args.json)
    gallery = None if Path(args.gallery).is_dir() else Gallery.load(args.gallery)  # validated in full
    if gallery is not None:
        gallery.check_embedder(settings.embedder)
    readable = _probe_all(videos, settings.backend, failed)
    opening = None if args.no_dataset else Background(_open_sink, args.dataset, args.quiet)
    sink = None
    results: list = []
    if readable:  # the first model loads here, after every cheap check
        from speakerid.identity.folder_cache import open_gallery
        from speakerid.labels.fiftyone_writer import label_docs
        from speakerid.pipeline import annotate_video, load_models

        models = load_models(settings)
        if gallery is None:
            gallery = open_gallery(args.gallery, models.detector, models.embedder)
        gallery.check_embedder(models.embedder.name, models.embedder.version)
    with progress_bar(args.quiet) as prog:
        for path, info in readable:
            span = min(settings.end or info.duration, info.duration) - (settings.start or 0.0)
            fps = info.fps / settings.every if settings.every else min(settings.fps or info.fps, info.fps)
            task = prog.add_task(path.name, total=max(1, int(round(span * fps))), rate="")
            t0, done = time.perf_counter(), [0]

            def tick(n: int, task=task, t0=t0, done=done) -> None:
                done[0] += n
                prog.update(task, advance=n, rate=rate_text(done[0], time.perf_counter() - t0))
                if opening is not None and (error := opening.error()) is not None and not _database_failure(error):
                    raise error  # e.g. the dataset is not a video dataset: stop now, not after the video

            try:
                result = annotate_video(path, gallery, settings, models, on_frames=tick, info=info)
            except VideoReadError as exc:
                failed.append(_report(exc))
                continue
            prog.update(task, completed=done[0], total=done[0])
            results.append(result)
            if opening is not None:
                sink = sink or _opened_sink(opening, args.dataset)
                sink.write(label_docs(result))
    if opening is not None:
        sink = sink or _opened_sink(opening, args.dataset)
    if args.json:  # always describes this run: no result is an empty list, never a stale file
        write_json(args.json, results)
    if sink is not None and sink.written:  # the App's panel and forms open this gallery
        from speakerid.labels.app_config import configure_app
        from speakerid.review.gallery_link import remember_gallery

        sink.attempt(lambda: remember_gallery(sink.dataset, gallery, args.gallery))
        sink.attempt(lambda: configure_app(sink.dataset))  # bookkeeping fields tucked away, one colour per person
    if not args.quiet:
        _summary(results, args, sink)
    if sink is not None and sink.failure:
        print(f"speakerid: error: {sink.retry_hint()}", file=sys.stderr)
        return 2
    if failed:
        console.print(
            f"[yellow]{len(failed)} of {n_inputs} input(s) failed; "
            f"{'the others were annotated' if results else 'nothing was annotated'}"
        )
        return 1
    return 0


def _probe_all(videos: list[Path], backend: str, failed: list[str]) -> list[tuple[Path, object]]:
    """(path, VideoInfo) of the inputs that open as videos; the others reported now."""
    from speakerid.io import probe

    readable = []
    for path in videos:
        try:
            readable.append((path, probe(path, backend=backend)))
        except VideoReadError as exc:
            failed.append(_report(exc))
    return readable


def _open_sink(name: str, quiet: bool):
    """Check the database and the dataset now (seconds, not after the analysis), finish the
    writes a killed process left on any of its samples, and write what an earlier run kept in
    the spool while the database was down."""
    import fiftyone as fo

    from speakerid.cli.common import warn
    from speakerid.labels import spool
    from speakerid.labels.database import check_database
    from speakerid.labels.fiftyone_writer import get_or_create_dataset
    from speakerid.labels.replace import finish_pending
    from speakerid.labels.sink import ResultSink
    from speakerid.labels.target import check_target

    check_database()
    check_target(name)
    sink = ResultSink(name)
    if fo.dataset_exists(name):
        sink.dataset = get_or_create_dataset(name)
        finish_pending(sink.dataset)
    if spool.spooled(name):
        sink.dataset = sink.dataset or get_or_create_dataset(name)
        n = spool.flush(sink.dataset, warn)
        if n and not quiet:
            console.print(f"wrote {n} result(s) kept from an earlier run to dataset [bold]{name}[/]")
    return sink


def _opened_sink(opening: Background, name: str):
    """The sink the start-up opened. If the database failed during the start-up (unreachable, or
    lost after it answered), the results go to the spool, as after a loss at write time, and the
    last line says why and how to write them (``speakerid flush``)."""
    from speakerid.labels.sink import ResultSink

    try:
        return opening.result()
    except Exception as exc:
        if not _database_failure(exc):
            raise
        sink = ResultSink(name)
        sink.keep_in_spool(exc)
        return sink


def _database_failure(exc: BaseException) -> bool:
    from speakerid.labels.database import is_database_failure

    return isinstance(exc, DatabaseError) or is_database_failure(exc)


def _report(exc: Exception | str) -> str:
    """One line on stderr per failed input (rich keeps it above the progress bars)."""
    print(f"speakerid: error: {exc}", file=sys.stderr)
    return str(exc)


def _summary(results: list, args: argparse.Namespace, sink) -> None:
    from rich.table import Table

    table = Table(title="speakerid: speaker segments")
    for col in ("video", "speaker", "start (s)", "end (s)"):
        table.add_column(col)
    for r in results:
        for s in r.segments:
            table.add_row(r.video.rsplit("/", 1)[-1], s.speaker, f"{s.start:.2f}", f"{s.end:.2f}")
        for note in r.notes:
            console.print(f"[yellow]note: {note}")
    if results:
        console.print(table)
    if sink is not None and sink.written:
        console.print(
            f"{sink.written} video(s) written to FiftyOne dataset [bold]{args.dataset}[/]; "
            f"view it with: speakerid app --dataset {args.dataset}"
        )
    if args.json:
        what = f"{len(results)} result(s)" if results else "no results (an empty list)"
        console.print(f"{what} written to {args.json}")
