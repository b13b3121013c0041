"""``speakerid train-video``: train the two-stream Video2Vec model on a labelled video dataset."""

from __future__ import annotations

import argparse

from speakerid.cli.progress import LazyBars, console
from speakerid.errors import SpeakeridError


def _pair(text: str) -> tuple[str, str]:
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"expected LABEL=TEXT, got {text!r}")
    label, words = text.split("=", 1)
    return label, words


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train-video",
        help="train the Video2Vec two-stream CNN+RNN on video clips",
        description="Train RNN+MLP heads on frozen, cached two-stream CNN features of "
        "labelled clips; writes checkpoints and a metrics JSON.",
    )
    p.add_argument("--dataset", required=True, help="FiftyOne video dataset")
    p.add_argument(
        "--label-field", required=True, help="Classification or TemporalDetections field (e.g. speaker_segments)"
    )
    p.add_argument("--out", default=None, help="output folder (default: ./video2vec-<dataset>)")
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--batch-size", type=int, default=30)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--margin", type=float, default=0.55, help="hinge margin (0.4 for zero-shot)")
    p.add_argument("--window", type=float, default=1.0, help="clip window length in seconds")
    p.add_argument("--fps", type=float, default=10.0, help="frames sampled per second")
    p.add_argument("--size", type=int, default=112, help="CNN input size in pixels")
    p.add_argument("--split-by", choices=("video", "window"), default="video")
    p.add_argument("--val-fraction", type=float, default=0.25)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--patience", type=int, default=10, help="early stopping patience (epochs)")
    p.add_argument("--rnn", choices=("gru", "lstm"), default="gru")
    p.add_argument("--hidden", type=int, default=1024, help="RNN hidden size per stream")
    p.add_argument("--mlp-hidden", type=int, default=1200)
    p.add_argument(
        "--holdout",
        action="append",
        default=[],
        metavar="LABEL",
        help="keep LABEL out of training and evaluate it zero-shot (repeatable)",
    )
    p.add_argument(
        "--label-text",
        action="append",
        type=_pair,
        default=[],
        metavar="LABEL=TEXT",
        help="words that describe LABEL in the text space (repeatable)",
    )
    p.add_argument("--resume", action="store_true", help="continue from OUT/last")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from speakerid import threads
    from speakerid.video.clips import open_dataset
    from speakerid.video.features import FeatureSettings
    from speakerid.video.model import HeadConfig
    from speakerid.video.train import TrainSettings, train_video_model

    if args.epochs < 1 or args.window <= 0 or args.fps <= 0 or args.size < 32:
        raise SpeakeridError("train-video: need --epochs >= 1, --window > 0, --fps > 0, --size >= 32")
    dataset = open_dataset(args.dataset)
    settings = TrainSettings(
        label_field=args.label_field,
        out_dir=args.out or f"video2vec-{args.dataset}",
        features=FeatureSettings(fps=args.fps, size=args.size),
        window_s=args.window,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        margin=args.margin,
        val_fraction=args.val_fraction,
        split_by=args.split_by,
        seed=args.seed,
        patience=args.patience,
        head=HeadConfig(rnn=args.rnn, hidden=args.hidden, mlp_hidden=args.mlp_hidden),
        holdout_labels=list(args.holdout),
        label_texts=dict(args.label_text),
        resume=args.resume,
    )
    threads.configure(args.threads)
    with LazyBars(args.quiet) as bars:

        def on_epoch(row: dict) -> None:
            bars.update(
                "train",
                row["epoch"],
                row["epochs"],
                f"train loss {row['train_loss']:.3f} val loss {row['val_loss']:.3f} acc {row['val_accuracy']:.2f}",
            )

        metrics = train_video_model(
            dataset, settings, on_epoch=on_epoch, progress=lambda done, total: bars.update("features", done, total)
        )
    if not args.quiet:
        _summary(metrics, settings.out_dir)
    return 0


def _summary(m: dict, out: str) -> None:
    from rich.table import Table

    hist = m["history"]
    table = Table(title="video2vec training")
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_row("epochs run", str(len(hist)) + (" (early stop)" if m["stopped_early"] else ""))
    table.add_row("train loss first -> last", f"{hist[0]['train_loss']:.4f} -> {hist[-1]['train_loss']:.4f}")
    val = m["val"]
    table.add_row(f"val accuracy ({val['n_clips']} clips)", f"{val['accuracy']:.3f}")
    table.add_row("val accuracy, nearest label text", f"{val['embedding_accuracy']:.3f}")
    table.add_row("chance / majority", f"{val['chance_accuracy']:.3f} / {val['majority_accuracy']:.3f}")
    ret = val["retrieval"]
    table.add_row("val text retrieval mAP (chance)", f"{ret['mAP']:.3f} ({ret['chance_mAP']:.3f})")
    table.add_row("val recall@1 / @3", f"{ret['recall@1']:.3f} / {ret['recall@3']:.3f}")
    zs = m.get("zero_shot")
    if zs:
        zr = zs["retrieval"]
        table.add_row(
            f"zero-shot mAP {zs['unseen_labels']} (chance)",
            f"{zr.get('mAP', float('nan')):.3f} ({zr.get('chance_mAP', float('nan')):.3f})",
        )
        table.add_row(
            "zero-shot generalized accuracy (chance)",
            f"{zs['generalized_accuracy']:.3f} ({zs['chance_generalized_accuracy']:.3f})",
        )
    console.print(table)
    console.print(f"checkpoint: {out}/best   metrics: {out}/metrics.json")
