"""Photos: reading one as RGB (EXIF orientation applied), a ``<person>/<images>`` folder tree,
and shrinking a photo so its long side fits a limit.

Shared by enrolment, verification, training and the cohort builder, so every photo is read and
shrunk the same way wherever it enters speakerid.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from speakerid.errors import GalleryError

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}


def load_rgb(path: str | Path) -> np.ndarray:
    """An image as RGB uint8, EXIF orientation applied; GalleryError naming the file if unreadable."""
    try:
        with Image.open(path) as im:
            return np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
    except (UnidentifiedImageError, OSError) as exc:
        raise GalleryError(f"{path}: not a readable image ({exc.__class__.__name__})") from None


def person_folders(folder: Path) -> dict[str, list[Path]]:
    """``{person: [images]}`` from ``<folder>/<person>/*``, sorted for reproducibility."""
    if not folder.is_dir():
        raise GalleryError(f"{folder}: gallery folder not found")
    people = {}
    for sub in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        imgs = sorted(p for p in sub.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and _regular_file(p))
        if imgs:
            people[sub.name] = imgs
    if not people:
        raise GalleryError(f"{folder}: no <person>/<image> sub-folders with images")
    return people


def _regular_file(path: Path) -> bool:
    """A photo to read: a regular file (a folder named x.jpg, a dangling link or a FIFO, which
    would block the read forever, are skipped with one logged line naming them)."""
    if path.is_file():
        return True
    _say_skipped(str(path))
    return False


@lru_cache(maxsize=256)
def _say_skipped(path: str) -> None:
    """Once per process, however many times the folder is listed."""
    log.warning("%s: not a regular image file, skipped", path)


def fit_within(image: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    """``image`` with its long side at most ``max_side`` pixels (area filter), and the scale applied."""
    h, w = image.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    if scale == 1.0:
        return image, 1.0
    import cv2

    return cv2.resize(image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA), scale
