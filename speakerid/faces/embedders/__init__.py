"""Face embedders by name: ``get_embedder("facenet" | "facenet-vggface2" | "sface")``."""

from __future__ import annotations

from speakerid.defaults import DEFAULT_EMBEDDER
from speakerid.errors import ModelUnavailableError, SpeakeridError
from speakerid.faces.embedders.base import Embedder
from speakerid.faces.registry import EMBEDDERS


def get_embedder(name: str = DEFAULT_EMBEDDER, device: str = "cpu") -> Embedder:
    """A ready embedder; ModelUnavailableError when its weights can't be had."""
    spec = EMBEDDERS.get(name)
    if spec is None:
        raise SpeakeridError(f"unknown embedder {name!r}; choose one of {', '.join(EMBEDDERS)}")
    embedder = spec.load(device)
    if embedder.dim != spec.dim:
        raise SpeakeridError(f"{name}: model makes {embedder.dim}-d embeddings, its registry row says {spec.dim}")
    return embedder


def available_embedders() -> list[str]:
    """Names whose weights are on this machine now (facenet-vggface2 only when already cached)."""
    return [name for name, spec in EMBEDDERS.items() if spec.available()]


__all__ = ["Embedder", "ModelUnavailableError", "available_embedders", "get_embedder"]
