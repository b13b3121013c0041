"""From uint8 face crops to network inputs: resizing, augmentation, class-balanced batches."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch
import torch.nn.functional as F

ROTATION_DEG = 5.0  # reference 001 rotated its training faces by 5 degrees and mirrored them


def to_input(crops: np.ndarray, size: int) -> torch.Tensor:
    """(N,S,S,3) uint8 crops -> (N,3,size,size) float in [0, 1], resized with antialiasing."""
    x = torch.from_numpy(np.ascontiguousarray(crops)).permute(0, 3, 1, 2).float().div_(255.0)
    if x.shape[-1] != size or x.shape[-2] != size:
        x = F.interpolate(x, size=(size, size), mode="bilinear", antialias=True, align_corners=False).clamp_(0, 1)
    return x


def to_uint8(x: torch.Tensor) -> np.ndarray:
    """(N,3,S,S) [0,1] -> (N,S,S,3) uint8 (rounded), for saving pictures."""
    return (x.detach().clamp(0, 1) * 255).round().byte().permute(0, 2, 3, 1).cpu().numpy()


def augment(x: torch.Tensor) -> torch.Tensor:
    """Each image of a batch randomly mirrored and rotated by up to ``ROTATION_DEG`` (one warp)."""
    n = len(x)
    angle = (torch.rand(n) * 2 - 1) * np.deg2rad(ROTATION_DEG)
    flip = torch.where(torch.rand(n) < 0.5, -1.0, 1.0)
    cos, sin = torch.cos(angle), torch.sin(angle)
    theta = torch.stack(
        [torch.stack([cos * flip, -sin, torch.zeros(n)], 1), torch.stack([sin * flip, cos, torch.zeros(n)], 1)], 1
    )
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


class CropBatches:
    """Class-balanced, optionally augmented batches of face crops as network inputs.

    Each batch holds ``per_class`` images from each of several identities, and every identity
    is drawn equally often: rare identities count as much as frequent ones, and the metric
    losses get positives and negatives in every batch. The sampler draws from numpy's global
    generator, augmentation from torch's; the trainer seeds both.
    """

    def __init__(
        self, crops: np.ndarray, labels: np.ndarray, size: int, batch_size: int, per_class: int, do_augment: bool
    ) -> None:
        from pytorch_metric_learning.samplers import MPerClassSampler

        self.x = to_input(crops, size)
        self.y = torch.as_tensor(labels, dtype=torch.long)
        self.do_augment = do_augment
        n_classes = int(self.y.unique().numel())
        self.batch = max(per_class, min(batch_size, per_class * n_classes) // per_class * per_class)
        self.sampler = MPerClassSampler(
            self.y, m=per_class, batch_size=self.batch, length_before_new_iter=max(len(self.y), self.batch)
        )

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        order = torch.as_tensor(list(iter(self.sampler)), dtype=torch.long)
        for start in range(0, len(order) - self.batch + 1, self.batch):
            idx = order[start : start + self.batch]
            xb = self.x[idx]
            yield (augment(xb) if self.do_augment else xb), self.y[idx]


def batched(x: torch.Tensor, fn, batch_size: int = 64) -> torch.Tensor:
    """``fn`` applied to ``x`` in chunks (keeps memory flat for big evaluation sets)."""
    return torch.cat([fn(x[i : i + batch_size]) for i in range(0, len(x), batch_size)]) if len(x) else fn(x)
