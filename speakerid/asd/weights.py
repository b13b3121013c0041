"""Find and load the Light-ASD weights: explicit path, env var, user cache, then the release URL."""

from __future__ import annotations

import os
from pathlib import Path

import torch

from speakerid.asd.model import LightASD
from speakerid.errors import ModelUnavailableError
from speakerid.weights import LIGHT_ASD_AVA, LIGHT_ASD_TALKSET, Weights

ENV_VAR = "SPEAKERID_ASD_WEIGHTS"
# The released files by name (registry entries: URL, sha256, licence).
RELEASES: dict[str, Weights] = {w.files[0].source.filename: w for w in (LIGHT_ASD_TALKSET, LIGHT_ASD_AVA)}
DEFAULT_WEIGHTS = LIGHT_ASD_TALKSET.files[0].source.filename


def resolve_weights(path: str | Path | None = None) -> Path:
    """Local file holding the weights; downloads once into the cache when nothing local exists.

    ``path`` is a file, or the name of a released file (``finetuning_TalkSet.model``,
    ``pretrain_AVA_CVPR.model``), or None: ``$SPEAKERID_ASD_WEIGHTS``, else the default release.
    Released files come from the cache, else the original release URL; both are checked against
    the published sha256. An explicit path or env var that does not exist is an error, not a
    reason to download.
    """
    path = str(path or os.environ.get(ENV_VAR) or DEFAULT_WEIGHTS)
    if path not in RELEASES or Path(path).is_file():
        explicit = Path(path).expanduser()
        if not explicit.is_file():
            raise ModelUnavailableError(f"{explicit}: Light-ASD weights file not found")
        return explicit
    return RELEASES[path].path()


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
