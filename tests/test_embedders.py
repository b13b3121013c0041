"""Embedders: the offline FaceNet conversion, its cache, the registry, and real-photo behaviour."""

from __future__ import annotations

import dataclasses
import graphlib
import json
import math
import os
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from speakerid.cache import file_sha256
from speakerid.errors import ModelUnavailableError, SpeakeridError
from speakerid.faces import facenet_convert
from speakerid.faces.detect import main_face
from speakerid.faces.embedders import available_embedders, get_embedder
from speakerid.faces.mtcnn import MTCNNDetector
from speakerid.io.images import load_rgb
from speakerid.weights import TORCH_HUB, Download

PEOPLE = ["obama", "biden", "paul_allen", "steve_wozniak", "guido_van_rossum", "amy", "sheldon"]

pytestmark = pytest.mark.slow  # every test loads FaceNet/SFace or converts the FaceNet graph


@pytest.fixture(scope="module")
def embedders():
    return {name: get_embedder(name) for name in ("facenet", "sface")}


@pytest.fixture(scope="module")
def gallery_faces(shared_data):
    """(person, image, main face) for a few people of the gallery, detected once (at most 640 px)."""
    detector, out = MTCNNDetector(min_face_size=40), []
    for person in PEOPLE:
        for path in sorted((shared_data / "gallery" / person).iterdir()):
            rgb = load_rgb(path)
            scale = 640 / max(rgb.shape[:2])
            rgb = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else rgb
            face = main_face(detector.detect(rgb[None])[0], *rgb.shape[:2])
            if face is not None:
                out.append((person, rgb, face))
    return out


def _run_graph(pb: bytes, x_nhwc: np.ndarray) -> np.ndarray:
    """Execute the frozen TF graph node by node, as TF would (independent of any name mapping)."""
    from tensorboard.compat.proto import graph_pb2
    from tensorboard.util import tensor_util

    graph = graph_pb2.GraphDef()
    graph.ParseFromString(pb)
    nodes = {n.name: n for n in graph.node}
    inputs = {k: [i.split(":")[0] for i in n.input if not i.startswith("^")] for k, n in nodes.items()}
    values: dict[str, torch.Tensor] = {}
    for name in graphlib.TopologicalSorter(inputs).static_order():
        node, a = nodes[name], nodes[name].attr
        ins = [values[i] for i in inputs[name]]
        if node.op == "Const":
            out = torch.from_numpy(np.array(tensor_util.make_ndarray(a["value"].tensor)))
        elif node.op == "Placeholder":
            out = torch.from_numpy(x_nhwc).permute(0, 3, 1, 2)
        elif node.op == "Conv2D":
            w, stride, x = ins[1].permute(3, 2, 0, 1), list(a["strides"].list.i)[1:3], ins[0]
            if a["padding"].s == b"SAME":
                pads = []
                for size, k, s in ((x.shape[3], w.shape[3], stride[1]), (x.shape[2], w.shape[2], stride[0])):
                    total = max((math.ceil(size / s) - 1) * s + k - size, 0)
                    pads += [total // 2, total - total // 2]
                x = F.pad(x, pads)
            out = F.conv2d(x, w, stride=stride)
        elif node.op in ("MaxPool", "AvgPool"):
            assert a["padding"].s == b"VALID"
            pool = F.max_pool2d if node.op == "MaxPool" else F.avg_pool2d
            out = pool(ins[0], list(a["ksize"].list.i)[1:3], list(a["strides"].list.i)[1:3])
        elif node.op == "FusedBatchNorm":
            x, gamma, beta, mean, var = ins
            out = (x - mean) / torch.sqrt(var + a["epsilon"].f) * gamma + beta
        else:
            out = {
                "BiasAdd": lambda x: x[0] + x[1].view(1, -1, 1, 1),
                "Relu": lambda x: F.relu(x[0]),
                "ConcatV2": lambda x: torch.cat(x[:-1], 1),
                "Mul": lambda x: x[0] * x[1],
                "Add": lambda x: x[0] + x[1],
                "Reshape": lambda x: x[0].reshape(x[0].shape[0], -1),
                "MatMul": lambda x: x[0] @ x[1],
                "Square": lambda x: x[0] ** 2,
                "Sum": lambda x: x[0].sum(int(x[1]), keepdim=True),
                "Maximum": lambda x: torch.maximum(*x),
                "Rsqrt": lambda x: torch.rsqrt(x[0]),
            }[node.op](ins)
        values[name] = out
    return values["embeddings"].numpy()


def test_converted_facenet_equals_the_tensorflow_graph(embedders, gallery_faces):
    facenet = embedders["facenet"]
    crops = np.stack([facenet.crop(rgb, face) for _, rgb, face in gallery_faces[:3]])
    ours = facenet.embed(crops)
    x = facenet.preprocess(crops).permute(0, 2, 3, 1).numpy()
    with torch.inference_mode():
        reference = _run_graph(facenet_convert.source_graph().read_bytes(), x)
    np.testing.assert_allclose(ours, reference, atol=2e-5)


def test_conversion_uses_every_tensor_exactly():
    from facenet_pytorch import InceptionResnetV1

    tensors = facenet_convert.read_graph_tensors(facenet_convert.source_graph().read_bytes())
    state = facenet_convert.convert(tensors)
    assert len(tensors) == 290 and not any(k.startswith("logits") for k in state)
    assert state["conv2d_1a.conv.weight"].shape == (32, 3, 3, 3)
    net = InceptionResnetV1()  # our torch-free layout names exactly facenet-pytorch's tensors
    assert set(state) == {k for k in net.state_dict() if not k.startswith("logits.")}
    net.load_state_dict({k: torch.from_numpy(np.asarray(v)) for k, v in state.items()}, strict=False)
    for key, value in net.state_dict().items():
        if not key.startswith("logits."):
            assert tuple(value.shape) == state[key].shape, key
    for name in (
        "Repeat_1/block17_4/Branch_1/Conv2d_0b_1x7/weights",
        "Mixed_7a/Branch_2/Conv2d_0b_3x3/Conv2D_bn_offset",
        "Bottleneck/BatchNorm/moving_variance",
    ):
        with pytest.raises(facenet_convert.ConversionError):
            facenet_convert.convert({k: v for k, v in tensors.items() if k != name})
    extra = dict(tensors, **{"Logits/weights": np.zeros((512, 10), np.float32)})
    with pytest.raises(facenet_convert.ConversionError):
        facenet_convert.convert(extra)
    wrong_scale = dict(tensors, **{"Repeat/block35_2/mul/x": np.float32(0.5)})
    with pytest.raises(facenet_convert.ConversionError, match="block35_2"):
        facenet_convert.convert(wrong_scale)


def test_a_cold_cache_converts_and_exports_without_torch(tmp_path):
    """The main job's embedder needs neither TensorFlow nor torch, even on first use."""
    code = (
        "import sys; from speakerid.faces.embedders.facenet import load_casia; "
        "import numpy as np; e = load_casia(); v = e.embed(np.zeros((2, 160, 160, 3), np.uint8)); "
        "assert v.shape == (2, 512) and abs(float(np.linalg.norm(v[0])) - 1) < 1e-5, v.shape; "
        "assert 'torch' not in sys.modules, 'torch was imported'"
    )
    env = {**os.environ, "SPEAKERID_CACHE": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert sorted(p.suffix for p in (tmp_path / "v1" / "weights").glob("facenet-*")) == [
        ".json",
        ".json",
        ".onnx",
        ".safetensors",
    ]


def test_weights_cache_is_verified_and_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("SPEAKERID_CACHE", str(tmp_path))
    path, sha = facenet_convert.casia_weights()
    meta = json.loads(path.with_suffix(".json").read_text())
    assert path.is_relative_to(tmp_path) and meta["sha256"] == file_sha256(path)
    assert meta["source_sha256"] == sha == file_sha256(facenet_convert.source_graph())
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF  # corrupt the cached weights: the next load must notice and reconvert
    path.write_bytes(bytes(data))
    assert facenet_convert.casia_weights() == (path, sha)
    assert file_sha256(path) == meta["sha256"]


def test_registry(embedders):
    names = available_embedders()
    assert {"facenet", "sface"} <= set(names)
    assert [embedders[n].dim for n in ("facenet", "sface")] == [512, 128]
    assert "research" in embedders["facenet"].licence and "Apache" in embedders["sface"].licence
    assert embedders["facenet"].version != embedders["sface"].version
    with pytest.raises(SpeakeridError, match="unknown embedder"):
        get_embedder("no-such-model")


def test_vggface2_only_when_its_checkpoint_is_here(embedders, tmp_path, monkeypatch):
    from speakerid.faces.embedders import facenet

    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    unreachable = Download("http://127.0.0.1:9/unreachable.pt", "20180402-114759-vggface2.pt", TORCH_HUB)
    entry = dataclasses.replace(
        facenet.FACENET_VGGFACE2, files=(dataclasses.replace(facenet.FACENET_VGGFACE2.files[0], source=unreachable),)
    )
    monkeypatch.setattr(facenet, "FACENET_VGGFACE2", entry)
    assert "facenet-vggface2" not in available_embedders()
    with pytest.raises(ModelUnavailableError) as err:
        get_embedder("facenet-vggface2")
    assert "\n" not in str(err.value) and "facenet-vggface2" in str(err.value)
    # a checkpoint in facenet-pytorch's layout (with its classifier) is picked up and loaded safely
    state = dict(embedders["facenet"].module.state_dict(), **{"logits.weight": torch.zeros(3, 512)})
    facenet.vggface2_path().parent.mkdir(parents=True)
    torch.save(state, facenet.vggface2_path())
    assert "facenet-vggface2" in available_embedders()
    vgg = get_embedder("facenet-vggface2")
    crops = np.full((1, 160, 160, 3), 128, np.uint8)
    np.testing.assert_allclose(vgg.embed(crops), embedders["facenet"].embed(crops), atol=1e-6)


@pytest.mark.parametrize("name", ["facenet", "sface"])
def test_embedding_is_deterministic_unit_and_batch_independent(name, embedders, gallery_faces):
    emb = embedders[name]
    crops = np.stack([emb.crop(rgb, face) for _, rgb, face in gallery_faces[:5]])
    assert crops.shape == (5, emb.input_size, emb.input_size, 3) and crops.dtype == np.uint8
    batch = emb.embed(crops)
    assert batch.shape == (5, emb.dim) and batch.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(emb.embed(crops[2:3])[0], batch[2], atol=1e-5)  # alone == in a batch
    np.testing.assert_allclose(emb.embed(crops), batch, atol=1e-6)  # twice == same
    x = emb.preprocess(crops)
    assert x.shape == (5, 3, emb.input_size, emb.input_size) and x.dtype == torch.float32
    assert (emb.module is None) == (name == "sface")
    with pytest.raises(ValueError):
        emb.embed(crops[..., 0])


@pytest.mark.parametrize("name", ["facenet", "sface"])
def test_same_person_more_similar_than_others(name, embedders, gallery_faces):
    from sklearn.metrics import roc_auc_score

    emb = embedders[name]
    people = np.array([p for p, _, _ in gallery_faces])
    vectors = emb.embed(np.stack([emb.crop(rgb, face) for _, rgb, face in gallery_faces]))
    sims = vectors @ vectors.T
    for person in PEOPLE:
        mine = people == person
        if mine.sum() < 2:
            continue
        intra = sims[np.ix_(mine, mine)][~np.eye(mine.sum(), dtype=bool)].mean()
        inter = sims[np.ix_(mine, ~mine)].mean()
        assert intra > inter + 0.1, (person, intra, inter)
    upper = np.triu_indices(len(people), 1)
    assert roc_auc_score((people[:, None] == people[None, :])[upper], sims[upper]) > 0.9
