"""Export an InceptionResnetV1 state dict (safetensors) to ONNX once, in a child process.

Why a child process: the export needs torch (650 MB of RSS for the CUDA build installed here),
while annotation runs the network through onnxruntime (2x faster on CPU, a fraction of the
memory); exporting in a child keeps torch out of the annotating process altogether.
Run as ``python -m speakerid.faces.onnx_export WEIGHTS.safetensors OUT.onnx``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from speakerid.cache import atomic_write_bytes
from speakerid.errors import ModelUnavailableError

EXPORTER_VERSION = 1
INPUT_SIZE = 160


def onnx_path_for(weights: Path) -> Path:
    """The cached ONNX file of ``weights``, exported in a child process when missing or stale."""
    out = weights.with_suffix(".onnx")
    sidecar = out.with_suffix(".onnx.json")
    stat = weights.stat()
    stamp = {"exporter": EXPORTER_VERSION, "weights_size": stat.st_size, "weights_mtime_ns": stat.st_mtime_ns}
    try:
        meta = json.loads(sidecar.read_text())
    except (OSError, ValueError):
        meta = {}
    if (
        isinstance(meta, dict)
        and out.is_file()
        and {k: meta.get(k) for k in stamp} == stamp
        and out.stat().st_size == meta.get("size")
    ):
        return out
    proc = subprocess.run(
        [sys.executable, "-m", "speakerid.faces.onnx_export", str(weights), str(out)], capture_output=True, text=True
    )
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise ModelUnavailableError(f"{weights}: ONNX export failed ({last})")
    atomic_write_bytes(sidecar, json.dumps({**stamp, "size": out.stat().st_size}).encode())
    return out


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
