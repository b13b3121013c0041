"""Open-set calibration: the threshold that decides ``unknown``, the FAR it implies, confidence.

Two rules. With a cohort of public strangers for the embedder (``CohortCalibration``, the usual
case): scores are S-normalised (``speakerid.identity.snorm``), the threshold names at most
``far`` of ~3,000 strangers (the cohort, each scored against the gallery without its own
identity in the cohort statistics, plus the gallery's held-out photos against the other people),
and a logistic fit on cohort photo pairs plus the gallery's held-out genuine scores gives the
confidence. Built from the gallery when first needed; not stored.

Without one (``Calibration``, stored in the gallery file, and the fallback): each reference image
is held out in turn and scored against every person's centroid built from the *other* images:
its own person gives a genuine score, everyone else an impostor score. The threshold keeps the
impostor acceptance rate at ``far`` (default 0.1 %), judged both empirically and by a normal fit
of the impostor scores (small galleries have few impostor pairs, so their empirical tail is too
thin to trust), and never drops below ``MIN_THRESHOLD``; a logistic fit gives the confidence.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING

import numpy as np

from speakerid.identity.snorm import (
    DEFAULT_TOP_K,
    SNorm,
    centroids,
    cohort_pairs,
    cohort_self_stats,
    snorm_scores,
    top_k_stats,
)

if TYPE_CHECKING:
    from speakerid.identity.cohort import Cohort

DEFAULT_FAR = 1e-3
# Floor for the threshold: low-resolution video faces of strangers reach ~0.35 cosine similarity
# to gallery centroids with the networks we ship (measured on the street-crowd clip).
MIN_THRESHOLD = 0.40


@dataclass
class Calibration:
    """Threshold and similarity->probability map learned from a gallery."""

    threshold: float
    slope: float
    intercept: float
    far: float
    n_genuine: int
    n_impostor: int
    genuine_mean: float | None
    impostor_mean: float
    impostor_max: float

    def scores(self, sims: np.ndarray, emb: np.ndarray) -> np.ndarray:
        """Decision scores: without a cohort, the raw cosine similarities themselves."""
        return sims

    def probability(self, similarity: np.ndarray) -> np.ndarray:
        """P(same person | cosine similarity), from the logistic fit."""
        z = self.slope * np.asarray(similarity, np.float64) + self.intercept
        return 1.0 / (1.0 + np.exp(-z))

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict) -> Calibration:
        return cls(**d)


def _image_key(source: str) -> str:
    """Flipped copies share their original's key so they are held out together."""
    return source.split("#", 1)[0]


def loo_folds(
    embeddings: np.ndarray, person: np.ndarray, sources: list[str]
) -> Iterator[tuple[np.ndarray, int, np.ndarray, np.ndarray]]:
    """Per held-out image: (its unit probe rows, its person, unit centroids of the people that
    still have references, their person indices). Flips are held out with their original but
    only the original is scored (the mirror image adds no independent evidence)."""
    emb = embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)
    keys = np.array([_image_key(s) for s in sources])
    n_people = int(person.max()) + 1 if len(person) else 0
    sums = np.zeros((n_people, emb.shape[1]))
    np.add.at(sums, person, emb)
    counts = np.bincount(person, minlength=n_people).astype(np.float64)
    for key in np.unique(keys):
        rows = keys == key
        p = int(person[rows][0])
        probe = emb[rows & ~np.char.endswith(np.asarray(sources), "#flip")]
        probe = probe if len(probe) else emb[rows]
        cents = sums.copy()
        cnt = counts.copy()
        cents[p] -= emb[rows].sum(0)
        cnt[p] -= rows.sum()
        valid = cnt > 0
        cents = cents[valid] / np.linalg.norm(cents[valid], axis=1, keepdims=True)
        yield probe, p, cents.astype(np.float32), np.flatnonzero(valid)


def loo_scores(embeddings: np.ndarray, person: np.ndarray, sources: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Genuine and impostor centroid similarities with each image held out of its own centroid."""
    genuine, impostor = [], []
    for probe, p, cents, ids in loo_folds(embeddings, person, sources):
        sims = probe @ cents.T
        for j, q in enumerate(ids):
            (genuine if q == p else impostor).extend(sims[:, j].tolist())
    return np.asarray(genuine), np.asarray(impostor)


def calibrate(
    embeddings: np.ndarray, person: np.ndarray, sources: list[str], far: float = DEFAULT_FAR
) -> Calibration | None:
    """Threshold + probability map for this gallery (None for an empty gallery)."""
    if len(embeddings) == 0:
        return None
    genuine, impostor = loo_scores(embeddings, person, sources)
    if len(impostor) == 0:  # a single person: nothing to tell apart, rely on the floor
        impostor = np.array([MIN_THRESHOLD - 0.1])
    z = NormalDist().inv_cdf(1.0 - far)
    thr = max(float(np.quantile(impostor, 1.0 - far)), float(impostor.mean() + z * impostor.std()), MIN_THRESHOLD)
    thr = min(thr, 1.0)  # look-alike references can push the normal fit past any cosine similarity
    slope, intercept = _logistic(genuine, impostor, thr)
    return Calibration(
        threshold=round(thr, 4),
        slope=slope,
        intercept=intercept,
        far=far,
        n_genuine=int(len(genuine)),
        n_impostor=int(len(impostor)),
        genuine_mean=float(genuine.mean()) if len(genuine) else None,
        impostor_mean=float(impostor.mean()),
        impostor_max=float(impostor.max()),
    )


@dataclass
class CohortCalibration:
    """The open-set rule with a cohort: S-norm scores, a threshold set on public strangers.

    Every cohort member is scored as a probe against this gallery (its own identity left out of
    its cohort statistics): ~3,000 strangers, where a gallery of 1-2 photos per person has a few
    dozen impostor scores. The gallery's own held-out photos join them, so a gallery of
    look-alikes raises its own threshold. Not persisted: rebuilt from the gallery and the
    shipped cohort when first needed (well under a second).
    """

    snorm: SNorm
    threshold: float
    far: float  # target: the share of strangers allowed to be named
    strangers: np.ndarray  # best S-norm score of each stranger (cohort + gallery leave-one-out), sorted
    strangers_raw: np.ndarray  # the same strangers' best raw cosine similarity, sorted
    slope: float
    intercept: float
    n_genuine: int
    genuine_mean: float | None
    source: str

    def scores(self, sims: np.ndarray, emb: np.ndarray) -> np.ndarray:
        """Decision scores (S-norm) of raw similarities ``sims`` (N, P) of probes ``emb``."""
        return self.snorm.normalise(sims, emb)

    def probability(self, score: np.ndarray) -> np.ndarray:
        """P(same person | S-norm score), from the logistic fit."""
        return 1.0 / (1.0 + np.exp(-(self.slope * np.asarray(score, np.float64) + self.intercept)))

    def false_accept_rate(self, threshold: float | None = None, raw: bool = False) -> float:
        """Share of strangers named as someone at ``threshold`` (default: this rule's), on the
        S-norm scale or, with ``raw``, for a fixed threshold on cosine similarity."""
        values = self.strangers_raw if raw else self.strangers
        t = self.threshold if threshold is None else threshold
        return float(len(values) - np.searchsorted(values, t, side="left")) / len(values)


def calibrate_with_cohort(
    embeddings: np.ndarray,
    person: np.ndarray,
    sources: list[str],
    cohort: Cohort,
    far: float = DEFAULT_FAR,
    top_k: int = DEFAULT_TOP_K,
) -> CohortCalibration:
    """S-norm rule for this gallery: threshold at ``far`` of strangers, logistic confidence.

    Strangers: every cohort member scored against the gallery (normalised against the cohort
    without its own identity) and every held-out gallery photo against the other people. The
    confidence is fitted on photo pairs inside the cohort (same vs different identity) together
    with the gallery's own held-out genuine scores: the gallery alone, compared photo with
    photo, has only a few genuine scores, and optimistic ones.
    """
    n_people = int(person.max()) + 1
    cents = centroids(embeddings, person, n_people)
    cohort = cohort.excluding(cents, cohort.same_person_similarity)
    snorm = SNorm.fit(cohort.embeddings, cents, top_k)
    mu_c, sd_c = cohort_self_stats(cohort.embeddings, cohort.person, top_k)
    raw = cohort.embeddings @ cents.T
    stranger_z = snorm_scores(raw, mu_c, sd_c, snorm.person_mean, snorm.person_std).max(1)
    genuine, impostor, impostor_raw = _loo_normalised(embeddings, person, sources, snorm)
    strangers = np.sort(np.concatenate([stranger_z, impostor]))
    strangers_raw = np.sort(np.concatenate([raw.max(1), impostor_raw]))
    threshold = _stranger_threshold(strangers, far)
    pair_genuine, pair_impostor = cohort_pairs(cohort.embeddings, cohort.person, cohort.photo, mu_c, sd_c)
    slope, intercept = _logistic(
        np.concatenate([pair_genuine, genuine]), np.concatenate([pair_impostor, impostor]), threshold
    )
    return CohortCalibration(
        snorm=snorm,
        threshold=round(threshold, 4),
        far=far,
        strangers=strangers,
        strangers_raw=strangers_raw,
        slope=slope,
        intercept=intercept,
        n_genuine=len(genuine),
        genuine_mean=float(genuine.mean()) if len(genuine) else None,
        source=cohort.source,
    )


def _loo_normalised(
    embeddings: np.ndarray, person: np.ndarray, sources: list[str], snorm: SNorm
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Leave-one-image-out S-norm scores: genuine (to the own person), and per held-out image
    the best impostor score (to anyone else) in S-norm and raw units."""
    genuine, impostor, impostor_raw = [], [], []
    for probe, p, cents, ids in loo_folds(embeddings, person, sources):
        sims = probe @ cents.T
        own = ids == p
        mean, std = snorm.person_mean[ids].copy(), snorm.person_std[ids].copy()
        if own.any():  # only the held-out person's centroid moved
            mean[own], std[own] = top_k_stats(cents[own] @ snorm.cohort.T, snorm.top_k)
        z = snorm.normalise(sims, probe, person_mean=mean, person_std=std)
        genuine.extend(z[:, own].ravel().tolist())
        if (~own).any():
            impostor.extend(z[:, ~own].max(1).tolist())
            impostor_raw.extend(sims[:, ~own].max(1).tolist())
    return np.asarray(genuine), np.asarray(impostor), np.asarray(impostor_raw)


def _stranger_threshold(strangers: np.ndarray, far: float) -> float:
    """The lowest threshold that names at most ``far`` of the (sorted) strangers."""
    n = len(strangers)
    allowed = int(np.floor(far * n))
    if allowed == 0:
        return float(strangers[-1]) + 1e-3
    return float(strangers[n - allowed - 1] + strangers[n - allowed]) / 2


def _logistic(genuine: np.ndarray, impostor: np.ndarray, threshold: float) -> tuple[float, float]:
    """Slope and intercept of P(same | score), fitted with both classes weighted equally (a
    logistic centred on the threshold when there are too few genuine scores to fit one)."""
    if len(genuine) < 3:
        slope = 4.0 / max(float(np.std(impostor)), 0.05)
        return slope, -slope * threshold
    x = np.concatenate([genuine, impostor]).astype(np.float64)
    y = np.concatenate([np.ones(len(genuine)), np.zeros(len(impostor))])
    weight = np.where(y == 1, 0.5 / len(genuine), 0.5 / len(impostor))
    centre, scale = x.mean(), max(float(x.std()), 1e-6)
    design = np.stack([(x - centre) / scale, np.ones_like(x)], axis=1)
    beta = np.zeros(2)
    for _ in range(50):  # Newton steps on the weighted log-loss, a small ridge keeps it finite
        p = 1.0 / (1.0 + np.exp(-np.clip(design @ beta, -30, 30)))
        grad = design.T @ (weight * (p - y)) + 1e-4 * beta
        hess = (design * (weight * p * (1 - p))[:, None]).T @ design + 1e-4 * np.eye(2)
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    slope = beta[0] / scale
    return float(slope), float(beta[1] - slope * centre)
