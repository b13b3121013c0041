"""Training objectives for the embedding nets (reference 002) and the heads they imply.

* ``ce``: softmax cross-entropy on a linear head.
* ``center``: cross-entropy jointly with center loss (Wen et al.), pulling each embedding to its
  class centre.
* ``triplet``: triplet margin loss with online batch-hard mining.
* ``contrastive``: contrastive loss over every pair in the batch.
* ``arcface``: angular-margin softmax (ArcFace's additive angular margin, of the A-softmax family).

Metric losses (triplet, contrastive) learn no classifier; their head classifies by cosine
similarity to the class centroids of the training embeddings, refitted after every epoch.
Triplet, contrastive and ArcFace come from pytorch-metric-learning.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from pytorch_metric_learning import losses as pml_losses
from pytorch_metric_learning import miners
from torch import nn

from speakerid.train.specs import LOSSES

CENTROID_SCALE = 16.0  # softmax temperature on cosine similarity for centroid heads


class MarginHead(nn.Module):
    """Logits of an angular-margin loss without the margin: what the net predicts at test time."""

    def __init__(self, loss: nn.Module) -> None:
        super().__init__()
        self.loss = loss

    def forward(self, emb: torch.Tensor) -> torch.Tensor:
        return self.loss.get_logits(emb)


class CentroidHead(nn.Module):
    """Scaled cosine similarity to per-class centroids of training embeddings."""

    def __init__(self, n_classes: int, emb_dim: int) -> None:
        super().__init__()
        self.register_buffer("centroids", torch.zeros(n_classes, emb_dim))

    @torch.no_grad()
    def fit(self, emb: torch.Tensor, labels: torch.Tensor) -> None:
        """Set each centroid to the mean direction of its class's embeddings."""
        emb = F.normalize(emb, dim=1)
        cents = torch.zeros_like(self.centroids).index_add_(0, labels, emb)
        self.centroids.copy_(F.normalize(cents, dim=1))

    def forward(self, emb: torch.Tensor) -> torch.Tensor:
        return CENTROID_SCALE * F.normalize(emb, dim=1) @ self.centroids.T


class CenterLoss(nn.Module):
    """Mean squared distance of each embedding to its (learned) class centre."""

    def __init__(self, n_classes: int, emb_dim: int) -> None:
        super().__init__()
        self.centers = nn.Parameter(torch.randn(n_classes, emb_dim) * 0.01)

    def forward(self, emb: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return 0.5 * (emb - self.centers[labels]).pow(2).sum(1).mean()


def make_head(loss: str, n_classes: int, emb_dim: int) -> nn.Module:
    """The classifier head that goes with ``loss``."""
    if loss in ("ce", "center"):
        return nn.Linear(emb_dim, n_classes)
    if loss == "arcface":
        return MarginHead(pml_losses.ArcFaceLoss(n_classes, emb_dim, margin=28.6, scale=30))
    if loss in ("triplet", "contrastive"):
        return CentroidHead(n_classes, emb_dim)
    raise ValueError(f"unknown loss {loss!r}; choose from {', '.join(LOSSES)}")


class Objective(nn.Module):
    """``loss(emb, labels, head)`` for one of :data:`LOSSES`; owns the loss's own parameters."""

    def __init__(self, loss: str, n_classes: int, emb_dim: int, center_weight: float = 0.01) -> None:
        super().__init__()
        if loss not in LOSSES:
            raise ValueError(f"unknown loss {loss!r}; choose from {', '.join(LOSSES)}")
        self.name = loss
        self.center_weight = center_weight
        self.center = CenterLoss(n_classes, emb_dim) if loss == "center" else None
        self.miner = miners.BatchHardMiner() if loss == "triplet" else None
        if loss == "triplet":
            self.metric: nn.Module | None = pml_losses.TripletMarginLoss(margin=0.2)
        elif loss == "contrastive":
            self.metric = pml_losses.ContrastiveLoss(pos_margin=0.0, neg_margin=1.0)
        else:
            self.metric = None

    def forward(self, emb: torch.Tensor, labels: torch.Tensor, head: nn.Module) -> torch.Tensor:
        """Loss of a batch of embeddings; ``head`` is the model's head (margin heads own their loss)."""
        if isinstance(head, MarginHead):
            return head.loss(emb, labels)
        if self.metric is not None:
            pairs = self.miner(emb, labels) if self.miner is not None else None
            return self.metric(emb, labels, pairs)
        loss = F.cross_entropy(head(emb), labels)
        if self.center is not None:
            loss = loss + self.center_weight * self.center(emb, labels)
        return loss
