"""Text side of the semantic space: label/name texts and a swappable sentence encoder.

Video2Vec maps videos into the space where words live, so the text encoder defines that space;
it sits behind :class:`TextEncoder` so another encoder (e.g. a CLIP text tower) can be swapped in.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Protocol

import numpy as np

from speakerid.errors import ModelUnavailableError
from speakerid.extras import missing_extra
from speakerid.lru import LRU
from speakerid.threads import limited

DEFAULT_TEXT_ENCODER = "all-minilm-l6-v2"


class TextEncoder(Protocol):
    """Maps texts to L2-normalised vectors of a fixed dimension."""

    name: str
    dim: int

    def encode(self, texts: list[str]) -> np.ndarray:
        """(N, dim) float32, unit rows."""
        ...


class SentenceTransformerEncoder:
    """A sentence-transformers model loaded from a local folder (never from the network)."""

    def __init__(self, name: str, folder: str) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer
        except ModuleNotFoundError as exc:  # a lean install: search falls back to names
            hint = missing_extra(exc.name, "search by meaning")
            raise ModelUnavailableError(f"text encoder {name}: {hint}") from None

        self.name = name
        self._model = SentenceTransformer(folder, device="cpu")
        dim_of = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(dim_of())

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        with limited(1):  # short texts: one thread is as fast and immune to CPU contention
            out = self._model.encode(
                list(texts), batch_size=64, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
            )
        return np.asarray(out, dtype=np.float32)


def _minilm() -> TextEncoder:
    from speakerid.weights import MINILM

    return SentenceTransformerEncoder(DEFAULT_TEXT_ENCODER, str(MINILM.path().parent))


_ENCODERS: dict[str, Callable[[], TextEncoder]] = {DEFAULT_TEXT_ENCODER: _minilm}


def register_text_encoder(name: str, factory: Callable[[], TextEncoder]) -> None:
    """Make another encoder selectable by name (checkpoints record the name they were trained with)."""
    _ENCODERS[name] = factory
    get_text_encoder.cache_clear()


@lru_cache(maxsize=4)
def get_text_encoder(name: str = DEFAULT_TEXT_ENCODER) -> TextEncoder:
    """The named encoder, loaded once per process."""
    if name not in _ENCODERS:
        raise ModelUnavailableError(f"unknown text encoder {name!r}; known: {sorted(_ENCODERS)}")
    return _ENCODERS[name]()


# Text vectors remembered per process (speaker names repeat across queries): ~15 MB at most.
_VECTORS: LRU[tuple[str, str], np.ndarray] = LRU(maxsize=10_000)


def encode_cached(encoder: TextEncoder, texts: list[str]) -> np.ndarray:
    """``encoder.encode`` remembering each text's vector: speaker names repeat across queries."""
    distinct = list(dict.fromkeys(texts))
    if not texts or len(distinct) > _VECTORS.maxsize:  # more than the memo holds: encode them all
        return encoder.encode(list(texts))
    vectors = {t: _VECTORS[(encoder.name, t)] for t in distinct if (encoder.name, t) in _VECTORS}
    todo = [t for t in distinct if t not in vectors]
    for text, vec in zip(todo, encoder.encode(todo)):
        vectors[text] = _VECTORS[(encoder.name, text)] = vec
    return np.stack([vectors[t] for t in texts])


def label_text(label: str) -> str:
    """Label or speaker name as words: ``lin_manuel_miranda`` -> ``lin manuel miranda``."""
    return re.sub(r"\s+", " ", re.sub(r"[_\-./]+", " ", str(label))).strip().lower()
