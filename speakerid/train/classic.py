"""Classifiers on face embeddings: linear SVM (reference 000's best) and k-nearest neighbours.

Both are scikit-learn models stored as plain arrays (SVM weights; kNN reference embeddings) so
the file needs no pickle. SVM decision values become probabilities through a softmax whose
temperature is fitted on cross-validated decisions; the open-set threshold is calibrated on the
same cross-validated probabilities (grouped so a photo and its mirror image are never split).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax, softmax
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import LinearSVC

from speakerid.train.metrics import acceptance_threshold
from speakerid.train.specs import KINDS

SVM_C = 1.0
KNN_K = 3


@dataclass
class EmbeddingClassifier:
    """A fitted SVM or kNN over one embedder's embeddings; ``predict_proba`` takes embeddings."""

    kind: str
    classes: list[str]
    embedder: str
    embedder_version: str
    arrays: dict[str, np.ndarray]
    temperature: float = 1.0
    k: int = KNN_K
    threshold: float = 0.0
    input: str = "embedding"
    meta: dict = field(default_factory=dict)  # what the file said (training data, split, scores)
    _knn: KNeighborsClassifier | None = field(default=None, repr=False)

    def decision(self, emb: np.ndarray) -> np.ndarray:
        """SVM scores (N, C) before the softmax (the logits explanations and attacks use)."""
        return np.asarray(emb, np.float32) @ self.arrays["coef"].T + self.arrays["intercept"]

    def predict_proba(self, emb: np.ndarray) -> np.ndarray:
        """(N, C) identity probabilities, columns in ``classes`` order."""
        emb = np.asarray(emb, np.float32)
        if self.kind == "svm":
            return softmax(self.temperature * self.decision(emb), axis=1)
        if self._knn is None:  # refitting a kNN only indexes the stored references
            self._knn = _knn(self.k).fit(self.arrays["refs"], self.arrays["ref_labels"])
        out = np.zeros((len(emb), len(self.classes)), np.float64)
        out[:, self._knn.classes_] = self._knn.predict_proba(emb)
        return out


def _knn(k: int) -> KNeighborsClassifier:
    return KNeighborsClassifier(n_neighbors=k, weights="distance", metric="cosine")


def _svm_arrays(emb: np.ndarray, labels: np.ndarray, n_classes: int) -> dict[str, np.ndarray]:
    """One-vs-rest weights (C, D) and biases (C,), binary problems expanded to two rows."""
    svm = LinearSVC(C=SVM_C).fit(emb, labels)
    coef = np.zeros((n_classes, emb.shape[1]), np.float32)
    bias = np.zeros(n_classes, np.float32)
    if len(svm.classes_) == 2:
        coef[svm.classes_] = np.stack([-svm.coef_[0], svm.coef_[0]])
        bias[svm.classes_] = [-svm.intercept_[0], svm.intercept_[0]]
    else:
        coef[svm.classes_], bias[svm.classes_] = svm.coef_, svm.intercept_
    return {"coef": coef, "intercept": bias}


def _cv_scores(kind: str, emb: np.ndarray, labels: np.ndarray, groups: np.ndarray, n_classes: int) -> np.ndarray | None:
    """Out-of-fold SVM decisions or kNN probabilities (None when a class has a single photo)."""
    per_class = np.array([len(np.unique(groups[labels == c])) for c in np.unique(labels)])
    folds = int(min(5, per_class.min()))
    if folds < 2:
        return None
    out = np.zeros((len(emb), n_classes))
    for tr, te in StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=0).split(emb, labels, groups):
        if kind == "svm":
            a = _svm_arrays(emb[tr], labels[tr], n_classes)
            out[te] = emb[te] @ a["coef"].T + a["intercept"]
        else:
            m = _knn(KNN_K).fit(emb[tr], labels[tr])
            out[np.ix_(te, m.classes_)] = m.predict_proba(emb[te])
    return out


def _temperature(scores: np.ndarray, labels: np.ndarray) -> float:
    """Softmax temperature minimising the negative log-likelihood of held-out decisions."""
    nll = lambda t: -log_softmax(np.exp(t) * scores, axis=1)[np.arange(len(labels)), labels].mean()  # noqa: E731
    return float(np.exp(minimize_scalar(nll, bounds=(-3, 5), method="bounded").x))


def fit_embedding_classifier(
    kind: str, emb: np.ndarray, labels: np.ndarray, groups: np.ndarray, classes: list[str], embedder: tuple[str, str]
) -> EmbeddingClassifier:
    """Fit ``kind`` on embeddings; ``groups`` marks rows from the same photo (e.g. its mirror)."""
    if kind not in KINDS:
        raise ValueError(f"unknown classifier {kind!r}; choose from {', '.join(KINDS)}")
    emb = np.asarray(emb, np.float32)
    n = len(classes)
    cv = _cv_scores(kind, emb, labels, groups, n)
    if kind == "svm":
        clf = EmbeddingClassifier(kind, list(classes), *embedder, arrays=_svm_arrays(emb, labels, n))
        if cv is not None:
            clf.temperature = _temperature(cv, labels)
            cv = softmax(clf.temperature * cv, axis=1)
    else:
        clf = EmbeddingClassifier(
            kind, list(classes), *embedder, arrays={"refs": emb, "ref_labels": labels.astype(np.int64)}
        )
    clf.threshold = acceptance_threshold(cv, labels) if cv is not None else 0.0
    return clf
