"""What a convolution filter looks for: the input that maximises its mean activation (gradient ascent).

References 000 and 001 show such images for early and late layers: colours and edges first,
blobs and face parts deeper. Starting from grey with a little noise, the image is updated with
Adam on the filter's mean activation, kept inside [0, 1], and lightly blurred every few steps
so high-frequency noise does not win.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from speakerid.train.inputs import to_uint8

BLUR_EVERY = 4


class _Reached(Exception):
    """Raised by the hook: nothing after the layer needs computing."""


def _blur(x: torch.Tensor) -> torch.Tensor:
    k = torch.tensor([1.0, 2.0, 1.0])
    k = (k[:, None] * k[None, :] / 16).expand(3, 1, 3, 3)
    return F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), k, groups=3)


def start_images(n: int, size: int, seed: int = 0) -> torch.Tensor:
    """The ascent's starting point: mid-grey plus a little seeded noise, (n,3,size,size)."""
    gen = torch.Generator().manual_seed(seed)
    return (0.5 + 0.05 * torch.randn(n, 3, size, size, generator=gen)).clamp(0, 1)


def filter_images(
    model: nn.Module, layer: nn.Module, filters: list[int], size: int, steps: int = 48, lr: float = 0.05, seed: int = 0
) -> np.ndarray:
    """(K,size,size,3) uint8: one activation-maximising image per filter index of ``layer``."""
    x = start_images(len(filters), size, seed).requires_grad_(True)
    acts: dict[str, torch.Tensor] = {}

    def stop(_m: nn.Module, _i: tuple, out: torch.Tensor) -> None:
        acts["out"] = out
        raise _Reached

    hook = layer.register_forward_hook(stop)
    idx = torch.as_tensor(filters)
    opt = torch.optim.Adam([x], lr=lr)
    was_training = model.training
    model.eval()
    try:
        for step in range(steps):
            opt.zero_grad()
            try:
                model(x)
            except _Reached:
                pass
            out = acts["out"]
            if idx.max() >= out.shape[1]:
                raise ValueError(f"layer has {out.shape[1]} filters; asked for filter {int(idx.max())}")
            loss = -out[torch.arange(len(filters)), idx].mean((1, 2)).sum()
            loss.backward()
            opt.step()
            with torch.no_grad():
                x.clamp_(0, 1)
                if step % BLUR_EVERY == BLUR_EVERY - 1:
                    x.copy_(_blur(x))
    finally:
        hook.remove()
        model.train(was_training)
    return to_uint8(x)
