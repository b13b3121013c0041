"""Class saliency maps (Simonyan et al.): how strongly each pixel's change moves the class score."""

from __future__ import annotations

import numpy as np
import torch
from captum.attr import Saliency
from torch import nn


def saliency_map(model: nn.Module, x: torch.Tensor, target: int) -> np.ndarray:
    """(S,S) max-over-channels |d logit_target / d pixel| for one (1,3,S,S) input."""
    attr = Saliency(model).attribute(x.clone().requires_grad_(True), target=target, abs=True)
    return attr[0].max(0).values.detach().numpy()
