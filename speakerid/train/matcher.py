"""A classifier trained by ``speakerid train-faces`` used in place of the gallery's matcher
(the :class:`~speakerid.identity.classify.Matcher` the track decision takes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from speakerid.errors import GalleryError
from speakerid.identity.classify import Match
from speakerid.results import UNKNOWN


class TrainedMatcher:
    """Open-set matching by a trained classifier: its class probabilities play the role of
    similarities, and its own held-out threshold decides ``unknown``."""

    def __init__(self, path: str | Path, embedder: Any) -> None:
        from speakerid.train.classifier import load_classifier

        self.clf = load_classifier(path)
        if (self.clf.embedder, self.clf.embedder_version) != (embedder.name, embedder.version):
            raise GalleryError(
                f"{path}: trained on {self.clf.embedder} {self.clf.embedder_version}, "
                f"not {embedder.name} {embedder.version}: choose --embedder {self.clf.embedder}"
            )
        self.names: list[str] = list(self.clf.classes)
        self.threshold = float(self.clf.threshold)

    def match(self, probs: np.ndarray) -> Match:
        """The open-set decision on one face's (or one track's averaged) class probabilities."""
        best = int(probs.argmax())
        known = probs[best] >= self.threshold
        return Match(
            self.names[best] if known else UNKNOWN,
            self.names[best],
            float(probs[best]),
            float(probs[best] if known else 1.0 - probs[best]),
            probs,
        )

    def classify(self, embeddings: np.ndarray, crops: np.ndarray) -> list[Match]:
        """Best class per face, ``unknown`` below the classifier's threshold."""
        if len(embeddings) == 0:
            return []
        probs = self.clf.predict_proba(embeddings if self.clf.input == "embedding" else crops)
        out = [self.match(row) for row in np.asarray(probs, np.float32)]
        return out
