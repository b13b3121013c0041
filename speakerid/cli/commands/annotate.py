"""``speakerid annotate``: label videos with faces, identities, speakers and segments."""

from __future__ import annotations

import argparse
import sys
import time

from speakerid.cli.common import add_pipeline_args, expand_inputs, settings_from_args
from speakerid.errors import VideoReadError
from speakerid.progress import console, progress_bar, rate_text


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("annotate", help="annotate videos (files or folders) and write FiftyOne labels / JSON",
                       description="Annotate videos: faces, identities, per-frame speaker, speaker segments.")
    p.add_argument("inputs", nargs="+", help="video files or folders of videos")
    add_pipeline_args(p)
    p.add_argument("--dataset", default="speakerid", help="FiftyOne dataset to write to (default: speakerid)")
    p.add_argument("--no-dataset", action="store_true", help="do not write to FiftyOne (e.g. JSON only)")
    p.add_argument("--json", default=None, help="also write results to this JSON file (docs/json_schema.md)")
    p.add_argument("--quiet", action="store_true", help="no progress bars or summary")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from speakerid.identity.enroll import open_gallery
    from speakerid.io import probe
    from speakerid.labels.json_export import write_json
    from speakerid.pipeline import annotate_video, load_models

    settings = settings_from_args(args)
    videos = expand_inputs(args.inputs)
    models = load_models(settings)
    gallery = open_gallery(args.gallery, models.detector, models.embedder)
    dataset = None
    results, failed = [], []
    with progress_bar(args.quiet) as prog:
        for path in videos:
            try:
                info = probe(path, backend=settings.backend)
            except VideoReadError as exc:
                failed.append(_report(exc))
                continue
            span = (settings.end or info.duration) - (settings.start or 0.0)
            fps = info.fps / settings.every if settings.every else min(settings.fps or info.fps, info.fps)
            task = prog.add_task(path.name, total=max(1, int(round(span * fps))), rate="")
            t0, done = time.perf_counter(), [0]

            def tick(n: int, task=task, t0=t0, done=done) -> None:
                done[0] += n
                prog.update(task, advance=n, rate=rate_text(done[0], time.perf_counter() - t0))

            try:
                result = annotate_video(path, gallery, settings, models, on_frames=tick)
            except VideoReadError as exc:
                failed.append(_report(exc))
                continue
            prog.update(task, completed=done[0], total=done[0])
            results.append(result)
            if not args.no_dataset:
                from speakerid.labels.fiftyone_writer import get_or_create_dataset, write_video_result

                dataset = dataset or get_or_create_dataset(args.dataset)
                write_video_result(dataset, result)
    if args.json and results:
        write_json(args.json, results)
    if not args.quiet:
        _summary(results, args)
    if failed:
        console.print(f"[yellow]{len(failed)} of {len(videos)} input(s) failed; the others were annotated")
        return 1
    return 0


def _report(exc: Exception) -> str:
    """One line on stderr per failed input (rich keeps it above the progress bars)."""
    print(f"speakerid: error: {exc}", file=sys.stderr)
    return str(exc)


def _summary(results: list, args: argparse.Namespace) -> None:
    from rich.table import Table

    table = Table(title="speakerid: speaker segments")
    for col in ("video", "speaker", "start (s)", "end (s)"):
        table.add_column(col)
    for r in results:
        for s in r.segments:
            table.add_row(r.video.rsplit("/", 1)[-1], s.speaker, f"{s.start:.2f}", f"{s.end:.2f}")
        for note in r.notes:
            console.print(f"[yellow]note: {note}")
    console.print(table)
    if not args.no_dataset:
        console.print(f"written to FiftyOne dataset [bold]{args.dataset}[/]; view it with: speakerid app --dataset {args.dataset}")
