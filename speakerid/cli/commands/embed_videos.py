"""``speakerid embed-videos``: store Video2Vec embeddings on a dataset and index them."""

from __future__ import annotations

import argparse

from speakerid.cli.progress import LazyBars, console


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "embed-videos",
        help="store video2vec embeddings (videos + clips) and build a text-searchable similarity index",
        description="Embed every video and every clip of --clips-field with a trained "
        "Video2Vec checkpoint; build FiftyOne brain indexes for text search.",
    )
    p.add_argument("--dataset", required=True, help="FiftyOne video dataset")
    p.add_argument("--model", required=True, help="checkpoint folder (or train-video output folder)")
    p.add_argument(
        "--clips-field", default="speaker_segments", help="TemporalDetections field whose clips to embed ('' for none)"
    )
    p.add_argument("--no-index", action="store_true", help="skip the brain similarity indexes")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from speakerid.video.clips import open_dataset
    from speakerid.video.embed import embed_dataset

    dataset = open_dataset(args.dataset)
    field = args.clips_field or None
    if field and not dataset.has_field(field):
        console.print(f"[yellow]no field {field!r}: embedding whole videos only")
        field = None
    with LazyBars(args.quiet) as bars:
        summary = embed_dataset(
            dataset,
            args.model,
            clips_field=field,
            brain=not args.no_index,
            threads=args.threads,
            progress=lambda done, total: bars.update("video2vec", done, total),
        )
    if not args.quiet:
        console.print(
            f"video2vec: {summary['samples']} videos, {summary['clips']} clips embedded "
            f"with {summary['checkpoint']}; indexes: {', '.join(summary['brain_keys']) or 'none'}"
        )
    return 0
