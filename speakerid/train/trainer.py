"""Training loop for the face nets: seeded, class-balanced, augmented, early-stopped on val accuracy."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from speakerid.seeding import seed_everything
from speakerid.train.data import FaceSet
from speakerid.train.inputs import CropBatches, batched, to_input
from speakerid.train.losses import CentroidHead, Objective, make_head
from speakerid.train.metrics import acceptance_threshold
from speakerid.train.models import FaceNet, build_backbone
from speakerid.train.specs import ARCHITECTURES


@dataclass
class TrainConfig:
    """Hyper-parameters of one run (stored with the checkpoint)."""

    arch: str = "cnn"
    loss: str = "ce"
    epochs: int | None = None  # None: the architecture's default
    batch_size: int = 16  # small batches: many steps on small face sets
    per_class: int = 2
    lr: float | None = None  # None: the architecture's default
    weight_decay: float = 1e-4
    patience: int = 10
    seed: int = 0
    augment: bool = True


@dataclass
class TrainResult:
    """The best network (by val accuracy) and how training went."""

    net: FaceNet
    config: TrainConfig
    history: list[dict] = field(default_factory=list)
    best_epoch: int = 0
    val_accuracy: float = 0.0
    threshold: float = 0.0


@torch.no_grad()
def net_outputs(net: FaceNet, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(embeddings, logits) of inputs in eval mode, batched."""
    net.eval()
    emb = batched(x, net.embed)
    return emb, net.head(emb)


def _fit_head(net: FaceNet, x: torch.Tensor, y: torch.Tensor) -> None:
    if isinstance(net.head, CentroidHead):
        net.head.fit(net_outputs(net, x)[0], y)


def build_net(arch: str, loss: str, n_classes: int, embedder_module: torch.nn.Module | None = None) -> FaceNet:
    """A fresh (pretrained where the architecture is) network with the head ``loss`` needs."""
    head = make_head(loss, n_classes, ARCHITECTURES[arch].emb_dim)
    return FaceNet(arch, build_backbone(arch, embedder_module), head)


def train_net(
    train: FaceSet,
    val: FaceSet,
    cfg: TrainConfig,
    embedder_module: torch.nn.Module | None = None,
    on_epoch: Callable[[dict], None] | None = None,
) -> TrainResult:
    """Train ``cfg.arch`` with ``cfg.loss`` on ``train``; keep the epoch with the best val accuracy.

    ``on_epoch(row)`` gets each epoch's history row (``epoch``, losses, ``val_accuracy``) and
    ``epochs``, the most this run will train.
    """
    seed_everything(cfg.seed)
    n_classes = len(train.classes)
    net = build_net(cfg.arch, cfg.loss, n_classes, embedder_module)
    objective = Objective(cfg.loss, n_classes, ARCHITECTURES[cfg.arch].emb_dim)
    params = [p for p in list(net.parameters()) + list(objective.parameters()) if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg.lr or ARCHITECTURES[cfg.arch].lr, weight_decay=cfg.weight_decay)
    ds = CropBatches(train.crops, train.labels, net.input_size, cfg.batch_size, cfg.per_class, cfg.augment)
    x_val, y_val = to_input(val.crops, net.input_size), torch.as_tensor(val.labels)
    result = TrainResult(net=net, config=cfg, val_accuracy=-1.0)
    best_state, best_key, stale = None, (-1.0, 0.0), 0
    epochs = cfg.epochs or ARCHITECTURES[cfg.arch].epochs
    for epoch in range(1, epochs + 1):
        net.train()
        losses = []
        for xb, yb in ds:
            loss = objective(net.embed(xb), yb, net.head)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        _fit_head(net, ds.x, ds.y)
        logits = net_outputs(net, x_val)[1]
        acc = float((logits.argmax(1) == y_val).float().mean()) if len(y_val) else 0.0
        nll = float(torch.nn.functional.cross_entropy(logits, y_val)) if len(y_val) else 0.0
        result.history.append(
            {"epoch": epoch, "train_loss": float(np.mean(losses)), "val_loss": nll, "val_accuracy": acc}
        )
        if (acc, -nll) > best_key:
            best_key, best_state, stale = (acc, -nll), copy.deepcopy(net.state_dict()), 0
            result.best_epoch, result.val_accuracy = epoch, acc
        else:
            stale += 1
        if on_epoch is not None:
            on_epoch({**result.history[-1], "epochs": epochs})
        if stale >= cfg.patience:
            break
    if best_state is not None:
        net.load_state_dict(best_state)
    probs = torch.softmax(net_outputs(net, x_val)[1], 1).numpy()
    result.threshold = acceptance_threshold(probs, val.labels)
    net.eval()
    return result
