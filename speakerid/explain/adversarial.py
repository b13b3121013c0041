"""Fooling a face classifier within a pixel budget (reference 001: 2.5 % of the value range).

FGSM takes one signed-gradient step of the full budget; PGD takes small steps until another
identity wins, projecting back into the budget after each. Both climb the logit margin of the
best other identity over the true one. Every iterate lives on the uint8
grid (what an image file can hold), so the reported result is exactly what a saved image
does, and the L-inf change is checked in whole pixel levels before anything is returned.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from speakerid.explain.specs import ATTACKS as METHODS
from speakerid.explain.specs import DEFAULT_BUDGET
from speakerid.train.inputs import to_uint8


class BudgetExceeded(AssertionError):
    """A perturbation left its L-inf budget (a bug, never an input problem)."""


@dataclass
class AttackResult:
    """Originals, perturbed images and how the classifier's answer changed."""

    original: np.ndarray  # (N,S,S,3) uint8
    perturbed: np.ndarray  # (N,S,S,3) uint8
    labels: np.ndarray  # (N,) true class
    predicted: np.ndarray  # (N,) class after the attack
    true_before: np.ndarray  # (N,) probability of the true class before
    true_after: np.ndarray  # (N,) ... and after
    top_after: np.ndarray  # (N,) probability of the winning class after
    budget_px: int  # allowed L-inf change in pixel levels (0..255)
    max_change_px: int  # largest change actually made

    @property
    def success(self) -> np.ndarray:
        return self.predicted != self.labels

    def summary(self) -> dict:
        return {
            "faces": int(len(self.labels)),
            "success_rate": float(self.success.mean()) if len(self.labels) else 0.0,
            "mean_true_confidence_before": float(self.true_before.mean()) if len(self.labels) else 0.0,
            "mean_true_confidence_after": float(self.true_after.mean()) if len(self.labels) else 0.0,
            "mean_winner_confidence_after": float(self.top_after.mean()) if len(self.labels) else 0.0,
            "budget_px": self.budget_px,
            "max_change_px": self.max_change_px,
        }


def margin(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Best other identity's logit minus the true one's: positive once another identity wins.

    Ascending this margin (Carlini-Wagner style) instead of the cross-entropy keeps a gradient
    even when the softmax is saturated at 1.0, as it is for confident SVMs.
    """
    true = logits.gather(1, y[:, None])[:, 0]
    others = logits.masked_fill(F.one_hot(y, logits.shape[1]).bool(), float("-inf"))
    return others.max(1).values - true


def budget_levels(budget: float) -> int:
    """The budget as whole pixel levels of 0..255 (rounded down: never more than asked)."""
    if not 0 < budget < 1:
        raise ValueError(f"budget must be a fraction of the value range in (0, 1), got {budget}")
    return max(1, math.floor(budget * 255 + 1e-9))


def _grid(x: torch.Tensor) -> torch.Tensor:
    return torch.round(x * 255) / 255


def attack(
    model: nn.Module,
    images: np.ndarray,
    labels: np.ndarray,
    method: str = "pgd",
    budget: float = DEFAULT_BUDGET,
    steps: int = 20,
) -> AttackResult:
    """Untargeted attack on (N,S,S,3) uint8 images at the model's input size."""
    if method not in METHODS:
        raise ValueError(f"unknown attack {method!r}; choose from {', '.join(METHODS)}")
    model.eval()
    levels = budget_levels(budget)
    eps = levels / 255
    x0 = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float() / 255
    y = torch.as_tensor(labels, dtype=torch.long)
    with torch.no_grad():
        before = torch.softmax(model(x0), 1)
    x = x0.clone()
    step = eps if method == "fgsm" else max(1, round(levels / 4)) / 255
    active = torch.ones(len(y), dtype=torch.bool)
    for _ in range(1 if method == "fgsm" else steps):
        xi = x[active].clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(margin(model(xi), y[active]).sum(), xi)
        with torch.no_grad():
            moved = _grid(xi + step * grad.sign())
            x[active] = torch.max(torch.min(moved, x0[active] + eps), x0[active] - eps).clamp(0, 1)
            active &= model(x).argmax(1) == y
        if not active.any():
            break
    x = _grid(x)
    with torch.no_grad():
        after = torch.softmax(model(x), 1)
    perturbed = to_uint8(x)
    change = int(np.abs(perturbed.astype(np.int16) - images.astype(np.int16)).max()) if len(images) else 0
    if change > levels:
        raise BudgetExceeded(f"perturbation of {change} levels exceeds the budget of {levels}")
    idx = torch.arange(len(y))
    return AttackResult(
        images,
        perturbed,
        np.asarray(labels),
        after.argmax(1).numpy(),
        before[idx, y].numpy(),
        after[idx, y].numpy(),
        after.max(1).values.numpy(),
        levels,
        change,
    )


def correctly_classified(model: nn.Module, images: np.ndarray, labels: np.ndarray, n: int) -> np.ndarray:
    """Indices of ``n`` images the model names correctly (the ones worth attacking), taking each
    identity's first such image before anyone's second, so every identity is represented."""
    model.eval()
    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float() / 255
    with torch.no_grad():
        pred = torch.cat([model(x[i : i + 32]).argmax(1) for i in range(0, len(x), 32)]).numpy()
    correct = np.flatnonzero(pred == labels)
    rank = np.array([(labels[correct[:i]] == labels[c]).sum() for i, c in enumerate(correct)], np.int64)
    return correct[np.lexsort((correct, rank))][:n]
