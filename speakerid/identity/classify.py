"""Open-set matching of face embeddings against a gallery (centroid, nearest neighbour, SVM)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from speakerid.defaults import CLASSIFIERS
from speakerid.identity.calibrate import Calibration, CohortCalibration
from speakerid.lru import LRU
from speakerid.results import UNKNOWN

METHODS = CLASSIFIERS


@dataclass
class Match:
    """Best gallery match of one face; ``identity`` is ``unknown`` below the threshold.

    ``similarity`` is the raw cosine similarity to ``best``; ``confidence`` the calibrated
    probability that the decision (named or ``unknown``) is right.
    """

    identity: str
    best: str
    similarity: float
    confidence: float
    scores: np.ndarray  # similarity to every person, gallery order
    score: float | None = None  # the best person's S-norm score, when a cohort normalises scores


class Matcher(Protocol):
    """A trained classifier used in place of the gallery (``speakerid.train.matcher``): its class
    probabilities play the similarities' role and its own ``threshold`` decides ``unknown``."""

    threshold: float

    def classify(self, embeddings: np.ndarray, crops: np.ndarray) -> list[Match]:
        """Best class per face (``unknown`` below the threshold)."""
        ...

    def match(self, probs: np.ndarray) -> Match:
        """The open-set decision on one track's averaged class probabilities."""
        ...


def person_similarities(
    emb: np.ndarray, refs: np.ndarray, person: np.ndarray, n_people: int, method: str
) -> np.ndarray:
    """(N, n_people) cosine similarity to each person: to its centroid or its nearest reference."""
    emb = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    refs = refs / np.linalg.norm(refs, axis=1, keepdims=True)
    if method == "knn":
        sims = emb @ refs.T
        out = np.full((len(emb), n_people), -1.0, np.float32)
        for p in range(n_people):
            out[:, p] = sims[:, person == p].max(1)
        return out
    cents = np.zeros((n_people, refs.shape[1]), np.float32)
    np.add.at(cents, person, refs)
    cents /= np.linalg.norm(cents, axis=1, keepdims=True)
    return emb @ cents.T


_SVM_CACHE: LRU[str, object] = LRU(maxsize=8)  # fits per reference set: a process uses a few galleries


def _svm_choice(emb: np.ndarray, refs: np.ndarray, person: np.ndarray) -> np.ndarray:
    """Person index chosen by a linear SVM trained on the references (needs >= 2 people).

    The fit is cached per reference set: the pipeline classifies batch after batch against the
    same gallery, and refitting for every batch was work repeated on the hot path.
    """
    from sklearn.svm import LinearSVC

    if len(np.unique(person)) < 2:
        return np.zeros(len(emb), np.int64)
    key = hashlib.sha1(refs.tobytes() + person.tobytes()).hexdigest()
    svm = _SVM_CACHE.get_or_make(key, lambda: LinearSVC(C=1.0).fit(refs, person))
    return svm.predict(emb).astype(np.int64)


def classify(
    emb: np.ndarray,
    refs: np.ndarray,
    person: np.ndarray,
    names: list[str],
    rule: Calibration | CohortCalibration,
    method: str = "centroid",
    threshold: float | None = None,
) -> list[Match]:
    """Name each embedding, or ``unknown`` when ``rule`` rejects its best match.

    ``rule`` scores the best person's similarity (S-norm against a cohort, or the raw cosine)
    and compares it with its calibrated threshold; a fixed ``threshold`` applies to the raw
    cosine similarity instead. Every method shares this one open-set rule; ``svm`` only changes
    *who* wins.
    """
    if method not in METHODS:
        raise ValueError(f"unknown classifier {method!r}; choose from {', '.join(METHODS)}")
    if len(emb) == 0:
        return []
    sims = person_similarities(emb, refs, person, len(names), "knn" if method == "knn" else "centroid")
    best = _svm_choice(emb, refs, person) if method == "svm" else sims.argmax(1)
    rows = np.arange(len(emb))
    best_sim = sims[rows, best]
    best_score = rule.scores(sims, emb)[rows, best]
    known = best_score >= rule.threshold if threshold is None else best_sim >= threshold
    prob = rule.probability(best_score)
    normalised = isinstance(rule, CohortCalibration)
    return [
        Match(
            identity=names[best[i]] if known[i] else UNKNOWN,
            best=names[best[i]],
            similarity=float(best_sim[i]),
            confidence=float(prob[i] if known[i] else 1.0 - prob[i]),
            scores=sims[i],
            score=float(best_score[i]) if normalised else None,
        )
        for i in rows
    ]
