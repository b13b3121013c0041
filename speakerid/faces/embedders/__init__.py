"""Face embedders by name: ``get_embedder("facenet" | "facenet-vggface2" | "sface")``."""

from __future__ import annotations

from collections.abc import Callable

from speakerid.defaults import DEFAULT_EMBEDDER
from speakerid.errors import ModelUnavailableError, SpeakeridError
from speakerid.faces.embedder_dims import EMBEDDING_DIMS
from speakerid.faces.embedders.base import Embedder


def _factories() -> dict[str, Callable[[str], Embedder]]:
    from speakerid.faces.embedders import facenet, sface

    return {"facenet": facenet.load_casia, "facenet-vggface2": facenet.load_vggface2, "sface": sface.load_sface}


def get_embedder(name: str = DEFAULT_EMBEDDER, device: str = "cpu") -> Embedder:
    """A ready embedder; ModelUnavailableError when its weights can't be had."""
    factories = _factories()
    if name not in factories:
        raise SpeakeridError(f"unknown embedder {name!r}; choose one of {', '.join(factories)}")
    embedder = factories[name](device)
    if embedder.dim != EMBEDDING_DIMS[name]:
        raise SpeakeridError(
            f"{name}: model makes {embedder.dim}-d embeddings, EMBEDDING_DIMS says {EMBEDDING_DIMS[name]}"
        )
    return embedder


def available_embedders() -> list[str]:
    """Names whose weights are on this machine now (facenet-vggface2 only when already cached)."""
    from speakerid.faces import facenet_convert
    from speakerid.weights import FACENET_CASIA, FACENET_VGGFACE2, SFACE

    present = {
        "facenet": FACENET_CASIA.available() or facenet_convert.cached_weights().exists(),
        "facenet-vggface2": FACENET_VGGFACE2.available(),
        "sface": SFACE.available(),
    }
    return [name for name, here in present.items() if here]


__all__ = ["Embedder", "ModelUnavailableError", "available_embedders", "get_embedder"]
