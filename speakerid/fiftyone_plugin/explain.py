"""``explain_face``: a heatmap of what made the model see the selected face as who it is.

The model explained is reference 000's best: a linear SVM on the gallery's face embeddings,
wrapped by speakerid.explain into one differentiable network (embedder + SVM). The heatmap is
stored on the frame as a ``fo.Heatmap`` (the App overlays it) and as a PNG overlay of the
model's input window. Installs without speakerid.explain get a clear "not available" error.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import fiftyone.operators as foo
import fiftyone.operators.types as types
import numpy as np

from speakerid.cache import cache_dir
from speakerid.errors import ModelUnavailableError, SpeakeridError
from speakerid.identity.gallery import Gallery
from speakerid.labels.app_pictures import app_picture

from .common import FACES, button, gallery_input, invalid, models, selected_faces

HEATMAP_FIELD = "face_explanation"
METHODS = ("gradcam", "saliency", "occlusion")


def explain_modules() -> tuple[Any, Any, Any]:
    """speakerid.explain's heatmaps, model and render modules, or a one-line "not available" error."""
    try:
        from speakerid.explain import heatmaps, model, render
    except ImportError as exc:
        raise ModelUnavailableError(f"face explanations are not available in this install ({exc})") from None
    return heatmaps, model, render


def gallery_svm(gallery: Any, embedder: Any) -> Any:
    """Linear SVM on the gallery's embeddings (mirror images grouped with their photo), explainable."""
    from speakerid.train.classic import fit_embedding_classifier

    _, model, _ = explain_modules()
    groups = np.unique([s.removesuffix("#flip") for s in gallery.sources], return_inverse=True)[1]
    clf = fit_embedding_classifier(
        "svm", gallery.embeddings, gallery.person, groups, gallery.names, (gallery.embedder, gallery.embedder_version)
    )
    return model.explainable(clf, embedder)


def explain_selected(dataset: Any, ref: dict, gallery_path: str, method: str) -> dict:
    """Explain one face box: heatmap onto its frame, overlay PNG, and the numbers behind them."""
    heatmaps, _, render = explain_modules()
    if method not in METHODS:
        raise SpeakeridError(f"unknown explanation method {method!r}; choose one of {', '.join(METHODS)}")
    gallery = Gallery.load(gallery_path)
    if len(gallery.names) < 2:
        raise SpeakeridError(f"{gallery_path}: explaining needs a gallery of at least two people")
    m = models(gallery.embedder)
    sample = dataset[ref["sample_id"]]
    face = _face(sample, ref)
    frame = app_picture(sample.filepath, ref["frame_number"], sample.metadata.frame_rate)
    h, w = frame.shape[:2]
    x, y, bw, bh = face.bounding_box
    box = np.array([x * w, y * h, (x + bw) * w, (y + bh) * h], np.float32)
    net = gallery_svm(gallery, m.embedder)
    target = gallery.names.index(face.label) if face.label in gallery.names else _best_class(net, frame, box)
    exp = heatmaps.explain_face(net, frame, box, target, methods=(method,))
    attr = exp.maps[method]
    photo = heatmaps.in_photo(attr, exp.window, h, w)
    _store_heatmap(sample, ref["frame_number"], photo)
    png = cache_dir("explain") / f"{ref['label_id']}-{method}.png"
    render.save_png(
        render.image_grid(
            [exp.window_image, render.overlay(exp.window_image, attr)], [exp.target_name, method], ncols=2, cell=160
        ),
        png,
    )
    return {
        "heatmap": str(png),
        "person": exp.target_name,
        "probability": round(exp.probability, 4),
        "inside_face": round(exp.inside[method], 4),
        "method": method,
        "field": f"frames.{HEATMAP_FIELD}",
    }


def _face(sample: Any, ref: dict) -> Any:
    """The selected face box (a one-line error when it is gone)."""
    faces = sample.frames[ref["frame_number"]][FACES]
    det = next((d for d in (faces.detections if faces is not None else []) if d.id == ref["label_id"]), None)
    if det is None:
        raise SpeakeridError(f"{sample.filepath} frame {ref['frame_number']}: face {ref['label_id']} not found")
    return det


def _best_class(net: Any, frame: np.ndarray, box: np.ndarray) -> int:
    """The class the model itself prefers (for faces labelled unknown)."""
    import torch

    heatmaps, _, _ = explain_modules()
    from speakerid.train.inputs import to_input

    img = heatmaps.window_image(frame, heatmaps.context_window(box), net.input_size)
    with torch.no_grad():
        return int(net.module(to_input(img[None], net.input_size)).argmax(1)[0])


def _store_heatmap(sample: Any, frame_number: int, photo: np.ndarray) -> None:
    """The map (uint8, half resolution: the App stretches it) on the frame, replacing older ones."""
    import fiftyone as fo

    small = np.rint(255 * photo[::2, ::2]).astype(np.uint8)
    sample.frames[frame_number][HEATMAP_FIELD] = fo.Heatmap(map=small, range=[0, 255])
    sample.save()


class ExplainFace(foo.Operator):
    @property
    def config(self) -> foo.OperatorConfig:
        return foo.OperatorConfig(
            name="explain_face",
            label="speakerid: explain this face",
            description="Heatmap of the face regions that decided the selected face's identity",
            icon="visibility",
            dynamic=True,
        )

    def resolve_placement(self, ctx) -> types.Placement:
        return button(types.Places.SAMPLES_VIEWER_ACTIONS, "Explain this face")

    def resolve_input(self, ctx) -> types.Property:
        inputs = types.Object()
        picked = selected_faces(ctx)
        if len(picked) != 1:
            prop = inputs.view("pick_one", types.Warning(label="select exactly one face box in the App"))
            invalid(prop, f"select exactly one face box ({len(picked)} selected)")
        gallery_input(ctx, inputs)
        inputs.enum("method", list(METHODS), default="gradcam", label="Method", view=types.Dropdown())
        return types.Property(inputs, view=types.View(label="Explain face"))

    def execute(self, ctx) -> dict:
        picked = selected_faces(ctx)
        if len(picked) != 1:
            raise SpeakeridError(f"select exactly one face box ({len(picked)} selected)")
        out = explain_selected(ctx.dataset, picked[0], ctx.params["gallery"], ctx.params.get("method") or "gradcam")
        if not ctx.delegated:
            ctx.ops.reload_samples()
        return out

    def resolve_output(self, ctx) -> types.Property:
        outputs = types.Object()
        outputs.str("person", label="Explained as")
        outputs.float("probability", label="Model probability")
        outputs.float("inside_face", label="Share of the heatmap inside the face box")
        outputs.str("field", label="Heatmap stored on the frame as")
        results = ctx.results or {}
        if results.get("heatmap"):
            outputs.view("overlay", types.ImageView(), default=f"/media?filepath={quote(results['heatmap'])}")
        return types.Property(outputs, view=types.View(label="Face explanation"))
