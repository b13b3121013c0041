"""``speakerid embed-videos``: store zero-shot concept (and Video2Vec) embeddings on a dataset and index them."""

from __future__ import annotations

import argparse

from speakerid.cli.progress import LazyBars, console


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "embed-videos",
        help="store zero-shot concept embeddings (and video2vec with --model) on videos + clips, text-searchable",
        description="Embed every video and every clip of --clips-field: zero-shot concepts (ImageNet classes "
        "in the text space, no training; resumable) and, with --model, a trained Video2Vec checkpoint. "
        "Builds FiftyOne brain indexes for text search. See docs/video_models.md.",
    )
    p.add_argument("--dataset", required=True, help="FiftyOne video dataset")
    p.add_argument("--model", default=None, help="Video2Vec checkpoint folder (or train-video output folder)")
    p.add_argument(
        "--clips-field", default="speaker_segments", help="TemporalDetections field whose clips to embed ('' for none)"
    )
    p.add_argument("--no-concepts", action="store_true", help="skip the zero-shot concept embeddings")
    p.add_argument("--force", action="store_true", help="recompute concept embeddings that already exist")
    p.add_argument("--no-index", action="store_true", help="skip the brain similarity indexes")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from speakerid.errors import SpeakeridError
    from speakerid.video.clips import open_dataset
    from speakerid.video.embed import embed_concepts, embed_dataset

    if args.no_concepts and not args.model:
        raise SpeakeridError("embed-videos: nothing to do (--no-concepts without --model)")
    if args.model:  # a bad checkpoint is found before minutes of concept embedding, not after
        from speakerid.video.model import resolve_checkpoint

        resolve_checkpoint(args.model)
    dataset = open_dataset(args.dataset)
    field = args.clips_field or None
    if field and not dataset.has_field(field):
        console.print(f"[yellow]no field {field!r}: embedding whole videos only")
        field = None
    with LazyBars(args.quiet) as bars:
        done = []
        if not args.no_concepts:
            summary = embed_concepts(
                dataset,
                field,
                brain=not args.no_index,
                threads=args.threads,
                force=args.force,
                progress=lambda d, t: bars.update("concepts (videos)", d, t),
            )
            done.append(("zero-shot concepts", summary, f"{summary['computed']} videos computed now"))
        if args.model:
            summary = embed_dataset(
                dataset,
                args.model,
                clips_field=field,
                brain=not args.no_index,
                threads=args.threads,
                progress=lambda d, t: bars.update("video2vec (windows)", d, t),
            )
            done.append(("video2vec", summary, f"checkpoint {summary['checkpoint']}"))
    for what, summary, how in done if not args.quiet else ():
        console.print(
            f"{what}: {summary['samples']} videos, {summary['clips']} clips ({how}); "
            f"indexes: {', '.join(summary['brain_keys']) or 'none'}"
        )
    return 0
