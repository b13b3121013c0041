"""Occlusion sensitivity (Zeiler & Fergus, reference 000): the score lost when a patch is greyed out."""

from __future__ import annotations

import numpy as np
import torch
from captum.attr import Occlusion
from torch import nn

GREY = 0.5


def occlusion_map(model: nn.Module, x: torch.Tensor, target: int, window: int | None = None) -> np.ndarray:
    """(S,S) drop of the target's softmax probability when a grey ``window`` square covers each pixel.

    The probability (not the logit) is used, as in reference 000's figures; the stride is half
    the window so every pixel is covered by several placements.
    """
    size = x.shape[-1]
    window = window or max(4, size // 8)
    stride = max(1, window // 2)
    prob = lambda inp: torch.softmax(model(inp), 1)  # noqa: E731
    with torch.no_grad():
        attr = Occlusion(prob).attribute(
            x, sliding_window_shapes=(3, window, window), strides=(3, stride, stride),
            baselines=GREY, target=target, perturbations_per_eval=16,
        )  # fmt: skip
    return attr[0].mean(0).numpy()
