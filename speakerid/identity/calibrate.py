"""Open-set calibration from the gallery itself (leave-one-image-out genuine vs impostor scores).

Each reference image is held out in turn and scored against every person's centroid built from
the *other* images: its own person gives a genuine score, everyone else an impostor score. The
``unknown`` threshold keeps the impostor acceptance rate at ``far`` (default 0.1 %), judged both
empirically and by a normal fit of the impostor scores (small galleries have few impostor pairs,
so their empirical tail is too thin to trust), and never drops below ``MIN_THRESHOLD``. A 1-D
logistic fit turns similarity into a probability that is reported as the confidence of a match.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

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

    def probability(self, similarity: np.ndarray) -> np.ndarray:
        """P(same person | cosine similarity), from the logistic fit."""
        z = self.slope * np.asarray(similarity, np.float64) + self.intercept
        return 1.0 / (1.0 + np.exp(-z))

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict) -> "Calibration":
        return cls(**d)


def _image_key(source: str) -> str:
    """Flipped copies share their original's key so they are held out together."""
    return source.split("#", 1)[0]


def loo_scores(embeddings: np.ndarray, person: np.ndarray, sources: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Genuine and impostor centroid similarities with each image held out of its own centroid."""
    emb = embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)
    keys = np.array([_image_key(s) for s in sources])
    n_people = int(person.max()) + 1 if len(person) else 0
    sums = np.zeros((n_people, emb.shape[1]))
    np.add.at(sums, person, emb)
    counts = np.bincount(person, minlength=n_people).astype(np.float64)
    genuine, impostor = [], []
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
        sims = probe @ cents.T
        ids = np.flatnonzero(valid)
        for j, q in enumerate(ids):
            (genuine if q == p else impostor).extend(sims[:, j].tolist())
    return np.asarray(genuine), np.asarray(impostor)


def calibrate(embeddings: np.ndarray, person: np.ndarray, sources: list[str], far: float = DEFAULT_FAR) -> Calibration | None:
    """Threshold + probability map for this gallery (None for an empty gallery)."""
    if len(embeddings) == 0:
        return None
    genuine, impostor = loo_scores(embeddings, person, sources)
    if len(impostor) == 0:  # a single person: nothing to tell apart, rely on the floor
        impostor = np.array([MIN_THRESHOLD - 0.1])
    from scipy.stats import norm

    z = float(norm.ppf(1.0 - far))
    thr = max(float(np.quantile(impostor, 1.0 - far)), float(impostor.mean() + z * impostor.std()), MIN_THRESHOLD)
    if len(genuine) >= 3:
        from sklearn.linear_model import LogisticRegression

        x = np.concatenate([genuine, impostor])[:, None]
        y = np.concatenate([np.ones(len(genuine)), np.zeros(len(impostor))])
        lr = LogisticRegression(class_weight="balanced", C=100.0).fit(x, y)
        slope, intercept = float(lr.coef_[0, 0]), float(lr.intercept_[0])
    else:  # too few genuine pairs to fit: a logistic centred on the threshold
        slope = 4.0 / max(float(np.std(impostor)), 0.05)
        intercept = -slope * thr
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
