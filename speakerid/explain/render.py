"""Pictures of explanations: heatmap overlays and titled image grids (PIL + OpenCV colormaps)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw

TITLE_H = 14
PAD = 2


def overlay(image: np.ndarray, heat: np.ndarray, alpha: float = 0.5) -> np.ndarray:
    """``image`` (H,W,3) uint8 blended with the positive part of ``heat`` in the jet colormap."""
    pos = np.clip(heat, 0, None)
    pos = (255 * pos / max(float(pos.max()), 1e-12)).astype(np.uint8)
    pos = cv2.resize(pos, (image.shape[1], image.shape[0]), interpolation=cv2.INTER_LINEAR)
    colour = cv2.cvtColor(cv2.applyColorMap(pos, cv2.COLORMAP_JET), cv2.COLOR_BGR2RGB)
    return (image * (1 - alpha) + colour * alpha).astype(np.uint8)


def draw_box(image: np.ndarray, box: np.ndarray, colour: tuple[int, int, int] = (0, 255, 0)) -> np.ndarray:
    """A copy of ``image`` with ``box`` (x1,y1,x2,y2 pixels) outlined."""
    out = image.copy()
    p1, p2 = tuple(int(round(v)) for v in box[:2]), tuple(int(round(v)) for v in box[2:])
    cv2.rectangle(out, p1, p2, colour, 1)
    return out


def image_grid(
    images: list[np.ndarray], titles: list[str] | None = None, ncols: int = 4, cell: int = 128
) -> Image.Image:
    """Images resized to ``cell`` px squares in rows of ``ncols``, each with a one-line title."""
    titles = titles or [""] * len(images)
    ncols = max(1, min(ncols, len(images)))
    nrows = (len(images) + ncols - 1) // ncols
    sheet = Image.new("RGB", (ncols * (cell + PAD) + PAD, nrows * (cell + TITLE_H + PAD) + PAD), "white")
    draw = ImageDraw.Draw(sheet)
    for i, (img, title) in enumerate(zip(images, titles)):
        x = PAD + (i % ncols) * (cell + PAD)
        y = PAD + (i // ncols) * (cell + TITLE_H + PAD)
        draw.text((x + 1, y + 1), title[: cell // 6], fill="black")
        tile = Image.fromarray(np.asarray(img, np.uint8)).convert("RGB").resize((cell, cell), Image.BILINEAR)
        sheet.paste(tile, (x, y + TITLE_H))
    return sheet


def save_png(image: Image.Image, path: str | Path) -> Path:
    """Save as an optimised 256-colour PNG: small enough for docs, indistinguishable for these pictures."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.convert("RGB").quantize(256, method=Image.Quantize.FASTOCTREE).save(path, optimize=True)
    return path
