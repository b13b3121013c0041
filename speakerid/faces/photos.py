"""Embeddings of photos for verification: each photo's main face (large and central, see
``main_face``), embedded once per run. A photo without a detected face falls back to a centre
crop (LFW-style centred portraits) or is left out, and is counted either way."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from speakerid.errors import SpeakeridError
from speakerid.faces.detect import centre_face, main_face
from speakerid.faces.embedders.base import Embedder
from speakerid.faces.face import Detector, Face
from speakerid.io.images import fit_within, load_rgb

MAX_SIDE = 1280  # larger photos are shrunk before detection: MTCNN's pyramid grows with size


@dataclass
class ImageEmbeddings:
    """Embeddings by image path, and which images needed the fallback or could not be used."""

    vectors: dict[str, np.ndarray] = field(default_factory=dict)
    centre_crops: list[str] = field(default_factory=list)
    no_face: list[str] = field(default_factory=list)
    unreadable: dict[str, str] = field(default_factory=dict)


def detect_photos(
    detector: Detector, images: list[np.ndarray], batch_size: int
) -> Iterator[tuple[list[int], list[list[Face]]]]:
    """Faces of photos of any sizes: one detector call per batch of same-size photos (a batch must
    share one size). Yields (indices into ``images``, faces of each), sizes in first-seen order."""
    by_size: dict[tuple[int, ...], list[int]] = {}
    for i, image in enumerate(images):
        by_size.setdefault(image.shape, []).append(i)
    for group in by_size.values():
        for start in range(0, len(group), batch_size):
            indices = group[start : start + batch_size]
            yield indices, detector.detect(np.stack([images[i] for i in indices]))


def embed_images(
    paths: Iterable[str],
    root: str | Path,
    detector: Detector,
    embedder: Embedder,
    *,
    centre_fallback: bool = True,
    batch_size: int = 32,
    progress: Callable[[int], None] | None = None,
) -> ImageEmbeddings:
    """Embed each image's main face, ``batch_size`` images at a time (detection per size)."""
    paths, result = list(dict.fromkeys(paths)), ImageEmbeddings()
    for start in range(0, len(paths), batch_size):
        images: dict[str, np.ndarray] = {}
        for rel in paths[start : start + batch_size]:
            try:
                images[rel] = fit_within(load_rgb(Path(root) / rel), MAX_SIDE)[0]
            except SpeakeridError as exc:
                result.unreadable[rel] = str(exc)
        rels = list(images)
        crops, names = [], []
        for indices, found in detect_photos(detector, [images[r] for r in rels], batch_size):
            for rel, faces in zip((rels[i] for i in indices), found):
                face = main_face(faces, *images[rel].shape[:2])
                if face is None and centre_fallback:
                    face = centre_face(*images[rel].shape[:2])
                    result.centre_crops.append(rel)
                elif face is None:
                    result.no_face.append(rel)
                    continue
                crops.append(embedder.crop(images[rel], face))
                names.append(rel)
        if crops:
            result.vectors.update(zip(names, embedder.embed(np.stack(crops))))
        if progress:
            progress(len(paths[start : start + batch_size]))
    return result
