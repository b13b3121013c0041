"""Export an InceptionResnetV1 state dict (safetensors) to ONNX once, in a child process.

Why a child process: the export needs torch (650 MB of RSS for the CUDA build installed here),
while annotation runs the network through onnxruntime (2x faster on CPU, a fraction of the
memory); exporting in a child keeps torch out of the annotating process altogether.
Run as ``python -m speakerid.faces.onnx_export WEIGHTS.safetensors OUT.onnx``.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

from speakerid.cache import atomic_write_bytes, content_sha256, entry_ok, record_entry
from speakerid.errors import ModelUnavailableError

EXPORTER_VERSION = 1
log = logging.getLogger(__name__)
INPUT_SIZE = 160


def onnx_path_for(weights: Path) -> Path:
    """The cached ONNX file of ``weights``, exported in a child process when missing, stale or
    damaged (its content hash is checked on every use, like every cache entry)."""
    out = weights.with_suffix(".onnx")
    origin = onnx_origin(weights)
    if entry_ok(out, origin):
        return out
    if out.exists():
        log.warning("%s: cached ONNX export stale or damaged (content hash differs): exporting it again", out)
    proc = subprocess.run(
        [sys.executable, "-m", "speakerid.faces.onnx_export", str(weights), str(out)], capture_output=True, text=True
    )
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise ModelUnavailableError(f"{weights}: ONNX export failed ({last})")
    record_entry(out, origin)
    return out


def onnx_origin(weights: Path) -> dict:
    """What an ONNX export is made from: the exporter version and the weights' content."""
    return {"exporter": EXPORTER_VERSION, "weights_sha256": content_sha256(weights)}


def export(weights: Path, out: Path) -> None:
    """Write ``out``: the network with a dynamic batch axis, input (N,3,160,160) float."""
    import io

    import torch
    from facenet_pytorch import InceptionResnetV1
    from safetensors.torch import load_file

    net = InceptionResnetV1().eval()
    net.load_state_dict(load_file(weights), strict=True)
    buf = io.BytesIO()
    torch.onnx.export(
        net,
        torch.zeros(1, 3, INPUT_SIZE, INPUT_SIZE),
        buf,
        dynamo=False,
        opset_version=17,
        input_names=["crops"],
        output_names=["embeddings"],
        dynamic_axes={"crops": {0: "n"}, "embeddings": {0: "n"}},
    )
    atomic_write_bytes(out, buf.getvalue())


if __name__ == "__main__":
    export(Path(sys.argv[1]), Path(sys.argv[2]))
