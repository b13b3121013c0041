"""The speaker gallery: reference embeddings per person, its embedder, its calibrated threshold.

Stored as a ``.sid`` file: a zip holding ``embeddings.safetensors`` (embeddings, person index)
and ``gallery.json`` (names, sources, embedder, calibration). Never pickled.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import load as st_load
from safetensors.numpy import save as st_save

from speakerid.cache import atomic_write_bytes
from speakerid.errors import GalleryError
from speakerid.identity.calibrate import Calibration, calibrate
from speakerid.identity.classify import Match, classify

FORMAT = "speakerid-gallery"
FORMAT_VERSION = 1


@dataclass
class Gallery:
    """Reference face embeddings of known people (several per person, flips included)."""

    embedder: str
    embedder_version: str
    names: list[str] = field(default_factory=list)
    embeddings: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    person: np.ndarray = field(default_factory=lambda: np.zeros((0,), np.int64))
    sources: list[str] = field(default_factory=list)
    calibration: Calibration | None = None
    threshold_override: float | None = None
    classifier: str = "centroid"

    # --- building -------------------------------------------------------------------------
    def add_person(self, name: str, embeddings: np.ndarray, sources: list[str]) -> None:
        """Add (or extend) one person; other people's embeddings are untouched."""
        emb = np.asarray(embeddings, np.float32)
        if emb.ndim != 2 or len(emb) == 0:
            raise GalleryError(f"no embeddings given for {name!r}")
        if self.embeddings.size and emb.shape[1] != self.embeddings.shape[1]:
            raise GalleryError(f"{name!r}: embedding size {emb.shape[1]} != gallery's {self.embeddings.shape[1]}")
        if name not in self.names:
            self.names.append(name)
        idx = self.names.index(name)
        base = self.embeddings if self.embeddings.size else np.zeros((0, emb.shape[1]), np.float32)
        self.embeddings = np.concatenate([base, emb])
        self.person = np.concatenate([self.person, np.full(len(emb), idx, np.int64)])
        self.sources.extend(sources)
        self.calibration = calibrate(self.embeddings, self.person, self.sources)

    def remove_person(self, name: str) -> None:
        """Drop one person and recalibrate."""
        if name not in self.names:
            raise GalleryError(f"{name!r} is not in the gallery")
        idx = self.names.index(name)
        keep = self.person != idx
        self.embeddings = self.embeddings[keep]
        self.sources = [s for s, k in zip(self.sources, keep) if k]
        person = self.person[keep]
        self.person = np.where(person > idx, person - 1, person)
        self.names.pop(idx)
        self.calibration = calibrate(self.embeddings, self.person, self.sources)

    # --- using ----------------------------------------------------------------------------
    @property
    def threshold(self) -> float:
        """Similarity below which a face is ``unknown``: the override, else the calibrated one."""
        if self.threshold_override is not None:
            return self.threshold_override
        if self.calibration is None:
            raise GalleryError("gallery is empty: enroll at least one person")
        return self.calibration.threshold

    def counts(self) -> dict[str, int]:
        """Reference images per person (flipped copies not counted)."""
        out = {n: 0 for n in self.names}
        for p, s in zip(self.person, self.sources):
            if not s.endswith("#flip"):
                out[self.names[p]] += 1
        return out

    def classify(self, embeddings: np.ndarray, method: str | None = None, threshold: float | None = None) -> list[Match]:
        """Best match per embedding, ``unknown`` below ``threshold`` (default: the gallery's)."""
        if not self.names:
            raise GalleryError("gallery is empty: enroll at least one person")
        return classify(
            np.asarray(embeddings, np.float32),
            self.embeddings,
            self.person,
            self.names,
            self.threshold if threshold is None else threshold,
            self.calibration,
            method or self.classifier,
        )

    def check_embedder(self, name: str, version: str) -> None:
        """Refuse to compare embeddings from different networks."""
        if (name, version) != (self.embedder, self.embedder_version):
            raise GalleryError(
                f"gallery was made with embedder {self.embedder} {self.embedder_version}, "
                f"not {name} {version}: re-enroll or choose --embedder {self.embedder}"
            )

    def fingerprint(self) -> str:
        """Short content hash: identifies this exact gallery in run settings."""
        import hashlib

        h = hashlib.sha256(self.embeddings.tobytes())
        h.update(json.dumps([self.names, self.embedder, self.embedder_version, self.threshold]).encode())
        return h.hexdigest()[:16]

    # --- storage --------------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        """Serialise to the ``.sid`` zip format."""
        meta: dict[str, Any] = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "embedder": self.embedder,
            "embedder_version": self.embedder_version,
            "names": self.names,
            "sources": self.sources,
            "classifier": self.classifier,
            "threshold_override": self.threshold_override,
            "calibration": self.calibration.to_json() if self.calibration else None,
        }
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("gallery.json", json.dumps(meta, indent=1))
            zf.writestr(
                "embeddings.safetensors",
                st_save({"embeddings": np.ascontiguousarray(self.embeddings), "person": self.person}),
            )
        return buf.getvalue()

    def save(self, path: str | Path) -> None:
        """Atomic write: an interrupted save never leaves a broken gallery behind."""
        atomic_write_bytes(path, self.to_bytes())

    @classmethod
    def load(cls, path: str | Path) -> "Gallery":
        """Read a ``.sid`` file; one-line GalleryError naming the file if it is not one."""
        path = Path(path)
        if not path.is_file():
            raise GalleryError(f"{path}: gallery file not found")
        try:
            with zipfile.ZipFile(path) as zf:
                meta = json.loads(zf.read("gallery.json"))
                arrays = st_load(zf.read("embeddings.safetensors"))
        except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
            raise GalleryError(f"{path}: not a speakerid gallery ({exc.__class__.__name__})") from None
        if meta.get("format") != FORMAT or meta.get("format_version", 99) > FORMAT_VERSION:
            raise GalleryError(f"{path}: unsupported gallery format {meta.get('format')!r} v{meta.get('format_version')}")
        cal = meta.get("calibration")
        return cls(
            embedder=meta["embedder"],
            embedder_version=meta["embedder_version"],
            names=list(meta["names"]),
            embeddings=arrays["embeddings"].astype(np.float32),
            person=arrays["person"].astype(np.int64),
            sources=list(meta["sources"]),
            calibration=Calibration.from_json(cal) if cal else None,
            threshold_override=meta.get("threshold_override"),
            classifier=meta.get("classifier", "centroid"),
        )
