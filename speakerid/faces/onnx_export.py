"""The ONNX file of an InceptionResnetV1 state dict (safetensors), written once per weights file.

Annotation runs FaceNet through onnxruntime (2x faster than torch on a laptop CPU, a fraction of
the memory). The file is written by :mod:`speakerid.faces.inception_resnet` with numpy and
onnx, in this process and without torch (until exporter 2, ``torch.onnx.export`` in a child
process: torch was needed to annotate even once).
"""

from __future__ import annotations

import logging
from pathlib import Path

from speakerid.cache import atomic_write_bytes, content_sha256, entry_ok, record_entry
from speakerid.errors import ModelUnavailableError

EXPORTER_VERSION = 2  # 2: written by inception_resnet (1: torch.onnx.export)
log = logging.getLogger(__name__)


def onnx_path_for(weights: Path) -> Path:
    """The cached ONNX file of ``weights``, written when missing, stale or
    damaged (its content hash is checked on every use, like every cache entry)."""
    out = weights.with_suffix(".onnx")
    origin = onnx_origin(weights)
    if entry_ok(out, origin):
        return out
    if out.exists():
        log.warning("%s: cached ONNX export stale or damaged (content hash differs): exporting it again", out)
    export(weights, out)
    record_entry(out, origin)
    return out


def onnx_origin(weights: Path) -> dict:
    """What an ONNX export is made from: the exporter version and the weights' content."""
    return {"exporter": EXPORTER_VERSION, "weights_sha256": content_sha256(weights)}


def export(weights: Path, out: Path) -> None:
    """Write ``out``: the network with a dynamic batch axis, input (N,3,160,160) float."""
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    from speakerid.faces.inception_resnet import build

    try:
        state = load_file(weights)
        data = build(state)
    except (SafetensorError, KeyError, ValueError) as exc:  # damaged, or not this network's weights
        raise ModelUnavailableError(f"{weights}: ONNX export failed ({exc.__class__.__name__}: {exc})") from None
    atomic_write_bytes(out, data)
