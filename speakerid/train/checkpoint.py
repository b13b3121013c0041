"""The classifier file format: one safetensors file whose header carries the JSON metadata.

Weights, SVM coefficients and kNN reference embeddings are plain tensors; everything else
(kind, class names, embedder, threshold, training settings) is JSON in the safetensors
metadata. A ``.json`` sidecar repeats the metadata for people to read; loading never needs it
and never unpickles anything.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save as st_save

from speakerid.cache import atomic_write_bytes
from speakerid.errors import SpeakeridError

FORMAT = "speakerid-face-classifier"
FORMAT_VERSION = 1
META_KEY = "speakerid"


class ClassifierFileError(SpeakeridError):
    """A classifier file is missing, damaged or of another format."""


def save_classifier_file(path: str | Path, tensors: dict[str, torch.Tensor | np.ndarray], meta: dict) -> Path:
    """Write ``tensors`` + ``meta`` atomically to ``path`` (and ``path.json`` for humans)."""
    path = Path(path)
    meta = {"format": FORMAT, "format_version": FORMAT_VERSION, **meta}
    ts = {
        k: (torch.from_numpy(np.ascontiguousarray(v)) if isinstance(v, np.ndarray) else v.contiguous())
        for k, v in tensors.items()
    }
    atomic_write_bytes(path, st_save(ts, metadata={META_KEY: json.dumps(meta)}))
    atomic_write_bytes(path.with_name(path.name + ".json"), json.dumps(meta, indent=1).encode())
    return path


def read_classifier_file(path: str | Path) -> tuple[dict[str, torch.Tensor], dict]:
    """(tensors, metadata) of a classifier file; one-line ClassifierFileError if it is not one."""
    path = Path(path)
    if not path.is_file():
        raise ClassifierFileError(f"{path}: classifier file not found")
    try:
        with safe_open(path, framework="pt") as fh:
            meta = json.loads((fh.metadata() or {})[META_KEY])
            tensors = {k: fh.get_tensor(k) for k in fh.keys()}
    except (SafetensorError, ValueError, KeyError, TypeError, OSError) as exc:
        raise ClassifierFileError(f"{path}: not a speakerid classifier ({exc.__class__.__name__})") from None
    if meta.get("format") != FORMAT or meta.get("format_version", 99) > FORMAT_VERSION:
        raise ClassifierFileError(
            f"{path}: unsupported classifier format {meta.get('format')!r} v{meta.get('format_version')}"
        )
    return tensors, meta
