"""Embeddings of face crops with the gallery's embedder, memoised in the speakerid cache."""

from __future__ import annotations

import hashlib
import io
from typing import TYPE_CHECKING

import numpy as np

from speakerid.cache import atomic_write_bytes, cache_dir

if TYPE_CHECKING:
    from speakerid.faces.embedders.base import Embedder

BATCH = 32


def embed_crops(embedder: Embedder, crops: np.ndarray, cache: bool = True) -> np.ndarray:
    """(N, dim) L2-normalised embeddings of (N,S,S,3) uint8 crops; identical inputs hit the cache."""
    if len(crops) == 0:
        return np.zeros((0, embedder.dim), np.float32)
    key = hashlib.sha256(crops.tobytes() + f"{crops.shape}|{embedder.name}|{embedder.version}".encode()).hexdigest()[
        :24
    ]
    file = cache_dir("train", "embeddings") / f"{key}.npy"
    if cache and file.exists():
        return np.load(file, allow_pickle=False)
    emb = np.concatenate([embedder.embed(crops[i : i + BATCH]) for i in range(0, len(crops), BATCH)]).astype(np.float32)
    if cache:
        buf = io.BytesIO()
        np.save(buf, emb, allow_pickle=False)
        atomic_write_bytes(file, buf.getvalue())
    return emb


def mirrored(crops: np.ndarray) -> np.ndarray:
    """Left-right mirror images (the augmentation every model here trains with)."""
    return np.ascontiguousarray(crops[:, :, ::-1])
