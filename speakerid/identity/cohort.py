"""A cohort of impostor faces: public face embeddings that score-normalise open-set decisions.

A raw cosine score means different things for different faces: a dim, small or turned face is
close to *everyone*, a distinctive one to no one. Comparing a score with how the same probe (and
the same enrolled person) scores against a few thousand strangers removes most of that (see
``speakerid.identity.snorm``). The cohort is computed once per embedder from a public face set
(``scripts/build_cohort.py``, LFW by default, with ``speakerid.identity.cohort_build``) and
shipped as ``speakerid/data/cohort-<embedder>.safetensors``: float16 embeddings, an identity and
a photo index per row, and in the metadata the embedder name + version it was made with, the
identities' names, the source and the licence. A cohort made by another embedder version is
refused (the gallery then falls back to its own calibration, with a logged note). This module
only reads and checks cohorts at run time; building one needs enrolment's face finding."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
from safetensors import SafetensorError, safe_open
from safetensors.numpy import save

from speakerid.cache import atomic_write_bytes
from speakerid.errors import GalleryError
from speakerid.faces.registry import EMBEDDERS

log = logging.getLogger(__name__)

FORMAT = "speakerid-cohort"
FORMAT_VERSION = 1
DATA_DIR = Path(__file__).resolve().parents[1] / "data"
# Cohort identities closer than this share of different-person pairs to an enrolled centroid
# are taken to be that person and left out (see ``Cohort.excluding``).
EXCLUDE_FAR = 1e-3


@dataclass
class Cohort:
    """Unit face embeddings of people assumed not enrolled; ``person`` groups one identity's rows."""

    embedder: str
    embedder_version: str
    embeddings: np.ndarray  # (M, D) float32, unit rows
    person: np.ndarray  # (M,) int64 index into ``names``
    photo: np.ndarray  # (M,) int64: rows made from one photo (at several resolutions) share it
    names: list[str]
    source: str
    licence: str

    def __len__(self) -> int:
        return len(self.embeddings)

    def subset(self, keep: np.ndarray) -> Cohort:
        """The members where ``keep`` is True (names kept, so indices stay valid)."""
        return Cohort(
            self.embedder,
            self.embedder_version,
            self.embeddings[keep],
            self.person[keep],
            self.photo[keep],
            self.names,
            self.source,
            self.licence,
        )

    @cached_property
    def same_person_similarity(self) -> float:
        """Cosine similarity that only ``EXCLUDE_FAR`` of different-person cohort pairs reach:
        above it two faces are more likely one person than two (the cohort's own labels say so).
        Computed in row chunks, keeping only the top scores, not the (M, M) matrix."""
        n_pairs = len(self) ** 2 - int((np.bincount(self.person) ** 2).sum())  # ordered, both ways
        keep = max(int(EXCLUDE_FAR * n_pairs), 1)
        top = np.zeros(0, np.float32)
        for start in range(0, len(self), 512):
            rows = slice(start, start + 512)
            scores = (self.embeddings[rows] @ self.embeddings.T)[self.person[rows, None] != self.person[None, :]]
            top = np.concatenate([top, scores])
            if len(top) > keep:
                top = np.partition(top, len(top) - keep)[-keep:]
        return float(top.min()) if len(top) else 1.0

    def excluding(self, centroids: np.ndarray, max_similarity: float) -> Cohort:
        """Without every identity any of whose photos reaches ``max_similarity`` to a centroid.

        An enrolled person who is also in the public set must not act as their own impostor: it
        would inflate their cohort scores and hide them from every normalised decision.
        """
        if len(centroids) == 0:
            return self
        close = (self.embeddings @ np.asarray(centroids, np.float32).T).max(1) >= max_similarity
        return self.subset(~np.isin(self.person, np.unique(self.person[close])))

    def save(self, path: str | Path) -> None:
        """float16 safetensors with the provenance in its metadata (written atomically)."""
        meta = {
            "format": FORMAT,
            "format_version": str(FORMAT_VERSION),
            "embedder": self.embedder,
            "embedder_version": self.embedder_version,
            "names": json.dumps(self.names),
            "source": self.source,
            "licence": self.licence,
        }
        arrays = {
            "embeddings": self.embeddings.astype(np.float16),
            "person": self.person.astype(np.int32),
            "photo": self.photo.astype(np.int32),
        }
        atomic_write_bytes(path, save(arrays, metadata=meta))

    @classmethod
    def load(cls, path: str | Path) -> Cohort:
        """Read and check a cohort file; one-line GalleryError naming the file if it is not one."""
        path = Path(path)
        try:
            with safe_open(str(path), framework="numpy") as fh:
                meta = fh.metadata() or {}
                emb, person, photo = fh.get_tensor("embeddings"), fh.get_tensor("person"), fh.get_tensor("photo")
            names = json.loads(meta["names"])
            if meta["format"] != FORMAT or int(meta["format_version"]) > FORMAT_VERSION:
                raise ValueError(f"format {meta['format']} v{meta['format_version']}")
        except (OSError, SafetensorError, KeyError, ValueError, TypeError) as exc:
            why = (str(exc).strip().splitlines() or [""])[0]
            raise GalleryError(f"{path}: not a readable speakerid cohort ({exc.__class__.__name__}: {why})") from None
        emb = emb.astype(np.float32)
        if (
            emb.ndim != 2
            or len(emb) < 2
            or person.shape != (len(emb),)
            or photo.shape != (len(emb),)
            or not np.isfinite(emb).all()
            or not 0 <= person.min() <= person.max() < len(names)
        ):
            raise GalleryError(
                f"{path}: cohort arrays are inconsistent "
                f"({emb.shape}, {person.shape}, {photo.shape}, {len(names)} names)"
            )
        emb /= np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)  # float16 rounding
        return cls(
            meta["embedder"],
            meta["embedder_version"],
            emb,
            person.astype(np.int64),
            photo.astype(np.int64),
            names,
            meta.get("source", ""),
            meta.get("licence", ""),
        )


def cohort_path(embedder: str) -> Path:
    """Where the shipped cohort of ``embedder`` lives (package data)."""
    entry = EMBEDDERS[embedder].cohort if embedder in EMBEDDERS else None
    return entry.locate() if entry is not None else DATA_DIR / f"cohort-{embedder}.safetensors"


def compatible_cohort(cohort: Cohort, embedder: str, version: str, where: str = "cohort") -> Cohort | None:
    """``cohort`` if it was made by this exact embedder version, else None with a logged note:
    vectors of another network (or crop, or version) are not comparable."""
    if (cohort.embedder, cohort.embedder_version) == (embedder, version):
        return cohort
    log.warning(
        "%s was made with embedder %s %s, not %s %s: using the gallery's own calibration "
        "(rebuild it with python scripts/build_cohort.py --embedder %s)",
        where,
        cohort.embedder,
        cohort.embedder_version,
        embedder,
        version,
        embedder,
    )
    return None


@lru_cache(maxsize=8)
def shipped_cohort(embedder: str, version: str) -> Cohort | None:
    """The shipped cohort for this exact embedder version, or None (logged) when there is none."""
    entry = EMBEDDERS[embedder].cohort if embedder in EMBEDDERS else None
    if entry is None:
        log.info("no score-normalisation cohort for embedder %s: using the gallery's own calibration", embedder)
        return None
    if not entry.available():  # shipped with speakerid, yet gone: say so, never fall back silently
        log.warning(
            "%s: score-normalisation cohort missing (reinstall speakerid): open-set decisions use the "
            "gallery's own calibration",
            entry.locate(),
        )
        return None
    path = entry.path()  # checked against the registry's sha256 (rebuilt cohorts: update speakerid/weights.py)
    return compatible_cohort(Cohort.load(path), embedder, version, str(path))
