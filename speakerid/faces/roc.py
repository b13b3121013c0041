"""Verification figures of same/different-person scores: ROC AUC, best accuracy, TAR at a FAR,
equal error rate. One implementation for ``speakerid verify`` and for face-classifier evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.metrics import roc_auc_score, roc_curve

from speakerid.errors import SpeakeridError


@dataclass(frozen=True)
class Roc:
    """The ROC curve of ``scores`` (higher = more alike) against same-person ``labels``."""

    fpr: np.ndarray
    tpr: np.ndarray
    thresholds: np.ndarray
    auc: float
    positives: int
    negatives: int

    def tar_at(self, far: float) -> float:
        """True-accept rate at the largest measured false-accept rate not above ``far`` (with N
        different-person pairs, FAR is resolved only to 1/N)."""
        return float(self.tpr[self.fpr <= far].max())

    def best_accuracy(self) -> tuple[float, float]:
        """(accuracy, threshold) of the best threshold (score >= threshold means same)."""
        accuracy = (self.tpr * self.positives + (1 - self.fpr) * self.negatives) / (self.positives + self.negatives)
        best = int(np.argmax(accuracy))
        return float(accuracy[best]), float(self.thresholds[best])

    def equal_error(self) -> tuple[float, float]:
        """(equal error rate, its threshold): where false accepts and false rejects meet."""
        i = int(np.argmin(np.abs(self.fpr - (1 - self.tpr))))
        return float((self.fpr[i] + 1 - self.tpr[i]) / 2), float(self.thresholds[i])


def roc(scores: np.ndarray, labels: np.ndarray) -> Roc:
    """ROC of scores against 1 (same person) / 0 (different); both kinds must be present."""
    scores, labels = np.asarray(scores, np.float64), np.asarray(labels, np.int64)
    if len(set(labels.tolist())) < 2:
        raise SpeakeridError("metrics need both same-person (1) and different-person (0) pairs")
    fpr, tpr, thresholds = roc_curve(labels, scores)
    return Roc(fpr, tpr, thresholds, float(roc_auc_score(labels, scores)), int(labels.sum()), int((labels == 0).sum()))


@dataclass(frozen=True)
class Metrics:
    """Verification quality over labelled, scored pairs."""

    pairs: int
    auc: float
    best_accuracy: float
    best_threshold: float
    far: float
    tar: float
    negatives: int


def verification_metrics(scores: np.ndarray, labels: np.ndarray, far: float = 1e-3) -> Metrics:
    """ROC AUC, the best accuracy over thresholds (score >= t means same) and TAR at ``far``."""
    curve = roc(scores, labels)
    accuracy, threshold = curve.best_accuracy()
    return Metrics(
        pairs=curve.positives + curve.negatives,
        auc=curve.auc,
        best_accuracy=accuracy,
        best_threshold=threshold,
        far=far,
        tar=curve.tar_at(far),
        negatives=curve.negatives,
    )
