"""Evaluate a trained face classifier on labelled faces: closed-set, open-set and verification.

Faces whose identity the classifier never learned count as *unknown* (open-set): they should
fall below the calibrated threshold. Verification scores every pair of faces by the cosine
similarity of the classifier's embeddings (the gallery embedder's for SVM/kNN, the net's own
for trained nets) and reports the ROC curve and its AUC (reference 002).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from speakerid.errors import SpeakeridError
from speakerid.faces.roc import roc
from speakerid.results import UNKNOWN
from speakerid.train.classic import EmbeddingClassifier
from speakerid.train.classifier import NetClassifier
from speakerid.train.data import FaceSet
from speakerid.train.embeddings import embed_crops
from speakerid.train.metrics import closed_set, open_set, pair_scores

if TYPE_CHECKING:
    from speakerid.faces.embedders.base import Embedder


@dataclass
class Evaluation:
    """Predictions and metrics of one classifier on one face set."""

    classes: list[str]
    probs: np.ndarray  # (N, C)
    y_true: np.ndarray  # (N,) classifier class index, -1 for unknown people
    y_pred: np.ndarray  # (N,) classifier class index, -1 below the threshold
    embeddings: np.ndarray  # (N, D)
    roc: tuple[np.ndarray, np.ndarray] | None  # (false positive rate, true positive rate)
    summary: dict

    def predicted_names(self) -> list[str]:
        """Predicted identity per face, ``unknown`` below the threshold."""
        return [self.classes[p] if p >= 0 else UNKNOWN for p in self.y_pred]

    def true_names(self) -> list[str]:
        """True identity per face, ``unknown`` for people the classifier never saw."""
        return [self.classes[t] if t >= 0 else UNKNOWN for t in self.y_true]

    def write_json(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.summary, indent=1))


def held_out(faces: FaceSet, classes: list[str], val_sources: list[str]) -> FaceSet:
    """The faces training never saw: held-out photos of known people and all unknown people."""
    val = set(val_sources)
    keep = [
        i for i, (s, y) in enumerate(zip(faces.sources, faces.labels)) if s in val or faces.classes[y] not in classes
    ]
    return faces.subset(np.array(keep, np.int64))


def predict_crops(clf: EmbeddingClassifier | NetClassifier, crops: np.ndarray, embedder: Embedder | None) -> np.ndarray:
    """(N, C) probabilities of aligned uint8 crops, embedding them first when ``clf`` needs it."""
    return classify_faces(clf, crops, embedder)[0]


def classify_faces(
    clf: EmbeddingClassifier | NetClassifier, crops: np.ndarray, embedder: Embedder | None
) -> tuple[np.ndarray, np.ndarray]:
    """(probabilities, embeddings) of aligned uint8 crops under ``clf``."""
    if clf.input == "embedding":
        if embedder is None or (embedder.name, embedder.version) != (clf.embedder, clf.embedder_version):
            raise SpeakeridError(f"this classifier needs embedder {clf.embedder} {clf.embedder_version}")
        emb = embed_crops(embedder, crops)
        return clf.predict_proba(emb), emb
    return clf.predict_proba(crops), clf.embed(crops)


def verification(emb: np.ndarray, labels: np.ndarray) -> tuple[dict, tuple[np.ndarray, np.ndarray] | None]:
    """ROC AUC, equal error rate and TAR at 1 % FAR over all pairs (None without both pair kinds)."""
    scores, same = pair_scores(emb, labels)
    if same.all() or not same.any():
        return {"pairs": int(len(same)), "auc": None}, None
    curve = roc(scores, same)
    eer, eer_threshold = curve.equal_error()
    return {
        "pairs": int(len(same)),
        "same_pairs": int(same.sum()),
        "auc": curve.auc,
        "eer": eer,
        "eer_threshold": eer_threshold,
        "tar_at_far_1pct": curve.tar_at(0.01),
    }, (curve.fpr, curve.tpr)


def evaluate(clf: EmbeddingClassifier | NetClassifier, faces: FaceSet, embedder: Embedder | None = None) -> Evaluation:
    """All metrics of ``clf`` on ``faces`` (identities outside ``clf.classes`` are unknowns)."""
    index = {c: i for i, c in enumerate(clf.classes)}
    y_true = np.array([index.get(faces.classes[label], -1) for label in faces.labels], np.int64)
    probs, emb = classify_faces(clf, faces.crops, embedder)
    y_pred = np.where(probs.max(1) >= clf.threshold, probs.argmax(1), -1)
    known = y_true >= 0
    ver, roc = verification(emb, np.asarray(faces.labels))
    summary = {
        "faces": int(len(faces)),
        "closed_set": closed_set(y_true[known], probs[known].argmax(1), clf.classes),
        "open_set": open_set(probs, y_true, clf.threshold),
        "verification": ver,
        "detector_fallbacks": int((~faces.detected).sum()),
    }
    return Evaluation(list(clf.classes), probs, y_true, y_pred, emb, roc, summary)
