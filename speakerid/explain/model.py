"""Any trained face classifier as one differentiable module: [0,1] RGB image -> identity logits.

Trained nets already are such modules. A linear SVM on facenet embeddings becomes
``Normalize -> InceptionResnetV1 -> L2 norm -> SVM scores x temperature``, whose softmax is
exactly the SVM's ``predict_proba``; gradients therefore explain the project's best model.
kNN has no gradient and an embedder without a torch network has no layers to look into.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from speakerid.errors import ModelUnavailableError
from speakerid.train.classic import EmbeddingClassifier
from speakerid.train.classifier import NetClassifier
from speakerid.train.models import FACENET_MEAN, FACENET_STD, Normalize

if TYPE_CHECKING:
    from speakerid.faces.embedders.base import Embedder


class SvmOnEmbeddings(nn.Module):
    """Embedder network + SVM scores (scaled by the calibrated temperature) as logits."""

    def __init__(self, embedder_module: nn.Module, coef: np.ndarray, intercept: np.ndarray, temperature: float) -> None:
        super().__init__()
        self.normalize = Normalize(FACENET_MEAN, FACENET_STD)
        self.net = embedder_module.eval()
        self.linear = nn.Linear(coef.shape[1], coef.shape[0])
        with torch.no_grad():
            self.linear.weight.copy_(torch.from_numpy(coef) * temperature)
            self.linear.bias.copy_(torch.from_numpy(intercept) * temperature)
        self.eval()

    def train(self, mode: bool = True) -> SvmOnEmbeddings:
        """Always inference mode: the embedder's network is shared with the embedder itself, and
        batch-norm in training mode would silently change every embedding it makes afterwards."""
        return super().train(False)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.net(self.normalize(x)), dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(self.embed(x))


@dataclass
class Explainable:
    """A classifier ready for gradients: module, input size, the layer Grad-CAM reads, class names."""

    module: nn.Module
    input_size: int
    cam_layer: nn.Module
    conv_layers: dict[str, nn.Module]
    classes: list[str]


def _check_preprocessing(embedder: Embedder, normalize: Normalize) -> None:
    """Our in-graph normalisation must reproduce the embedder's own ``preprocess`` exactly."""
    crop = np.random.default_rng(0).integers(0, 256, (1, embedder.input_size, embedder.input_size, 3), np.uint8)
    ours = normalize(torch.from_numpy(crop).permute(0, 3, 1, 2).float() / 255)
    if not torch.allclose(ours, embedder.preprocess(crop).float(), atol=1e-4):
        raise ModelUnavailableError(f"{embedder.name}: its preprocessing is not the facenet standardisation")


def explainable(clf: EmbeddingClassifier | NetClassifier, embedder: Embedder | None = None) -> Explainable:
    """Wrap ``clf`` (a trained net, or an SVM on a torch embedder's embeddings) for explanations."""
    if isinstance(clf, NetClassifier):
        net = clf.net.eval()
        return Explainable(net, net.input_size, net.cam_layer(), net.conv_layers(), clf.classes)
    if clf.kind != "svm":
        raise ModelUnavailableError("a kNN classifier has no gradients: explain an svm or a trained net")
    if (
        embedder is None
        or embedder.module is None
        or (embedder.name, embedder.version) != (clf.embedder, clf.embedder_version)
    ):
        raise ModelUnavailableError(f"explaining this svm needs the torch network of embedder {clf.embedder}")
    model = SvmOnEmbeddings(embedder.module, clf.arrays["coef"], clf.arrays["intercept"], clf.temperature)
    _check_preprocessing(embedder, model.normalize)
    convs = {f"net.{n}": m for n, m in model.net.named_modules() if isinstance(m, nn.Conv2d)}
    return Explainable(model, embedder.input_size, model.net.repeat_2, convs, clf.classes)
