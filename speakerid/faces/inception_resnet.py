"""InceptionResnetV1 without torch: facenet-pytorch's layout (state-dict names) and its ONNX graph.

Why not ``torch.onnx.export``: annotation runs FaceNet through onnxruntime, so torch was needed
only to write that file once, which kept torch (and its 650 MB CUDA build) a requirement of the
main job. The network is small and fixed: its graph is spelled out here from facenet-pytorch's
modules, each BatchNorm folded into the convolution before it and each residual scale into the
block's projection. The same layout tells the TensorFlow-graph converter which keys a complete
state dict has. The torch network (``FaceNetEmbedder.module``) stays for training and explanations.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

BN_EPS = 0.001  # facenet-pytorch's BatchNorm eps (the TensorFlow model's)
OPSET = 17
INPUT_SIZE = 160
# Residual stages by module path: (BasicConv2d count per branch, residual scale, blocks), in network order.
RESIDUALS = {
    "repeat_1": ((1, 2, 3), 0.17, 5),  # Block35 x5
    "repeat_2": ((1, 3), 0.10, 10),  # Block17 x10
    "repeat_3": ((1, 3), 0.20, 5),  # Block8 x5
}
BLOCK8_SCALE = 1.0  # the last Block8 (no ReLU) keeps facenet-pytorch's default scale
STEM = ("conv2d_1a", "conv2d_2a", "conv2d_2b", "conv2d_3b", "conv2d_4a", "conv2d_4b")
REDUCTIONS = {"repeat_1": "mixed_6a", "repeat_2": "mixed_7a"}  # the reduction block after a stage


def residual_scales() -> dict[str, float]:
    """Each residual block's scale by module path (``repeat_2.3`` -> 0.10, ``block8`` -> 1.0)."""
    scales = {f"{rep}.{i}": scale for rep, (_, scale, n) in RESIDUALS.items() for i in range(n)}
    return scales | {"block8": BLOCK8_SCALE}


def branch_sizes(block: str) -> tuple[int, ...]:
    """How many BasicConv2d each branch of ``block`` (a module path) holds; 0 for a pooling branch."""
    if block.startswith("repeat_"):
        return RESIDUALS[block.split(".")[0]][0]
    return {"block8": (1, 3), "mixed_6a": (1, 3, 0), "mixed_7a": (2, 2, 3, 0)}[block]


def blocks() -> list[str]:
    """Every residual and reduction block's module path, in network order."""
    out = []
    for rep, (_, _, n) in RESIDUALS.items():
        out += [f"{rep}.{i}" for i in range(n)] + ([REDUCTIONS[rep]] if rep in REDUCTIONS else [])
    return [*out, "block8"]


def branch_paths(block: str) -> list[list[str]]:
    """The BasicConv2d module paths of each branch of ``block`` (empty for a pooling branch)."""
    sizes = branch_sizes(block)
    return [
        [f"{block}.branch{i}"] if n == 1 else [f"{block}.branch{i}.{j}" for j in range(n)] for i, n in enumerate(sizes)
    ]


def state_keys() -> set[str]:
    """The keys of a complete state dict (facenet-pytorch's, without the logits layer)."""
    bn = ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")
    convs = [*STEM, *(p for b in blocks() for branch in branch_paths(b) for p in branch)]
    keys = {f"{c}.conv.weight" for c in convs} | {f"{c}.bn.{k}" for c in convs for k in bn}
    keys |= {f"{b}.conv2d.{k}" for b in residual_scales() for k in ("weight", "bias")}
    return keys | {"last_linear.weight"} | {f"last_bn.{k}" for k in bn}


class _Graph:
    """ONNX nodes and initialisers, written in order while the network is walked."""

    def __init__(self, state: Mapping[str, np.ndarray]) -> None:
        self.state, self.nodes, self.weights, self._n = state, [], [], 0

    def _name(self, hint: str) -> str:
        self._n += 1
        return f"{hint}_{self._n}"

    def const(self, hint: str, value: np.ndarray) -> str:
        from onnx import numpy_helper

        name = self._name(hint)
        self.weights.append(numpy_helper.from_array(np.ascontiguousarray(value, np.float32), name))
        return name

    def op(self, op_type: str, inputs: list[str], out: str | None = None, **attrs) -> str:
        from onnx import helper

        out = out or self._name(op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [out], **attrs))
        return out

    def conv(self, x: str, w: np.ndarray, b: np.ndarray, stride: int, same: bool) -> str:
        kh, kw = w.shape[2:]
        pads = [kh // 2, kw // 2, kh // 2, kw // 2] if same else [0, 0, 0, 0]
        inputs = [x, self.const("w", w), self.const("b", b)]
        return self.op("Conv", inputs, kernel_shape=[kh, kw], strides=[stride, stride], pads=pads)

    def basic(self, x: str, path: str, stride: int = 1, same: bool = True) -> str:
        """BasicConv2d: convolution, BatchNorm (folded into it), ReLU."""
        s = self.state
        gamma, beta = s[f"{path}.bn.weight"], s[f"{path}.bn.bias"]
        k = gamma / np.sqrt(s[f"{path}.bn.running_var"] + BN_EPS)
        w = s[f"{path}.conv.weight"] * k[:, None, None, None]
        return self.op("Relu", [self.conv(x, w, beta - s[f"{path}.bn.running_mean"] * k, stride, same)])

    def pool(self, x: str) -> str:
        return self.op("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2])

    def branches(self, x: str, block: str, last_stride: int = 1) -> str:
        """Every branch of ``block`` on ``x``, concatenated; a branch's last conv takes
        ``last_stride`` (then unpadded: the reduction blocks)."""
        outs = []
        for paths in branch_paths(block):
            y = x if paths else self.pool(x)
            for j, path in enumerate(paths):
                stride = last_stride if j == len(paths) - 1 else 1
                y = self.basic(y, path, stride, same=stride == 1)
            outs.append(y)
        return self.op("Concat", outs, axis=1)

    def residual(self, x: str, block: str, scale: float, relu: bool = True) -> str:
        """``relu(x + scale * conv2d(branches(x)))``, the scale folded into the projection."""
        w, b = self.state[f"{block}.conv2d.weight"], self.state[f"{block}.conv2d.bias"]
        out = self.op("Add", [self.conv(self.branches(x, block), w * scale, b * scale, 1, True), x])
        return self.op("Relu", [out]) if relu else out


def build(state: Mapping[str, np.ndarray]) -> bytes:
    """The serialised ONNX model of ``state`` (facenet-pytorch ``InceptionResnetV1`` names, no
    logits): input ``crops`` (N,3,160,160) float, output ``embeddings`` (N,512) L2-normalised."""
    import onnx
    from onnx import TensorProto, helper

    g = _Graph(state)
    x = "crops"
    for path, (stride, same) in zip(STEM, ((2, False), (1, False), (1, True), (1, True), (1, False), (2, False))):
        x = g.basic(x, path, stride, same)
        if path == "conv2d_2b":
            x = g.pool(x)  # maxpool_3a
    scales = residual_scales()
    for block in blocks()[:-1]:
        x = g.residual(x, block, scales[block]) if block in scales else g.branches(x, block, last_stride=2)
    x = g.residual(x, "block8", scales["block8"], relu=False)
    x = g.op("Flatten", [g.op("GlobalAveragePool", [x])], axis=1)
    k = state["last_bn.weight"] / np.sqrt(state["last_bn.running_var"] + BN_EPS)  # BatchNorm1d folded
    w, b = state["last_linear.weight"] * k[:, None], state["last_bn.bias"] - state["last_bn.running_mean"] * k
    x = g.op("Gemm", [x, g.const("w", w), g.const("b", b)], transB=1)
    norm = g.op("Max", [g.op("ReduceL2", [x], axes=[1], keepdims=1), g.const("eps", np.array(1e-12))])
    g.op("Div", [x, norm], out="embeddings")  # F.normalize(x, p=2, dim=1)
    graph = helper.make_graph(
        g.nodes,
        "InceptionResnetV1",
        [helper.make_tensor_value_info("crops", TensorProto.FLOAT, ["n", 3, INPUT_SIZE, INPUT_SIZE])],
        [helper.make_tensor_value_info("embeddings", TensorProto.FLOAT, ["n", 512])],
        g.weights,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="speakerid")
    onnx.checker.check_model(model)
    return model.SerializeToString()
