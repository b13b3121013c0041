"""Enrollment: build or extend a gallery from a folder tree ``<person>/<images>``."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from speakerid.errors import GalleryError
from speakerid.faces.downscale import detect_downscaled
from speakerid.identity.gallery import Gallery

if TYPE_CHECKING:
    from speakerid.faces.detect import Face, FaceDetector
    from speakerid.faces.embedders.base import Embedder

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}
# A second face at least this fraction of the largest one's area makes the photo ambiguous.
AMBIGUOUS_AREA_RATIO = 0.25
DETECT_MAX_SIDE = 1024


@dataclass
class EnrollReport:
    """What enrollment used and rejected, per person (shown to the user)."""

    used: dict[str, int] = field(default_factory=dict)
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (image, reason)


def load_rgb(path: Path) -> np.ndarray:
    """An image as RGB uint8, EXIF orientation applied."""
    try:
        with Image.open(path) as im:
            return np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
    except (UnidentifiedImageError, OSError) as exc:
        raise GalleryError(f"{path}: not a readable image ({exc.__class__.__name__})") from None


def single_face(faces: list["Face"]) -> tuple["Face | None", str]:
    """The one face of a reference photo, or why the photo cannot be used."""
    if not faces:
        return None, "no face found"
    faces = sorted(faces, key=lambda f: -f.area)
    if len(faces) > 1:
        if faces[1].area >= AMBIGUOUS_AREA_RATIO * faces[0].area:
            return None, f"{len(faces)} faces found (which one is the person is ambiguous)"
    return faces[0], ""


def person_folders(folder: Path) -> dict[str, list[Path]]:
    """``{person: [images]}`` from ``<folder>/<person>/*``, sorted for reproducibility."""
    if not folder.is_dir():
        raise GalleryError(f"{folder}: gallery folder not found")
    people = {}
    for sub in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        imgs = sorted(p for p in sub.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if imgs:
            people[sub.name] = imgs
    if not people:
        raise GalleryError(f"{folder}: no <person>/<image> sub-folders with images")
    return people


def embed_images(
    images: list[Path], detector: "FaceDetector", embedder: "Embedder", report: EnrollReport
) -> tuple[np.ndarray, list[str]]:
    """Embeddings (each image and its mirror image) of the usable photos among ``images``."""
    crops, sources = [], []
    for path in images:
        try:
            rgb = load_rgb(path)
        except GalleryError as exc:
            report.rejected.append((str(path), str(exc).split(": ", 1)[-1]))
            continue
        face, why = single_face(detect_downscaled(detector, rgb[None], DETECT_MAX_SIDE)[0])
        if face is None:
            report.rejected.append((str(path), why))
            log.warning("%s: skipped, %s", path, why)
            continue
        crop = embedder.crop(rgb, face)
        crops += [crop, np.ascontiguousarray(crop[:, ::-1])]
        sources += [str(path), f"{path}#flip"]
    if not crops:
        return np.zeros((0, embedder.dim), np.float32), []
    return embedder.embed(np.stack(crops)), sources


def enroll_folder(
    folder: str | Path,
    detector: "FaceDetector",
    embedder: "Embedder",
    gallery: Gallery | None = None,
    on_person: Callable[[str], None] | None = None,
) -> tuple[Gallery, EnrollReport]:
    """Enroll every person folder into ``gallery`` (a new one if None); others stay untouched."""
    gallery = gallery or Gallery(embedder=embedder.name, embedder_version=embedder.version)
    gallery.check_embedder(embedder.name, embedder.version)
    report = EnrollReport()
    for name, images in person_folders(Path(folder)).items():
        emb, sources = embed_images(images, detector, embedder, report)
        report.used[name] = len(sources) // 2
        if len(emb):
            if name in gallery.names:
                gallery.remove_person(name)  # re-enrolling a person replaces their references
            gallery.add_person(name, emb, sources)
        if on_person:
            on_person(name)
    if not gallery.names:
        raise GalleryError(f"{folder}: no usable face in any image")
    return gallery, report


def open_gallery(path: str | Path, detector: "FaceDetector", embedder: "Embedder") -> Gallery:
    """A ``.sid`` file, or a ``<person>/<images>`` folder enrolled on the fly."""
    path = Path(path)
    if path.is_dir():
        gallery, report = enroll_folder(path, detector, embedder)
        for image, why in report.rejected:
            log.warning("%s: not enrolled, %s", image, why)
        return gallery
    gallery = Gallery.load(path)
    gallery.check_embedder(embedder.name, embedder.version)
    return gallery
