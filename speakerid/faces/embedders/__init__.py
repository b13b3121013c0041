"""Face embedders by name: ``get_embedder("facenet" | "facenet-vggface2" | "sface")``."""

from __future__ import annotations

from typing import Callable

from speakerid.errors import ModelUnavailableError, SpeakeridError
from speakerid.faces.embedder_dims import EMBEDDING_DIMS
from speakerid.faces.embedders.base import Embedder

DEFAULT = "facenet"


def _factories() -> dict[str, Callable[[str], Embedder]]:
    from speakerid.faces.embedders import facenet, sface

    return {"facenet": facenet.load_casia, "facenet-vggface2": facenet.load_vggface2, "sface": sface.load_sface}


def get_embedder(name: str = DEFAULT, device: str = "cpu") -> Embedder:
    """A ready embedder; ModelUnavailableError when its weights can't be had."""
    factories = _factories()
    if name not in factories:
        raise SpeakeridError(f"unknown embedder {name!r}; choose one of {', '.join(factories)}")
    embedder = factories[name](device)
    if embedder.dim != EMBEDDING_DIMS[name]:
        raise SpeakeridError(f"{name}: model makes {embedder.dim}-d embeddings, EMBEDDING_DIMS says {EMBEDDING_DIMS[name]}")
    return embedder


def available_embedders() -> list[str]:
    """Names whose weights are on this machine now (facenet-vggface2 only when already cached)."""
    from speakerid.faces import facenet_convert
    from speakerid.faces.embedders import facenet, sface

    present = {
        "facenet": lambda: facenet_convert.cached_weights().exists() or facenet_convert.source_graph().exists(),
        "facenet-vggface2": lambda: facenet.vggface2_path().exists(),
        "sface": lambda: sface.model_path().exists(),
    }
    return [name for name, check in present.items() if _safe(check)]


def _safe(check: Callable[[], bool]) -> bool:
    try:
        return bool(check())
    except ModelUnavailableError:
        return False


__all__ = ["Embedder", "ModelUnavailableError", "available_embedders", "get_embedder"]
