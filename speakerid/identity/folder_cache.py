"""Folder galleries enrolled once: ``--gallery <folder>`` reuses the enrolment while nothing changed.

Enrolling a folder detects and embeds every photo and calibrates the threshold: on the sample
gallery that is ~0.9 s of a ~3 s ``speakerid annotate`` run, paid again by every command that
names the same folder. The enrolment is kept in the cache as a ``.sid`` (loaded with its checksum
and schema checks, never unpickled) under a key made of the folder, every image's name and
content, the detector and embedder (names, versions, settings) and speakerid's version, so any
change to those enrols again. The photos it rejected are kept beside it and reported again.
``open_gallery`` is where every ``--gallery`` (a ``.sid`` file or such a folder) is opened.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from speakerid import __version__
from speakerid.cache import atomic_write_bytes, cache_dir
from speakerid.errors import GalleryError
from speakerid.identity.enroll import enroll_folder
from speakerid.identity.gallery import Gallery
from speakerid.io.images import person_folders

if TYPE_CHECKING:
    from speakerid.faces.embedders.base import Embedder
    from speakerid.faces.face import Detector

log = logging.getLogger(__name__)


def open_gallery(path: str | Path, detector: Detector, embedder: Embedder) -> Gallery:
    """A ``.sid`` file, or a ``<person>/<images>`` folder enrolled on the fly (once: cached here)."""
    path = Path(path)
    if path.is_dir():
        gallery, rejected = enrol_folder_cached(path, detector, embedder)
        for image, why in rejected:
            log.warning("%s: not enrolled, %s", image, why)
        return gallery
    gallery = Gallery.load(path)
    gallery.check_embedder(embedder.name, embedder.version)
    return gallery


def enrolment_key(folder: Path, detector: Detector, embedder: Embedder) -> str:
    """A digest of everything an enrolment of ``folder`` depends on."""
    h = hashlib.sha256()
    settings = [
        str(folder.resolve()),
        __version__,
        embedder.name,
        embedder.version,
        getattr(detector, "name", type(detector).__name__),
        str(getattr(detector, "min_face_size", "")),
        str(getattr(detector, "min_score", "")),
    ]
    h.update("\0".join(settings).encode())
    for person, images in person_folders(folder).items():
        for image in images:
            h.update(f"\0{person}/{image.name}\0".encode())
            h.update(hashlib.sha256(image.read_bytes()).digest())
    return h.hexdigest()[:32]


def enrol_folder_cached(folder: Path, detector: Detector, embedder: Embedder) -> tuple[Gallery, list[tuple[str, str]]]:
    """The gallery enrolled from ``folder`` and the (image, reason) pairs it rejected; from the
    cache when the same folder was enrolled the same way before."""
    key = enrolment_key(folder, detector, embedder)
    path = cache_dir("galleries", "folders") / f"{key}.sid"
    rejected_path = path.with_suffix(".rejected.json")
    if path.is_file() and rejected_path.is_file():
        try:
            gallery = Gallery.load(path)
            rejected = _rejected(json.loads(rejected_path.read_text()))
            log.debug("%s: enrolment unchanged, reusing %s", folder, path)
            return gallery, rejected
        except (GalleryError, ValueError, TypeError, RecursionError) as exc:  # a damaged cache entry: enrol again
            log.debug("%s: cached enrolment unusable (%s), enrolling again", path, exc)
    gallery, report = enroll_folder(folder, detector, embedder)
    atomic_write_bytes(rejected_path, json.dumps(report.rejected).encode())
    gallery.save(path)
    return gallery, list(report.rejected)


def _rejected(stored: object) -> list[tuple[str, str]]:
    """The cached (image, reason) pairs; ValueError unless that is exactly what was stored."""
    if not isinstance(stored, list) or not all(
        isinstance(r, list) and len(r) == 2 and all(isinstance(v, str) for v in r) for r in stored
    ):
        raise ValueError("rejected.json is not a list of [image, reason] pairs")
    return [(image, reason) for image, reason in stored]
