"""Adaptive symmetric score normalisation (S-norm), as used in speaker verification.

A probe's cosine score to an enrolled person is compared with the probe's own scores against
a cohort of strangers, and with the person's centroid's scores against the same cohort; only
the ``top_k`` closest cohort members count (the impostors a decision actually competes with):

    z = ((s - mu_probe) / sd_probe + (s - mu_person) / sd_person) / 2

A dim, small or turned-away face is close to many strangers, so a raw 0.35 that would be noise
for a sharp photo can be a clear match for it, and the other way round: one threshold on ``z``
holds across image quality, which one threshold on raw cosine does not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DEFAULT_TOP_K = 100


def top_k_stats(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of each row's ``k`` highest finite entries (-inf marks
    excluded members; ``k`` shrinks to the fewest finite entries of any row)."""
    k = int(max(2, min(k, np.isfinite(scores).sum(1).min(initial=scores.shape[1]))))
    top = -np.partition(-scores, k - 1, axis=1)[:, :k]
    return top.mean(1), np.maximum(top.std(1), 1e-3)


def snorm_scores(
    sims: np.ndarray, mu_e: np.ndarray, sd_e: np.ndarray, mu_p: np.ndarray, sd_p: np.ndarray
) -> np.ndarray:
    """S-norm of (N, P) raw scores from per-probe (N,) and per-person (P,) cohort statistics."""
    return 0.5 * ((sims - mu_e[:, None]) / sd_e[:, None] + (sims - mu_p[None, :]) / sd_p[None, :])


def cohort_self_stats(
    emb: np.ndarray, person: np.ndarray, top_k: int, chunk: int = 512
) -> tuple[np.ndarray, np.ndarray]:
    """Each cohort member's top-K statistics against the cohort without its own identity (the
    member scored as a stranger probe), computed in row chunks: the full (M, M) matrix would
    cost ~40 MB per 3,000 members in every process that decides identities."""
    mean, std = np.empty(len(emb)), np.empty(len(emb))
    for start in range(0, len(emb), chunk):
        rows = slice(start, start + chunk)
        scores = np.where(person[rows, None] == person[None, :], -np.inf, emb[rows] @ emb.T)
        mean[rows], std[rows] = top_k_stats(scores, top_k)
    return mean, std


def cohort_pairs(
    emb: np.ndarray, person: np.ndarray, photo: np.ndarray, mean: np.ndarray, std: np.ndarray, n_impostor: int = 20000
) -> tuple[np.ndarray, np.ndarray]:
    """S-norm scores of photo pairs inside a labelled cohort: every pair of two different photos
    of one identity (genuine) and a fixed random sample of pairs of two identities (impostor);
    ``mean``/``std`` from :func:`cohort_self_stats`."""
    order = np.argsort(person, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(person[order]) != 0])
    same_i, same_j = [], []
    for group in np.split(order, starts[1:]):
        i, j = np.triu_indices(len(group), 1)
        same_i.append(group[i])
        same_j.append(group[j])
    gi, gj = np.concatenate(same_i), np.concatenate(same_j)
    keep = photo[gi] != photo[gj]
    rng = np.random.default_rng(0)
    ii, jj = rng.integers(0, len(emb), (2, 2 * n_impostor))
    other = person[ii] != person[jj]
    ii, jj = ii[other][:n_impostor], jj[other][:n_impostor]

    def z(i: np.ndarray, j: np.ndarray) -> np.ndarray:
        s = np.einsum("nd,nd->n", emb[i], emb[j])
        return 0.5 * ((s - mean[i]) / std[i] + (s - mean[j]) / std[j])

    return z(gi[keep], gj[keep]), z(ii, jj)


def centroids(embeddings: np.ndarray, person: np.ndarray, n_people: int) -> np.ndarray:
    """(n_people, D) unit mean vector of each person's unit references."""
    emb = embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)
    sums = np.zeros((n_people, emb.shape[1]), np.float64)
    np.add.at(sums, person, emb)
    return (sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)).astype(np.float32)


@dataclass
class SNorm:
    """A cohort and the cohort statistics of each enrolled person's centroid."""

    cohort: np.ndarray  # (M, D) unit rows
    person_mean: np.ndarray  # (P,)
    person_std: np.ndarray  # (P,)
    top_k: int = DEFAULT_TOP_K

    @classmethod
    def fit(cls, cohort: np.ndarray, person_centroids: np.ndarray, top_k: int = DEFAULT_TOP_K) -> SNorm:
        mean, std = top_k_stats(np.asarray(person_centroids, np.float32) @ cohort.T, top_k)
        return cls(cohort, mean, std, top_k)

    def probe_stats(self, emb: np.ndarray, exclude: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-K cohort mean/std of each probe; ``exclude`` (N, M) True drops those members
        (a cohort member scored as a probe must not meet itself or its own person)."""
        emb = emb / np.linalg.norm(emb, axis=1, keepdims=True)
        scores = emb @ self.cohort.T
        if exclude is not None:
            scores = np.where(exclude, -np.inf, scores)
        return top_k_stats(scores, self.top_k)

    def normalise(
        self,
        sims: np.ndarray,
        emb: np.ndarray,
        exclude: np.ndarray | None = None,
        person_mean: np.ndarray | None = None,
        person_std: np.ndarray | None = None,
    ) -> np.ndarray:
        """(N, P) S-norm scores of raw similarities ``sims`` (N, P) of probes ``emb`` (N, D).

        ``person_mean``/``person_std`` replace the enrolled people's statistics (leave-one-out
        calibration scores probes against centroids that differ from the stored ones).
        """
        mu_e, sd_e = self.probe_stats(emb, exclude)
        mu_p = self.person_mean if person_mean is None else person_mean
        sd_p = self.person_std if person_std is None else person_std
        return snorm_scores(sims, mu_e, sd_e, mu_p, sd_p)
