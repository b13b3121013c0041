"""The speaker gallery: reference embeddings per person, its embedder, its calibrated threshold.

Stored as a ``.sid`` file: a zip holding ``embeddings.safetensors`` (embeddings, person index),
``gallery.json`` (names, sources, embedder, calibration) and the people's face thumbnails; see
``gallery_file``. Never pickled.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import speakerid.identity.gallery_file as gallery_file
from speakerid.cache import atomic_write_bytes
from speakerid.errors import GalleryError
from speakerid.identity.calibrate import DEFAULT_FAR, Calibration, CohortCalibration, calibrate, calibrate_with_cohort
from speakerid.identity.classify import Match, classify
from speakerid.identity.cohort import Cohort, compatible_cohort, shipped_cohort

SHIPPED = "shipped"  # Gallery._cohort: use the cohort shipped for the gallery's embedder
THUMB_PX = 64  # side of the people's thumbnails


def as_thumbnail(image: np.ndarray) -> np.ndarray:
    """A face image (H,W,3 uint8 RGB, roughly square) as a gallery thumbnail (THUMB_PX square)."""
    from PIL import Image

    return np.asarray(
        Image.fromarray(np.ascontiguousarray(image, np.uint8)).resize((THUMB_PX, THUMB_PX), Image.BILINEAR)
    )


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
    # One small face crop per person (name -> (S,S,3) uint8 RGB), what the App shows: a gallery
    # must show its people wherever it is opened, not depend on photos at enrolment paths.
    thumbnails: dict[str, np.ndarray] = field(default_factory=dict, compare=False)
    origin: str = field(default="", compare=False, repr=False)  # the file it was loaded from, for errors
    # Not stored: the cohort that normalises scores (default: the one shipped for this embedder)
    # and the open-set rule built from it, rebuilt whenever the references change.
    _cohort: Cohort | None | str = field(default=SHIPPED, init=False, repr=False, compare=False)
    _rule: Calibration | CohortCalibration | None = field(default=None, init=False, repr=False, compare=False)

    # --- building -------------------------------------------------------------------------
    def add_person(
        self,
        name: str,
        embeddings: np.ndarray,
        sources: list[str],
        recalibrate: bool = True,
        thumbnail: np.ndarray | None = None,
    ) -> None:
        """Add (or extend) one person; other people's embeddings are untouched. Enrolling many
        people passes ``recalibrate=False`` and calls :meth:`recalibrate` once at the end.
        ``thumbnail`` (S,S,3 uint8) becomes their picture unless they already have one."""
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
        if thumbnail is not None:
            self.thumbnails.setdefault(name, as_thumbnail(thumbnail))
        if recalibrate:
            self.recalibrate()

    def remove_person(self, name: str, recalibrate: bool = True) -> None:
        """Drop one person (and recalibrate, unless told not to)."""
        if name not in self.names:
            raise GalleryError(f"{name!r} is not in the gallery")
        idx = self.names.index(name)
        keep = self.person != idx
        self.embeddings = self.embeddings[keep]
        self.sources = [s for s, k in zip(self.sources, keep) if k]
        person = self.person[keep]
        self.person = np.where(person > idx, person - 1, person)
        self.names.pop(idx)
        self.thumbnails.pop(name, None)
        if recalibrate:
            self.recalibrate()

    def recalibrate(self, far: float | None = None) -> None:
        """Fit the open-set rule to the current references, for a target false-accept rate
        ``far`` (default: the gallery's current target, else ``DEFAULT_FAR``)."""
        far = far if far is not None else self.calibration.far if self.calibration else DEFAULT_FAR
        self.calibration = calibrate(self.embeddings, self.person, self.sources, far)
        self._rule = None

    def use_cohort(self, cohort: Cohort | None) -> None:
        """Normalise scores against ``cohort`` instead of the shipped one (None: no cohort, the
        gallery's own calibration decides). A cohort of another embedder version is refused."""
        self._cohort = compatible_cohort(cohort, self.embedder, self.embedder_version) if cohort else None
        self._rule = None

    # --- using ----------------------------------------------------------------------------
    @property
    def open_set(self) -> Calibration | CohortCalibration:
        """The rule that decides ``unknown``: S-norm scores against the cohort when there is one
        for this embedder (``CohortCalibration``), else the gallery's own ``Calibration``."""
        if not self.names:
            raise GalleryError("gallery is empty: enroll at least one person")
        if self._rule is None:
            if self.calibration is None:
                self.recalibrate()
            cohort = shipped_cohort(self.embedder, self.embedder_version) if self._cohort == SHIPPED else self._cohort
            self._rule = (
                calibrate_with_cohort(self.embeddings, self.person, self.sources, cohort, self.calibration.far)
                if isinstance(cohort, Cohort)
                else self.calibration
            )
        return self._rule

    @property
    def threshold(self) -> float:
        """Score below which a face is ``unknown``: the override (a cosine similarity), else the
        open-set rule's (an S-norm score with a cohort, a cosine similarity without)."""
        if self.threshold_override is not None:
            return self.threshold_override
        return self.open_set.threshold

    def false_accept_rate(self, threshold: float | None = None) -> float | None:
        """Share of public strangers (the cohort, and the gallery's own held-out photos) that
        would be named as someone: at the gallery's rule, or at a fixed cosine ``threshold``
        (default: the override, if set). None without a cohort: there are no strangers to count."""
        rule = self.open_set
        if not isinstance(rule, CohortCalibration):
            return None
        fixed = self.threshold_override if threshold is None else threshold
        return rule.false_accept_rate() if fixed is None else rule.false_accept_rate(fixed, raw=True)

    def describe_rule(self) -> str:
        """The open-set rule in one line, with the false-accept rate it implies (for reports)."""
        rule, far = self.open_set, self.false_accept_rate()
        strangers = f"; names {far:.2%} of {len(rule.strangers)} public strangers" if far is not None else ""
        if self.threshold_override is not None:
            return f"unknown below cosine similarity {self.threshold_override:.3f} (fixed){strangers}"
        if isinstance(rule, CohortCalibration):
            return (
                f"unknown below S-norm score {rule.threshold:.2f} against {len(rule.snorm.cohort)} cohort faces"
                f"{strangers} (target {rule.far:.2%})"
            )
        return (
            f"unknown below cosine similarity {rule.threshold:.3f}, from {rule.n_genuine} genuine / "
            f"{rule.n_impostor} impostor leave-one-out scores (target FAR {rule.far:g}; no cohort)"
        )

    def counts(self) -> dict[str, int]:
        """Reference images per person (flipped copies not counted)."""
        out = {n: 0 for n in self.names}
        for p, s in zip(self.person, self.sources):
            if not s.endswith("#flip"):
                out[self.names[p]] += 1
        return out

    def classify(
        self, embeddings: np.ndarray, method: str | None = None, threshold: float | None = None
    ) -> list[Match]:
        """Best match per embedding, ``unknown`` when the open-set rule says so, or below a
        fixed cosine ``threshold`` (default: the gallery's override, if any)."""
        return classify(
            np.asarray(embeddings, np.float32),
            self.embeddings,
            self.person,
            self.names,
            self.open_set,
            method or self.classifier,
            self.threshold_override if threshold is None else threshold,
        )

    def check_embedder(self, name: str, version: str | None = None) -> None:
        """Refuse to compare embeddings from different networks (``version`` None: by name only,
        which needs no loaded model)."""
        where = f"{self.origin}: " if self.origin else ""
        if name != self.embedder:
            raise GalleryError(
                f"{where}gallery was made with embedder {self.embedder} {self.embedder_version}, "
                f"not {name}: choose --embedder {self.embedder} or re-enroll"
            )
        if version not in (None, self.embedder_version):
            raise GalleryError(
                f"{where}gallery was made with {self.embedder} {self.embedder_version}; this speakerid's "
                f"{name} is {version}: re-enroll the gallery (speakerid enroll)"
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
            "embedder": self.embedder,
            "embedder_version": self.embedder_version,
            "names": self.names,
            "sources": self.sources,
            "classifier": self.classifier,
            "threshold_override": self.threshold_override,
            "calibration": self.calibration.to_json() if self.calibration else None,
        }
        return gallery_file.pack(meta, self.embeddings, self.person, self.thumbnails)

    def save(self, path: str | Path) -> None:
        """Atomic write: an interrupted save never leaves a broken gallery behind."""
        atomic_write_bytes(path, self.to_bytes())

    @classmethod
    def load(cls, path: str | Path) -> Gallery:
        """Read and fully validate a ``.sid`` file; one-line GalleryError naming the file if it
        is damaged or inconsistent. Loads no model."""
        from speakerid.faces.registry import EMBEDDING_DIMS

        meta, embeddings, person, thumbnails = gallery_file.read(path, EMBEDDING_DIMS)
        cal = meta.get("calibration")
        return cls(
            embedder=meta["embedder"],
            embedder_version=meta["embedder_version"],
            names=list(meta["names"]),
            embeddings=embeddings,
            person=person,
            sources=list(meta["sources"]),
            calibration=Calibration.from_json(cal) if cal else None,
            threshold_override=meta.get("threshold_override"),
            classifier=meta.get("classifier", "centroid"),
            thumbnails=thumbnails,
            origin=str(path),
        )
