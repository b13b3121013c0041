"""``speakerid verify TRIALS --root DIR``: score face pairs and, given labels, report ROC metrics."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from speakerid.defaults import DEFAULT_EMBEDDER
from speakerid.errors import SpeakeridError


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "verify",
        help="same person or not? score image pairs; ROC AUC, accuracy, TAR@FAR given labels",
        description="Each TRIALS line: 'path_a path_b [label]' (label 1 same person, 0 different; "
        "paths relative to --root). Writes CSV path_a,path_b,score[,label] to --out or stdout; "
        "the report goes to stdout with --out, to stderr without.",
    )
    parser.add_argument("trials", type=Path, metavar="TRIALS", help="trials file")
    parser.add_argument(
        "--root", type=Path, required=True, metavar="DIR", help="folder the image paths are relative to"
    )
    parser.add_argument("--out", type=Path, metavar="CSV", help="write scores here instead of stdout")
    parser.add_argument("--embedder", default=DEFAULT_EMBEDDER, help=f"face embedder (default {DEFAULT_EMBEDDER})")
    parser.add_argument(
        "--min-face-size", type=int, default=20, metavar="PX", help="smallest face searched (default 20)"
    )
    parser.add_argument(
        "--no-centre-crop",
        action="store_true",
        help="leave images without a detected face unscored instead of using a centre crop",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from speakerid.cli.progress import progress_bar, rate_text
    from speakerid.faces.embedders import get_embedder
    from speakerid.faces.mtcnn import MTCNNDetector
    from speakerid.faces.photos import embed_images
    from speakerid.faces.roc import verification_metrics
    from speakerid.faces.trials import read_trials, score_trials, write_scores

    trials = read_trials(args.trials)
    if not args.root.is_dir():
        raise SpeakeridError(f"{args.root}: image root folder not found")
    detector, embedder = MTCNNDetector(min_face_size=args.min_face_size), get_embedder(args.embedder)
    paths = list(dict.fromkeys(p for t in trials for p in (t.a, t.b)))
    with progress_bar(args.quiet, unit="images") as prog:
        task = prog.add_task(f"verify ({embedder.name})", total=len(paths), rate="")
        started, done = time.monotonic(), 0

        def advance(n: int) -> None:
            nonlocal done
            done += n
            prog.update(task, advance=n, rate=rate_text(done, time.monotonic() - started, "images"))

        images = embed_images(
            paths, args.root, detector, embedder, centre_fallback=not args.no_centre_crop, progress=advance
        )
    scores = score_trials(trials, images.vectors)
    if args.out:
        with open(args.out, "w", encoding="utf-8", newline="") as fh:
            write_scores(fh, trials, scores)
    else:
        write_scores(sys.stdout, trials, scores)
    report = sys.stdout if args.out else sys.stderr
    scored = ~np.isnan(scores)
    print(f"embedder: {embedder.name} {embedder.version}", file=report)
    print(
        f"images: {len(paths)}; no face found, centre crop used: {len(images.centre_crops)}; "
        f"no face found, unscored: {len(images.no_face)}; unreadable: {len(images.unreadable)}",
        file=report,
    )
    for why in images.unreadable.values():
        print(f"  unreadable: {why}", file=report)
    print(f"pairs scored: {int(scored.sum())} of {len(trials)}", file=report)
    if trials[0].label is not None and scored.any():
        labels = np.array([t.label for t in trials])[scored]
        m = verification_metrics(scores[scored], labels)
        print(f"ROC AUC: {m.auc:.4f}", file=report)
        print(f"best accuracy: {m.best_accuracy:.4f} at threshold {m.best_threshold:.4f}", file=report)
        print(f"TAR@FAR={m.far:g}: {m.tar:.4f} ({m.negatives} different-person pairs)", file=report)
    return 0 if scored.all() else 1
