"""``speakerid search``: the clips or videos matching a text query, with the evidence behind each."""

from __future__ import annotations

import argparse

KINDS = ("name", "concepts", "video2vec")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "search",
        help="text search over clips/videos: speaker names, zero-shot concepts, video2vec",
        description="Each clip (or video) scores by its strongest evidence: the speaker names identified, "
        "its zero-shot concepts (embed-videos), its video2vec embedding (embed-videos --model); an exact "
        "name match ranks first. Results under --min-score are not matches; when none is left, the 3 nearest "
        "by what is seen are listed as weak candidates. Same search as the App's "
        "'Search speakers'; see docs/video_models.md.",
    )
    p.add_argument("query", help="words: a speaker's name or what is seen, e.g. 'a man singing into a microphone'")
    p.add_argument("--dataset", required=True, help="FiftyOne video dataset")
    p.add_argument("-k", type=int, default=10, help="at most this many results (default 10)")
    p.add_argument("--min-score", type=float, default=None, help="cut-off on the common scale (default 0.5)")
    p.add_argument(
        "--level",
        choices=("auto", "clips", "samples"),
        default="auto",
        help="search the speaker clips or whole videos (auto: clips if present)",
    )
    p.add_argument(
        "--method",
        choices=("auto", "model", "names"),
        default="auto",
        help="names: speaker names by spelling only, no model (auto: the text model when it loads)",
    )
    p.add_argument(
        "--evidence", action="append", choices=KINDS, default=None, help="use only this evidence (repeatable)"
    )
    p.add_argument("--save-view", default=None, metavar="NAME", help="save the ranked results as a view")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from speakerid.review.search import search
    from speakerid.video.clips import open_dataset

    dataset = open_dataset(args.dataset)
    found = search(dataset, args.query, args.method, args.min_score, args.k, args.level, tuple(args.evidence or KINDS))
    out = Console()  # results on stdout, wide enough for ids when piped
    if not out.is_terminal:
        out = Console(width=200)
    out.print(found.message)
    for rows, title in (
        (found.results, f"search {args.query!r} in {args.dataset} ({found.level})"),
        (found.nearest, f"nearest to {args.query!r} in {args.dataset}: weak, below the minimum score, not matches"),
    ):
        if rows:
            table = Table(title=title)
            for col in ("rank", "score", "evidence (✓ matches)", "speaker", "video", "frames", "id"):
                table.add_column(col, justify="right" if col in ("rank", "score") else "left")
            for rank, r in enumerate(rows, 1):
                table.add_row(str(rank), f"{r.score:.2f}", r.evidence, r.speaker or "-", r.video, r.frames, r.id)
            out.print(table)
    if args.save_view:
        dataset.save_view(args.save_view, found.view, overwrite=True)
        out.print(f"saved view [bold]{args.save_view}[/] ({len(found.results)} {found.level})")
    return 0
