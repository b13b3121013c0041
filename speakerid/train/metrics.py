"""Closed-set, open-set and verification metrics of a face classifier (numbers only, no I/O)."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

ACCEPT_KNOWN = 0.95  # the calibrated threshold accepts this share of correctly named known faces


def acceptance_threshold(probs: np.ndarray, labels: np.ndarray, keep: float = ACCEPT_KNOWN) -> float:
    """Confidence below which a face is called unknown (reference 000's junk-class threshold).

    Chosen on held-out known faces: the ``1 - keep`` quantile of the winning probability of the
    correctly classified ones, so ``keep`` of them stay named. Needs no unknown faces to fit.
    """
    if len(labels) == 0:
        return 0.0
    correct = probs.argmax(1) == labels
    top = probs.max(1)[correct]
    return float(np.quantile(top, 1.0 - keep)) if len(top) else float(1.0 / probs.shape[1])


def closed_set(y_true: np.ndarray, y_pred: np.ndarray, classes: list[str]) -> dict:
    """Accuracy, per-class precision/recall/F1/support and the confusion matrix (rows = truth)."""
    ids = list(range(len(classes)))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=ids, zero_division=0)
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)) if len(y_true) else 0.0,
        "chance": float(np.bincount(y_true, minlength=len(classes)).max() / len(y_true)) if len(y_true) else 0.0,
        "per_class": {
            c: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
            for i, c in enumerate(classes)
        },
        "confusion": confusion_matrix(y_true, y_pred, labels=ids).tolist(),
    }


def open_set(probs: np.ndarray, y_true: np.ndarray, threshold: float) -> dict:
    """Open-set rates at ``threshold``; ``y_true`` is -1 for faces of people the model never saw.

    * ``detect_identify_rate``: known faces accepted *and* named correctly;
    * ``false_reject_rate``: known faces called unknown;
    * ``misidentify_rate``: known faces accepted under another name;
    * ``false_accept_rate``: unknown faces accepted as somebody.
    """
    top, pred = probs.max(1), probs.argmax(1)
    accept = top >= threshold
    known = y_true >= 0
    rate = lambda m, n: float(m.sum() / n.sum()) if n.sum() else None  # noqa: E731
    return {
        "threshold": float(threshold),
        "n_known": int(known.sum()),
        "n_unknown": int((~known).sum()),
        "detect_identify_rate": rate(known & accept & (pred == y_true), known),
        "false_reject_rate": rate(known & ~accept, known),
        "misidentify_rate": rate(known & accept & (pred != y_true), known),
        "false_accept_rate": rate(~known & accept, ~known),
    }


def pair_scores(emb: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cosine similarity and same-person flag of every unordered pair of faces (the trial list)."""
    e = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    i, j = np.triu_indices(len(e), k=1)
    return np.einsum("nd,nd->n", e[i], e[j]), labels[i] == labels[j]
