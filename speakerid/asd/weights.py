"""Find and load the Light-ASD weights: explicit path, env var, user cache, then the release URL."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import torch

from speakerid.asd.model import LightASD
from speakerid.cache import atomic_write_bytes, cache_dir
from speakerid.errors import ModelUnavailableError

ENV_VAR = "SPEAKERID_ASD_WEIGHTS"
DEFAULT_WEIGHTS = "finetuning_TalkSet.model"
RELEASE_URL = "https://raw.githubusercontent.com/Junhua-Liao/Light-ASD/main/weight/{name}"
SHA256 = {
    "finetuning_TalkSet.model": "efc375833887eefa9d209dc92810e18519b04c3c73ea35a549f2a7f40b7d94d5",
    "pretrain_AVA_CVPR.model": "d44bc3ea7baa8e0946fa3921311714a630ed8b90a1928fab0dbe30d918909317",
}


def resolve_weights(path: str | Path | None = None) -> Path:
    """Local file holding the weights; downloads once into the cache when nothing local exists.

    ``path`` is a file, or the name of a released file (``finetuning_TalkSet.model``,
    ``pretrain_AVA_CVPR.model``), or None: ``$SPEAKERID_ASD_WEIGHTS``, else the default release.
    Released files come from the cache, else the original release URL (sha256-checked).
    An explicit path or env var that does not exist is an error, not a reason to download.
    """
    path = str(path or os.environ.get(ENV_VAR) or DEFAULT_WEIGHTS)
    if path not in SHA256 or Path(path).is_file():
        explicit = Path(path).expanduser()
        if not explicit.is_file():
            raise ModelUnavailableError(f"{explicit}: Light-ASD weights file not found")
        return explicit
    name = path
    cached = cache_dir("weights", "light-asd") / name
    if not cached.is_file():
        atomic_write_bytes(cached, _download(name))
    return cached


def _download(name: str) -> bytes:
    """The release file, verified against its published sha256."""
    import requests

    url = RELEASE_URL.format(name=name)
    try:
        response = requests.get(url, timeout=30)
        response.raise_for_status()
    except requests.RequestException as exc:
        raise ModelUnavailableError(
            f"{name}: Light-ASD weights not cached and not downloadable from {url} "
            f"({type(exc).__name__}); set {ENV_VAR} to a local copy") from None
    digest = hashlib.sha256(response.content).hexdigest()
    if digest != SHA256[name]:
        raise ModelUnavailableError(f"{url}: sha256 {digest} does not match the published hash")
    return response.content


def load_light_asd(path: str | Path | None = None, device: str = "cpu") -> LightASD:
    """Light-ASD in eval mode with the weights resolved by :func:`resolve_weights`, strictly loaded."""
    path = resolve_weights(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        model = LightASD()
        model.load_state_dict(state, strict=True)
    except Exception as exc:  # unreadable file, pickle with code, or other tensor names/shapes
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ModelUnavailableError(f"{path}: not a Light-ASD state dict ({reason})") from None
    return model.to(device).eval()
