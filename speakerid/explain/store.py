"""Explanations as FiftyOne labels (fo.Heatmap per method on the photo's sample) and as a PNG figure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from speakerid.explain.heatmaps import FaceExplanation, in_photo
from speakerid.explain.render import draw_box, image_grid, overlay
from speakerid.labels.fiftyone_writer import find_sample

FACE_FIELD = "face"


def heatmap_field(method: str) -> str:
    """Sample field holding ``method``'s fo.Heatmap."""
    return f"{method}_heatmap"


def store_explanation(
    ds: Any, image_path: str | Path, shape: tuple[int, int], expl: FaceExplanation, out_dir: str | Path
) -> Any:
    """Add/update the photo's sample: the face as fo.Detection, one fo.Heatmap per method.

    ``shape`` is the (height, width) of the photo grid ``expl`` was computed on. Maps are
    saved as 8-bit PNGs (``map_path``, range 0..255) beside the other outputs; the share of
    positive attribution inside the face is stored as ``<method>_in_face``.
    """
    import fiftyone as fo

    path = str(Path(image_path).resolve())
    h, w = shape
    sample = find_sample(ds, path)
    new = sample is None
    sample = sample or fo.Sample(filepath=path)
    x1, y1, x2, y2 = (float(v) for v in expl.box)
    sample[FACE_FIELD] = fo.Detection(
        label=expl.target_name, bounding_box=[x1 / w, y1 / h, (x2 - x1) / w, (y2 - y1) / h], confidence=expl.probability
    )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for method, attr in expl.maps.items():
        png = (out_dir / f"{Path(path).stem}-{method}-map.png").resolve()
        Image.fromarray((255 * in_photo(attr, expl.window, h, w)).round().astype(np.uint8)).save(png, optimize=True)
        sample[heatmap_field(method)] = fo.Heatmap(map_path=str(png), range=[0, 255])
        sample[f"{method}_in_face"] = expl.inside[method]
    if new:
        ds.add_sample(sample)
    else:
        sample.save()
    return sample


def explanation_figure(expl: FaceExplanation, cell: int = 160) -> Image.Image:
    """The model's input window (face box in green) and each method's overlay with its in-face share."""
    box = expl.box_in_window()
    images = [draw_box(expl.window_image, box)]
    titles = [f"{expl.target_name} p={expl.probability:.2f}"]
    for method, attr in expl.maps.items():
        images.append(draw_box(overlay(expl.window_image, attr), box))
        titles.append(f"{method}: {expl.inside[method]:.0%} in face")
    return image_grid(images, titles, ncols=len(images), cell=cell)
