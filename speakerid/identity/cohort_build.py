"""Building a score-normalisation cohort from a ``<person>/<images>`` tree of public photos.

Offline only (``scripts/build_cohort.py``): it finds faces the way enrolment does, so it sits
above ``speakerid.identity.enroll``, while the run-time cohort (``speakerid.identity.cohort``)
stays below the gallery that loads it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from speakerid.errors import GalleryError
from speakerid.faces.detect import main_face
from speakerid.faces.downscale import detect_downscaled
from speakerid.faces.face import Face
from speakerid.identity.cohort import Cohort
from speakerid.identity.enroll import DETECT_MAX_SIDE
from speakerid.io.images import load_rgb

if TYPE_CHECKING:
    from speakerid.faces.embedders.base import Embedder
    from speakerid.faces.face import Detector

# More than this many photos of one person would let a single look-alike fill a probe's top-K.
MAX_PER_PERSON = 4
# Face width (pixels) of the shrunken copy of each cohort photo: a small face in a wide shot.
LOW_RES_FACE = 32


def cohort_images(root: str | Path, max_per_person: int = MAX_PER_PERSON) -> dict[str, list[str]]:
    """``{person: [relative image paths]}`` of a ``<person>/<images>`` tree (first few per person)."""
    root = Path(root)
    if not root.is_dir():
        raise GalleryError(f"{root}: cohort image folder not found")
    people = {}
    for sub in sorted(p for p in root.iterdir() if p.is_dir()):
        images = sorted(f"{sub.name}/{f.name}" for f in sub.iterdir() if f.suffix.lower() in (".jpg", ".jpeg", ".png"))
        if images:
            people[sub.name] = images[:max_per_person]
    if not people:
        raise GalleryError(f"{root}: no <person>/<image> sub-folders with images")
    return people


def build_cohort(
    root: str | Path,
    detector: Detector,
    embedder: Embedder,
    source: str,
    licence: str,
    max_per_person: int = MAX_PER_PERSON,
) -> Cohort:
    """Embed the main face (``main_face``, as ``speakerid verify`` picks it) of every image of
    ``root`` (``<person>/<images>``) twice: as photographed, and with the photo shrunk until the
    face is ``LOW_RES_FACE`` pixels wide, because video faces are often that small and a
    stranger's small face must meet small faces in the cohort. Photos without a face are left out.
    """
    people = cohort_images(root, max_per_person)
    crops, person, photo, photos = [], [], [], 0
    for index, images in enumerate(people.values()):
        for rel in images:
            image = load_rgb(Path(root) / rel)
            face = main_face(detect_downscaled(detector, image[None], DETECT_MAX_SIDE)[0], *image.shape[:2])
            if face is None:
                continue
            copies = [embedder.crop(image, face)]
            scale = LOW_RES_FACE / max(float(face.box[2] - face.box[0]), 1.0)
            if scale < 1:
                small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
                copies.append(embedder.crop(small, Face(face.box * scale, face.score, face.landmarks * scale)))
            crops += copies
            person += [index] * len(copies)
            photo += [photos] * len(copies)
            photos += 1
    if len(crops) < 2:
        raise GalleryError(f"{root}: faces found in fewer than 2 photos: no cohort")
    emb = np.concatenate([embedder.embed(np.stack(crops[i : i + 256])) for i in range(0, len(crops), 256)])
    return Cohort(
        embedder.name,
        embedder.version,
        emb.astype(np.float32),
        np.array(person, np.int64),
        np.array(photo, np.int64),
        list(people),
        source,
        licence,
    )
