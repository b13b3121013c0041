"""``speakerid evaluate``: score a trained face classifier; JSON + PNG + a FiftyOne evaluation run."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from speakerid.cli.face_source import add_source_args, face_models, load_faces, report_faces
from speakerid.cli.progress import console


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("evaluate", help="accuracy, per-class P/R, confusion, open-set rates, verification ROC")
    p.add_argument("classifier", type=Path, help="classifier file from train-faces (.safetensors)")
    add_source_args(p)
    p.add_argument(
        "--split",
        choices=("val", "all"),
        default="val",
        help="val: the photos train-faces held out, plus every unknown person (default); all: every face",
    )
    p.add_argument("--out", type=Path, default=Path("face-eval"), help="output folder (default face-eval/)")
    p.add_argument(
        "--fo-name",
        default="speakerid-faces",
        help="FiftyOne dataset of face patches to write (default speakerid-faces)",
    )
    p.add_argument("--eval-key", help="FiftyOne evaluation key (default eval_<model name>)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from speakerid.train.classifier import load_classifier
    from speakerid.train.evaluate import evaluate, held_out
    from speakerid.train.fo_patches import face_patch_dataset, write_predictions
    from speakerid.train.plots import plot_evaluation

    clf = load_classifier(args.classifier)
    detector, embedder = face_models(args)
    faces = load_faces(args, detector, embedder)
    if args.split == "val":
        faces = held_out(faces, clf.classes, clf.meta.get("val_sources", []))
    console.print(report_faces(faces))
    ev = evaluate(clf, faces, embedder)
    name = args.classifier.name.removesuffix(".safetensors")
    args.out.mkdir(parents=True, exist_ok=True)
    ev.summary["plot"] = str(plot_evaluation(ev, args.out / f"{name}-evaluation.png", title=name))
    ds, paths = face_patch_dataset(args.fo_name, faces, args.out / "patches")
    key = args.eval_key or "eval_" + re.sub(r"\W", "_", name)
    write_predictions(ds, paths, ev.true_names(), ev.predicted_names(), ev.probs.max(1), key)
    ev.summary["fiftyone"] = {"dataset": args.fo_name, "eval_key": key}
    ev.write_json(args.out / f"{name}-evaluation.json")
    cs, os_ = ev.summary["closed_set"], ev.summary["open_set"]
    console.print(
        f"{name}: accuracy {cs['accuracy']:.1%} on {os_['n_known']} known faces (chance {cs['chance']:.1%}); "
        f"AUC {ev.summary['verification'].get('auc') or float('nan'):.3f}; "
        f"at threshold {os_['threshold']:.2f}: false rejects {os_['false_reject_rate'] or 0:.1%}, "
        f"unknowns accepted {_pct(os_['false_accept_rate'])} -> {args.out}"
    )
    return 0


def _pct(v: float | None) -> str:
    return "n/a (no unknown faces)" if v is None else f"{v:.1%}"
