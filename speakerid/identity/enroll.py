"""Enrollment: build or extend a gallery from a folder tree ``<person>/<images>``."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from speakerid.errors import GalleryError
from speakerid.faces.detect import main_face
from speakerid.faces.downscale import detect_downscaled
from speakerid.identity.gallery import Gallery
from speakerid.io.images import load_rgb, person_folders

if TYPE_CHECKING:
    from speakerid.faces.embedders.base import Embedder
    from speakerid.faces.face import Detector, Face

log = logging.getLogger(__name__)

# A second face at least this fraction of the subject's area is a rival: the photo is usable only
# if the subject is clearly the central face (see ``single_face``).
AMBIGUOUS_AREA_RATIO = 0.25
DETECT_MAX_SIDE = 1024


@dataclass
class EnrollReport:
    """What enrollment used and rejected, per person (shown to the user)."""

    used: dict[str, int] = field(default_factory=dict)
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (image, reason)


def single_face(faces: list[Face], height: int, width: int) -> tuple[Face | None, str]:
    """The subject of a reference photo, or why the photo cannot be used.

    The subject is the main face (large and central, ``main_face``). Smaller bystanders never
    matter; one rival face (at least ``AMBIGUOUS_AREA_RATIO`` of the subject's area) is tolerated
    when the subject is clearly the central one: its box spans the photo's vertical centre line,
    and the rival's does not, or sits clearly farther from the centre (by more than half the
    subject's height). Two people side by side with the centre line between them, and group
    photos, stay ambiguous: enrolling the wrong face would poison the gallery.
    """
    subject = main_face(faces, height, width)
    if subject is None:
        return None, "no face found"

    def on_centre_line(face: Face) -> bool:
        return bool(face.box[0] <= width / 2 <= face.box[2])

    def offset(face: Face) -> float:
        return float(np.hypot((face.box[0] + face.box[2] - width) / 2, (face.box[1] + face.box[3] - height) / 2))

    reach = offset(subject) + (subject.box[3] - subject.box[1]) / 2
    rivals = [f for f in faces if f is not subject and f.area >= AMBIGUOUS_AREA_RATIO * subject.area]
    if len(rivals) > 1:
        return None, f"{len(rivals) + 1} faces of similar size found: a group photo, not a portrait (ambiguous)"
    if rivals and (not on_centre_line(subject) or on_centre_line(rivals[0]) and offset(rivals[0]) < reach):
        return None, f"{len(faces)} faces found and none is clearly the central subject (ambiguous)"
    return subject, ""


def embed_images(
    images: list[Path], detector: Detector, embedder: Embedder, report: EnrollReport
) -> tuple[np.ndarray, list[str], np.ndarray | None]:
    """Embeddings (each image and its mirror image) of the usable photos among ``images``, and
    the first usable aligned face crop (the person's thumbnail)."""
    crops, sources = [], []
    for path in images:
        try:
            rgb = load_rgb(path)
        except GalleryError as exc:
            report.rejected.append((str(path), str(exc).split(": ", 1)[-1]))
            continue
        face, why = single_face(detect_downscaled(detector, rgb[None], DETECT_MAX_SIDE)[0], *rgb.shape[:2])
        if face is None:
            report.rejected.append((str(path), why))
            log.warning("%s: skipped, %s", path, why)
            continue
        crop = embedder.crop(rgb, face)
        crops += [crop, np.ascontiguousarray(crop[:, ::-1])]
        sources += [str(path), f"{path}#flip"]
    if not crops:
        return np.zeros((0, embedder.dim), np.float32), [], None
    return embedder.embed(np.stack(crops)), sources, crops[0]


def enroll_folder(
    folder: str | Path,
    detector: Detector,
    embedder: Embedder,
    gallery: Gallery | None = None,
    on_person: Callable[[str], None] | None = None,
) -> tuple[Gallery, EnrollReport]:
    """Enroll every person folder into ``gallery`` (a new one if None); others stay untouched."""
    gallery = gallery or Gallery(embedder=embedder.name, embedder_version=embedder.version)
    gallery.check_embedder(embedder.name, embedder.version)
    report = EnrollReport()
    for name, images in person_folders(Path(folder)).items():
        emb, sources, face = embed_images(images, detector, embedder, report)
        report.used[name] = len(sources) // 2
        if len(emb):
            if name in gallery.names:
                gallery.remove_person(name, recalibrate=False)  # re-enrolling replaces their references
            gallery.add_person(name, emb, sources, recalibrate=False, thumbnail=face)
        if on_person:
            on_person(name)
    if not gallery.names:
        raise GalleryError(f"{folder}: no usable face in any image")
    gallery.recalibrate()  # once: calibrating after every person costs O(people^2) per person
    return gallery, report
