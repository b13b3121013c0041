"""Labelled face crops for training: from a ``<person>/<images>`` folder tree, cached per image.

Each photo gives one aligned crop (the embedder's own ``crop``) of its central face. When the
detector finds nothing (tightly cropped LFW photos, grey sitcom crops) the centre of the photo
is used instead and counted, so a training run never silently drops people.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from speakerid.cache import atomic_write_bytes, cache_dir
from speakerid.errors import GalleryError
from speakerid.io.images import fit_within, load_rgb, person_folders

if TYPE_CHECKING:
    from speakerid.faces.embedders.base import Embedder
    from speakerid.faces.face import Detector, Face

MAX_SIDE = 512  # big photos are shrunk before detection: faces there are large anyway
DETECT_BATCH = 16
CENTRE_FRACTION = 0.45  # side of the fallback face box, as a fraction of the photo's short side


@dataclass
class FaceSet:
    """Aligned face crops with identity labels and where each came from."""

    crops: np.ndarray  # (N,S,S,3) uint8
    labels: np.ndarray  # (N,) int64 index into classes
    classes: list[str]
    sources: list[str]  # source image path (or FiftyOne reference) per crop
    boxes: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), np.float32))  # face box in the source
    detected: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))  # False: centre fallback

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, idx: np.ndarray) -> FaceSet:
        """The faces at ``idx`` (classes unchanged)."""
        idx = np.asarray(idx, np.int64)
        return FaceSet(
            self.crops[idx],
            self.labels[idx],
            list(self.classes),
            [self.sources[i] for i in idx],
            self.boxes[idx],
            self.detected[idx],
        )

    def counts(self) -> dict[str, int]:
        """Faces per identity."""
        return {c: int((self.labels == i).sum()) for i, c in enumerate(self.classes)}


def _cache_file(path: Path, embedder: Embedder, detector: Detector) -> Path:
    st = path.stat()
    ident = [str(path.resolve()), st.st_size, st.st_mtime_ns, embedder.name, embedder.version, embedder.input_size]
    ident += [detector.min_face_size, detector.min_score, MAX_SIDE, CENTRE_FRACTION, "main_face"]
    return cache_dir("train", "crops") / f"{hashlib.sha256(json.dumps(ident).encode()).hexdigest()[:24]}.npz"


def _crop(
    small: np.ndarray, scale: float, faces: list[Face], embedder: Embedder
) -> tuple[np.ndarray, np.ndarray, bool]:
    from speakerid.faces.detect import MTCNN_LAYOUT, centre_face, main_face

    h, w = small.shape[:2]
    face = main_face(faces, h, w)
    detected = face is not None
    face = face or centre_face(h, w, CENTRE_FRACTION, MTCNN_LAYOUT)
    return embedder.crop(small, face), (face.box / scale).astype(np.float32), detected


def face_crops(
    paths: list[Path], detector: Detector, embedder: Embedder, on_image: Callable[[int], None] | None = None
) -> list[tuple[np.ndarray, np.ndarray, bool]]:
    """(aligned crop, face box in photo pixels, detected?) of each photo's central face.

    Results are memoised per file in the speakerid cache (npz, no pickle); photos still to do
    are detected in batches of equal size (LFW-style folders are all 150x150).
    """
    from speakerid.faces.photos import detect_photos

    out: dict[int, tuple[np.ndarray, np.ndarray, bool]] = {}
    todo: list[tuple[int, np.ndarray, float]] = []
    for i, path in enumerate(paths):
        file = _cache_file(path, embedder, detector)
        if file.exists():
            with np.load(file, allow_pickle=False) as z:
                out[i] = (z["crop"], z["box"], bool(z["detected"]))
            if on_image:
                on_image(1)
            continue
        todo.append((i, *fit_within(load_rgb(path), MAX_SIDE)))
    for indices, found in detect_photos(detector, [small for _, small, _ in todo], DETECT_BATCH):
        for k, faces in zip(indices, found):
            i, small, scale = todo[k]
            out[i] = _crop(small, scale, faces, embedder)
            buf = io.BytesIO()
            np.savez(buf, crop=out[i][0], box=out[i][1], detected=np.array(out[i][2]))
            atomic_write_bytes(_cache_file(paths[i], embedder, detector), buf.getvalue())
        if on_image:
            on_image(len(indices))
    return [out[i] for i in range(len(paths))]


def select_people(
    roots: list[Path], min_images: int = 1, max_people: int | None = None, max_images: int | None = None
) -> dict[str, list[Path]]:
    """``{person: images}`` from one or more folder trees, filtered per tree.

    In each tree: people with at least ``min_images`` photos, then the ``max_people`` with the
    most photos (ties by name), each capped to their first ``max_images`` photos by file name.
    """
    people: dict[str, list[Path]] = {}
    for root in roots:
        found = {n: imgs for n, imgs in person_folders(Path(root)).items() if len(imgs) >= min_images}
        if max_people is not None:
            found = {n: found[n] for n in sorted(found, key=lambda n: (-len(found[n]), n))[:max_people]}
        for name, images in found.items():
            people.setdefault(name, []).extend(images[:max_images])
    if len(people) < 2:
        raise GalleryError(f"{', '.join(map(str, roots))}: fewer than 2 people with >= {min_images} images")
    return dict(sorted(people.items()))


def load_face_folders(
    roots: list[Path],
    detector: Detector,
    embedder: Embedder,
    min_images: int = 1,
    max_people: int | None = None,
    max_images: int | None = None,
    on_image: Callable[[int], None] | None = None,
) -> FaceSet:
    """One aligned crop per photo for every selected person; ``on_image(n)`` counts photos done."""
    people = select_people(roots, min_images, max_people, max_images)
    classes = sorted(people)
    paths = [p for name in classes for p in people[name]]
    labels = np.array([i for i, name in enumerate(classes) for _ in people[name]], np.int64)
    done = face_crops(paths, detector, embedder, on_image)
    return FaceSet(
        np.stack([d[0] for d in done]),
        labels,
        classes,
        [str(p) for p in paths],
        np.stack([d[1] for d in done]),
        np.array([d[2] for d in done], bool),
    )


def split_by_image(labels: np.ndarray, val_fraction: float = 0.25, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Train/val indices: each identity's photos shuffled and ``val_fraction`` of them held out.

    Every identity with at least two photos gets at least one val photo and keeps at least one
    for training; an identity with a single photo is training-only.
    """
    rng = np.random.default_rng(seed)
    train, val = [], []
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        n_val = 0 if len(idx) < 2 else min(len(idx) - 1, max(1, round(val_fraction * len(idx))))
        val.extend(idx[:n_val])
        train.extend(idx[n_val:])
    return np.sort(np.array(train, np.int64)), np.sort(np.array(val, np.int64))
