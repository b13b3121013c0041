"""``speakerid robustness``: how easily a face classifier is fooled within a small pixel budget."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from speakerid.cli.face_source import add_source_args, face_models, load_faces, report_faces
from speakerid.cli.progress import console
from speakerid.errors import SpeakeridError
from speakerid.explain.specs import ATTACKS, DEFAULT_BUDGET


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("robustness", help="FGSM/PGD attacks on correctly classified faces within a pixel budget")
    p.add_argument("classifier", type=Path, help="classifier file from train-faces (svm or a net)")
    add_source_args(p)
    p.add_argument(
        "-n", "--faces", type=int, default=20, help="attack this many correctly classified faces (default 20)"
    )
    p.add_argument("--attack", choices=ATTACKS, default="pgd")
    p.add_argument(
        "--budget",
        type=float,
        default=DEFAULT_BUDGET,
        help=f"L-inf budget as a share of 0..255 (default {DEFAULT_BUDGET})",
    )
    p.add_argument("--steps", type=int, default=20, help="PGD steps (default 20)")
    p.add_argument("--examples", type=int, default=3, help="original/noise/perturbed rows saved (default 3)")
    p.add_argument("--out", type=Path, default=Path("robustness-out"))
    p.set_defaults(func=run)


def examples_figure(res, classes: list[str], rows: int):
    """Rows of original | noise (stretched to be visible) | perturbed, with names and confidences."""
    from speakerid.explain.render import image_grid

    images, titles = [], []
    for i in range(min(rows, len(res.labels))):
        diff = res.perturbed[i].astype(np.int16) - res.original[i].astype(np.int16)
        noise = (127.5 + diff * (127.5 / max(res.budget_px, 1))).clip(0, 255).astype(np.uint8)
        images += [res.original[i], noise, res.perturbed[i]]
        titles += [
            f"{classes[res.labels[i]]} {res.true_before[i]:.2f}",
            f"noise, max {np.abs(diff).max()}/255",
            f"{classes[res.predicted[i]]} {res.top_after[i]:.2f}",
        ]
    return image_grid(images, titles, ncols=3, cell=128)


def run(args: argparse.Namespace) -> int:
    from speakerid.explain.adversarial import attack, correctly_classified
    from speakerid.explain.model import explainable
    from speakerid.explain.render import save_png
    from speakerid.train.classifier import load_classifier
    from speakerid.train.evaluate import held_out
    from speakerid.train.inputs import to_input, to_uint8

    clf = load_classifier(args.classifier)
    detector, embedder = face_models(args)
    model = explainable(clf, embedder)
    faces = load_faces(args, detector, embedder)
    if clf.meta.get("val_sources"):
        faces = held_out(faces, clf.classes, clf.meta["val_sources"])
    known = np.array([faces.classes[y] in clf.classes for y in faces.labels])
    faces = faces.subset(np.flatnonzero(known))
    console.print(report_faces(faces))
    labels = np.array([clf.classes.index(faces.classes[y]) for y in faces.labels], np.int64)
    images = to_uint8(to_input(faces.crops, model.input_size))  # the model's own pixel grid
    pick = correctly_classified(model.module, images, labels, args.faces)
    if len(pick) == 0:
        raise SpeakeridError("no face is classified correctly: nothing to attack")
    res = attack(model.module, images[pick], labels[pick], args.attack, args.budget, args.steps)
    args.out.mkdir(parents=True, exist_ok=True)
    order = np.argsort(~res.success, kind="stable")  # fooled faces first in the picture
    for field in ("original", "perturbed", "labels", "predicted", "true_before", "true_after", "top_after"):
        setattr(res, field, getattr(res, field)[order])
    png = save_png(examples_figure(res, clf.classes, args.examples), args.out / f"{args.attack}-examples.png")
    summary = {
        "attack": args.attack,
        "budget": args.budget,
        **res.summary(),
        "examples": str(png),
        "sources": [faces.sources[i] for i in pick[order]],
    }
    (args.out / f"{args.attack}-robustness.json").write_text(json.dumps(summary, indent=1))
    console.print(
        f"{args.attack}: fooled {summary['success_rate']:.0%} of {len(pick)} faces within {res.budget_px}/255 "
        f"(max change {res.max_change_px}); true-class confidence {summary['mean_true_confidence_before']:.2f}"
        f" -> {summary['mean_true_confidence_after']:.2f} -> {png}"
    )
    return 0
