"""Grad-CAM: the last convolutional stage's activations weighted by their class gradient."""

from __future__ import annotations

import numpy as np
import torch
from captum.attr import LayerAttribution, LayerGradCam
from torch import nn


def gradcam_map(model: nn.Module, layer: nn.Module, x: torch.Tensor, target: int) -> np.ndarray:
    """(S,S) ReLU'd Grad-CAM of ``layer`` for the target class, upsampled to the input size."""
    cam = LayerGradCam(model, layer).attribute(x, target=target, relu_attributions=True)
    up = LayerAttribution.interpolate(cam, tuple(x.shape[-2:]), interpolate_mode="bilinear")
    return up[0, 0].detach().numpy()
