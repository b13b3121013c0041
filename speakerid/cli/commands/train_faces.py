"""``speakerid train-faces``: train face classifiers (SVM, kNN, CNNs, fine-tuned nets) on labelled faces."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from speakerid.cli.face_source import add_source_args, face_models, load_faces, report_faces
from speakerid.cli.progress import console, progress_bar, rate_text
from speakerid.train.specs import KINDS, LOSSES, MODELS


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "train-faces", help="train face classifiers on <person>/<images> folders or a FiftyOne dataset"
    )
    add_source_args(p)
    p.add_argument("--model", nargs="+", default=["svm"], choices=MODELS, help="models to train (default svm)")
    p.add_argument("--loss", nargs="+", default=["ce"], choices=LOSSES, help="losses for the nets (default ce)")
    p.add_argument("--out", type=Path, default=Path("face-models"), help="output folder (default face-models/)")
    p.add_argument(
        "--val-fraction", type=float, default=0.25, help="share of each person's photos held out (default 0.25)"
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--epochs", type=int, help="epochs for the nets (default: per architecture)")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--patience", type=int, default=10, help="stop after this many epochs without val improvement")
    p.add_argument("--lr", type=float, help="learning rate (default: per architecture)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from speakerid.cache import atomic_write_bytes
    from speakerid.train.data import split_by_image
    from speakerid.train.pipeline import run_name, save_trained, train_classifier
    from speakerid.train.trainer import TrainConfig

    detector, embedder = face_models(args)
    faces = load_faces(args, detector, embedder)
    console.print(report_faces(faces))
    train_idx, val_idx = split_by_image(faces.labels, args.val_fraction, args.seed)
    cfg = TrainConfig(
        epochs=args.epochs, batch_size=args.batch_size, patience=args.patience, lr=args.lr, seed=args.seed
    )
    extra = {
        "data": [str(d) for d in args.data] or f"fiftyone:{args.fo_dataset}:{args.field}",
        "seed": args.seed,
        "val_fraction": args.val_fraction,
        "val_sources": [faces.sources[i] for i in val_idx],
        "train_faces": int(len(train_idx)),
        "detector_fallbacks": int((~faces.detected).sum()),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    combos = list(dict.fromkeys((m, "ce" if m in KINDS else loss) for m in args.model for loss in args.loss))
    chance = float(max(faces.subset(val_idx).counts().values()) / max(len(val_idx), 1))
    summary: dict = {
        "faces": len(faces),
        "people": len(faces.classes),
        "val_faces": int(len(val_idx)),
        "chance": chance,
        "models": {},
    }
    histories = {}
    with progress_bar(args.quiet, unit="epochs") as prog:
        for model, loss in combos:
            trained = train_classifier(
                model,
                loss,
                faces,
                train_idx,
                val_idx,
                embedder,
                cfg,
                _epoch_bar(prog, run_name(model, loss).replace("-", "/")),
            )
            path = save_trained(trained, args.out / f"{run_name(model, loss)}.safetensors", extra)
            summary["models"][trained.name] = {
                "val_accuracy": trained.val_accuracy,
                "file": str(path),
                "threshold": trained.classifier.threshold,
            }
            if trained.history:
                histories[trained.name] = trained.history
            console.print(f"{trained.name}: val accuracy {trained.val_accuracy:.1%} (chance {chance:.1%}) -> {path}")
    if histories:
        from speakerid.train.plots import plot_history

        summary["plot"] = str(plot_history(histories, args.out / "training.png"))
    atomic_write_bytes(args.out / "summary.json", json.dumps(summary, indent=1).encode())
    return 0


def _epoch_bar(prog, name: str):
    """An ``on_epoch`` callback drawing one bar per trained net: epochs, val accuracy, epochs/s."""
    state: dict = {}

    def on_epoch(row: dict) -> None:
        if not state:
            state["task"], state["start"] = prog.add_task(name, total=row["epochs"], rate=""), time.perf_counter()
        rate = rate_text(row["epoch"], time.perf_counter() - state["start"], "epochs")
        prog.update(state["task"], advance=1, rate=f"val {row['val_accuracy']:.0%} · {rate}")

    return on_epoch
