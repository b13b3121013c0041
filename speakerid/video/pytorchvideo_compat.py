"""Import pytorchvideo under current torchvision.

pytorchvideo 0.1.5 still imports ``torchvision.transforms.functional_tensor``, which torchvision
renamed to ``_functional_tensor``; aliasing the old name in ``sys.modules`` before the first
pytorchvideo import is enough for every module we use (clip samplers, video transforms, X3D).
"""

from __future__ import annotations

import importlib
import sys
import warnings
from types import ModuleType

_OLD = "torchvision.transforms.functional_tensor"
_NEW = "torchvision.transforms._functional_tensor"


def install_shim() -> None:
    """Alias the removed torchvision module name to its new home (idempotent)."""
    if _OLD not in sys.modules:
        try:
            importlib.import_module(_OLD)
        except ModuleNotFoundError:
            sys.modules[_OLD] = importlib.import_module(_NEW)


def pytorchvideo_module(name: str) -> ModuleType:
    """``pytorchvideo.<name>`` imported with the shim in place, e.g. ``"data.clip_sampling"``."""
    install_shim()
    with warnings.catch_warnings():  # its torch.jit.script use warns on import
        warnings.simplefilter("ignore", FutureWarning)
        return importlib.import_module(f"pytorchvideo.{name}")
