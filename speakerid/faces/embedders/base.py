"""The one interface every face embedder offers: aligned crop -> L2-normalised identity vector."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

import numpy as np

from speakerid.faces.face import Face

if TYPE_CHECKING:
    import torch


class Embedder(ABC):
    """A face embedding model; ``name`` + ``version`` identify its vector space in galleries.

    Subclasses set the class attributes and implement ``crop`` and ``preprocess``; networks held
    as torch modules get batched ``embed`` for free, others override ``_forward``. torch is
    imported only by the code paths that need it (training, explanations), never by ``embed``
    of embedders that run elsewhere (onnxruntime, OpenCV).
    """

    name: str
    version: str
    dim: int
    input_size: int
    licence: str
    batch_size: int = 8  # crops per forward pass: FaceNet's activations at 32 took ~90 MB more, as fast

    @abstractmethod
    def crop(self, frame: np.ndarray, face: Face) -> np.ndarray:
        """The (S,S,3) uint8 RGB crop of ``face`` in ``frame`` this model was trained on."""

    @abstractmethod
    def preprocess(self, crops: np.ndarray) -> torch.Tensor:
        """The exact network input (N,3,S,S) float for ``crops`` (N,S,S,3) uint8 RGB."""

    @property
    def module(self) -> torch.nn.Module | None:
        """The network as a torch module (fine-tuning, explanations), None if not torch."""
        return None

    def embed(self, crops: np.ndarray) -> np.ndarray:
        """(N,dim) float32 unit vectors for ``crops`` (N,S,S,3) uint8 RGB, in batches."""
        crops = np.asarray(crops)
        shape = (self.input_size, self.input_size, 3)
        if crops.ndim != 4 or crops.shape[1:] != shape or crops.dtype != np.uint8:
            raise ValueError(
                f"{self.name}: crops must be (N,{shape[0]},{shape[0]},3) uint8, got {crops.shape} {crops.dtype}"
            )
        out = np.zeros((len(crops), self.dim), np.float32)
        for start in range(0, len(crops), self.batch_size):
            out[start : start + self.batch_size] = self._forward(crops[start : start + self.batch_size])
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)

    def _forward(self, crops: np.ndarray) -> np.ndarray:
        """Raw (unnormalised) vectors of one batch through ``module``."""
        import torch

        module = self.module
        device = next(module.parameters()).device
        with torch.inference_mode():
            return module(self.preprocess(crops).to(device)).float().cpu().numpy()
