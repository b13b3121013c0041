"""One seed for every random source a training run draws from (face classifiers, video model)."""

from __future__ import annotations

import random

import numpy as np


def seed_everything(seed: int) -> None:
    """Same seed, same split, same batches, same weights (on one machine and torch version)."""
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
