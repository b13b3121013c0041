"""``speakerid search``: rank videos or clips of a dataset by a text query."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "search",
        help="text search over videos/clips (video2vec + speaker names)",
        description="Score = w * cos(query, video2vec) + (1 - w) * max cos(query, "
        "speaker names); see docs/video_models.md.",
    )
    p.add_argument("query", help="words, e.g. a speaker name")
    p.add_argument("--dataset", required=True, help="FiftyOne video dataset")
    p.add_argument("-k", type=int, default=10, help="number of results (default 10)")
    p.add_argument(
        "--level",
        choices=("auto", "clips", "samples"),
        default="auto",
        help="search clips of --clips-field or whole videos (auto: clips if present)",
    )
    p.add_argument("--clips-field", default="speaker_segments")
    p.add_argument("--names-field", default="speakers", help="Classifications of identified people")
    p.add_argument(
        "--video-weight", type=float, default=0.5, help="w in the score: 1 = video2vec only, 0 = speaker names only"
    )
    p.add_argument("--save-view", default=None, metavar="NAME", help="save the ranked results as a view")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from speakerid.errors import SpeakeridError
    from speakerid.video.clips import open_dataset
    from speakerid.video.search import hits_view, text_search

    if args.k < 1:
        raise SpeakeridError("search: -k must be >= 1")
    dataset = open_dataset(args.dataset)
    hits, items = text_search(
        dataset,
        args.query,
        k=args.k,
        level=args.level,
        clips_field=args.clips_field,
        names_field=args.names_field,
        video_weight=args.video_weight,
    )
    table = Table(title=f"search {args.query!r} in {args.dataset} ({items.level})")
    for col in ("rank", "score", "video2vec", "names", "speakers", "video", "frames", "id"):
        table.add_column(col, justify="right" if col in ("rank", "score", "video2vec", "names") else "left")
    fmt = lambda x: "-" if x is None else f"{x:.3f}"  # noqa: E731
    for h in hits:
        frames = "-" if h.support is None else f"{h.support[0]}-{h.support[1]}"
        table.add_row(
            str(h.rank),
            f"{h.score:.3f}",
            fmt(h.video_score),
            fmt(h.name_score),
            ", ".join(h.names) or "-",
            h.filepath.rsplit("/", 1)[-1],
            frames,
            h.id,
        )
    out = Console()  # results on stdout, wide enough for ids when piped
    if not out.is_terminal:
        out = Console(width=200)
    out.print(table)
    if args.save_view:
        dataset.save_view(args.save_view, hits_view(dataset, hits, items), overwrite=True)
        out.print(f"saved view [bold]{args.save_view}[/] ({len(hits)} {items.level})")
    return 0
