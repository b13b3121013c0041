"""Small synthetic galleries for tests of the gallery file format (content does not matter there)."""

from __future__ import annotations

import numpy as np

from speakerid.identity.gallery import Gallery


def make_gallery(
    dim: int = 512,
    people: int = 3,
    per: int = 4,
    seed: int = 0,
    embedder: str = "facenet",
    version: str = "test-version",
) -> Gallery:
    """``people`` persons with ``per`` unit vectors each around a random centre, calibrated."""
    rng = np.random.default_rng(seed)
    g = Gallery(embedder=embedder, embedder_version=version)
    for p in range(people):
        emb = rng.normal(size=dim) + 0.5 * rng.normal(size=(per, dim))
        emb /= np.linalg.norm(emb, axis=1, keepdims=True)
        g.add_person(f"person{p}", emb.astype(np.float32), [f"person{p}/{i}.jpg" for i in range(per)])
    return g
