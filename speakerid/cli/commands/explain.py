"""``speakerid explain``: heatmaps of a face decision, filter images, and embedding maps."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from speakerid.cli.face_source import add_source_args, face_models, load_faces, report_faces
from speakerid.cli.progress import console, progress_bar
from speakerid.defaults import DEFAULT_EMBEDDER
from speakerid.errors import SpeakeridError
from speakerid.explain.specs import DEFAULT_CONTEXT, HEATMAP_METHODS, REDUCERS


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("explain", help="why a face classifier decides: heatmaps, filters, embedding maps")
    sub = p.add_subparsers(dest="what", metavar="WHAT", required=True)

    f = sub.add_parser("faces", help="saliency, occlusion and Grad-CAM heatmaps of the main face of each photo")
    f.add_argument("classifier", type=Path, help="classifier file from train-faces (svm or a net)")
    f.add_argument("images", nargs="+", type=Path, help="photos (the main face of each is explained)")
    f.add_argument("--method", nargs="+", choices=HEATMAP_METHODS, default=list(HEATMAP_METHODS))
    f.add_argument(
        "--context", type=float, default=DEFAULT_CONTEXT, help=f"window side / face size (default {DEFAULT_CONTEXT})"
    )
    f.add_argument("--target", help="explain this identity instead of the predicted one")
    _common(f, "speakerid-explain", "explain-out")
    f.set_defaults(func=run_faces)

    v = sub.add_parser("filters", help="images that maximally excite filters of one layer (gradient ascent)")
    v.add_argument("classifier", type=Path)
    v.add_argument("--layer", help="convolution layer name (default: the last one; --list-layers shows them)")
    v.add_argument("--list-layers", action="store_true")
    v.add_argument("--filters", type=int, nargs="+", default=list(range(16)), help="filter indices (default 0..15)")
    v.add_argument("--steps", type=int, default=48)
    _common(v, None, "explain-out")
    v.set_defaults(func=run_filters)

    e = sub.add_parser("embeddings", help="PCA / t-SNE / UMAP maps of face embeddings and nearest/farthest faces")
    add_source_args(e)
    e.add_argument("--classifier", type=Path, help="use this trained net's embeddings (default: the embedder's)")
    e.add_argument("--method", nargs="+", choices=REDUCERS, default=list(REDUCERS))
    e.add_argument("--query", default="0", help="face for nearest/farthest: its index or its image path (default 0)")
    e.add_argument("--k", type=int, default=6, help="how many nearest and farthest faces (default 6)")
    e.add_argument("--out", type=Path, default=Path("explain-out"))
    e.add_argument("--fo-name", default="speakerid-faces", help="FiftyOne face-patch dataset (default speakerid-faces)")
    e.set_defaults(func=run_embeddings)


def _common(p: argparse.ArgumentParser, fo_default: str | None, out_default: str) -> None:
    p.add_argument("--out", type=Path, default=Path(out_default), help=f"output folder (default {out_default}/)")
    if fo_default:
        p.add_argument(
            "--fo-name", default=fo_default, help=f"FiftyOne dataset for the heatmaps (default {fo_default})"
        )
    p.add_argument("--embedder", default=DEFAULT_EMBEDDER)
    p.add_argument("--min-face-size", type=int, default=20)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("-q", "--quiet", action="store_true")


def run_faces(args: argparse.Namespace) -> int:
    from speakerid.explain.heatmaps import explain_face
    from speakerid.explain.model import explainable
    from speakerid.explain.render import save_png
    from speakerid.explain.store import explanation_figure, store_explanation
    from speakerid.faces.detect import main_face
    from speakerid.io.images import fit_within, load_rgb
    from speakerid.labels.fiftyone_writer import get_or_create_dataset
    from speakerid.train.classifier import load_classifier
    from speakerid.train.evaluate import predict_crops

    clf = load_classifier(args.classifier)
    detector, embedder = face_models(args)
    model = explainable(clf, embedder)
    if args.target and args.target not in clf.classes:
        raise SpeakeridError(f"--target {args.target!r} is not one of the classifier's identities")
    ds = get_or_create_dataset(args.fo_name, media_type="image")
    report, failed = {}, 0
    with progress_bar(args.quiet, unit="faces") as prog:
        task = prog.add_task("explain", total=len(args.images), rate="")
        for path in args.images:
            rgb, _ = fit_within(load_rgb(path), 1024)
            face = main_face(detector.detect(rgb[None])[0], *rgb.shape[:2])
            if face is None:
                console.print(f"{path}: no face found, skipped")
                failed += 1
                continue
            probs = predict_crops(clf, embedder.crop(rgb, face)[None], embedder)[0]
            target = clf.classes.index(args.target) if args.target else int(probs.argmax())
            expl = explain_face(model, rgb, face.box, target, tuple(args.method), args.context)
            store_explanation(ds, path, rgb.shape[:2], expl, args.out)
            png = save_png(explanation_figure(expl), args.out / f"{path.stem}-explained.png")
            report[str(path)] = {
                "target": expl.target_name,
                "probability_on_crop": float(probs[target]),
                "probability_on_window": expl.probability,
                "winner_on_window": expl.window_winner,
                "in_face": expl.inside,
                "figure": str(png),
            }
            console.print(
                f"{path.name}: {expl.target_name} — "
                + ", ".join(f"{m} {v:.0%} in face" for m, v in expl.inside.items())
            )
            prog.advance(task)
    (args.out / "explanations.json").write_text(json.dumps({"fiftyone": args.fo_name, "faces": report}, indent=1))
    return 1 if failed else 0


def run_filters(args: argparse.Namespace) -> int:
    from speakerid.explain.filters import filter_images
    from speakerid.explain.model import explainable
    from speakerid.explain.render import image_grid, save_png
    from speakerid.train.classifier import load_classifier

    clf = load_classifier(args.classifier)
    _, embedder = face_models(args) if clf.input == "embedding" else (None, None)
    model = explainable(clf, embedder)
    if args.list_layers:
        print("\n".join(f"{n}: {m.out_channels} filters" for n, m in model.conv_layers.items()))
        return 0
    name = args.layer or list(model.conv_layers)[-1]
    if name not in model.conv_layers:
        raise SpeakeridError(f"--layer {name!r} is not a convolution of this model (see --list-layers)")
    images = filter_images(model.module, model.conv_layers[name], args.filters, model.input_size, args.steps)
    png = save_png(
        image_grid(list(images), [f"{name.split('.')[-1]} #{i}" for i in args.filters], ncols=8, cell=96),
        args.out / f"filters-{name}.png",
    )
    console.print(f"{len(args.filters)} filters of {name} -> {png}")
    return 0


def run_embeddings(args: argparse.Namespace) -> int:
    from speakerid.explain.embedding_maps import embedding_maps, plot_maps, similar_faces
    from speakerid.explain.render import image_grid, save_png
    from speakerid.train.embeddings import embed_crops
    from speakerid.train.evaluate import classify_faces
    from speakerid.train.fo_patches import face_patch_dataset

    detector, embedder = face_models(args)
    faces = load_faces(args, detector, embedder)
    console.print(report_faces(faces))
    if args.classifier:
        from speakerid.train.classifier import load_classifier

        emb = classify_faces(load_classifier(args.classifier), faces.crops, embedder)[1]
    else:
        emb = embed_crops(embedder, faces.crops)
    args.out.mkdir(parents=True, exist_ok=True)
    ds, paths = face_patch_dataset(args.fo_name, faces, args.out / "patches")
    prefix = "faces_" + (
        args.classifier.stem.replace("-", "_").replace(".", "_") if args.classifier else embedder.name.replace("-", "_")
    )
    points = embedding_maps(ds, paths, emb, tuple(args.method), prefix)
    names = [faces.classes[y] for y in faces.labels]
    maps_png = plot_maps(points, names, args.out / f"{prefix}-maps.png")
    query = int(args.query) if args.query.isdigit() else faces.sources.index(str(Path(args.query)))
    near, far = similar_faces(ds, paths, emb, query, args.k, prefix)
    e = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    pos = {p: i for i, p in enumerate(paths)}
    cells = [query] + [pos[p] for p in near] + [pos[p] for p in far]
    titles = ["query: " + names[query]] + [f"{e[i] @ e[query]:.2f} {names[i]}" for i in cells[1:]]
    grid = save_png(
        image_grid([faces.crops[i] for i in cells], titles, ncols=args.k + 1, cell=96),
        args.out / f"{prefix}-similar.png",
    )
    console.print(
        f"maps -> {maps_png}; nearest/farthest -> {grid}; FiftyOne {args.fo_name}: brain runs {prefix}_<method>, "
        f"saved views {prefix}-nearest / {prefix}-farthest"
    )
    return 0
