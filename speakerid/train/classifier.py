"""Saving and loading trained face classifiers (the file ``annotate --classifier`` takes).

``load_classifier(path)`` returns an object with ``classes``, ``threshold``, ``input`` and
``predict_proba``: for ``input == "embedding"`` (SVM, kNN) it takes the gallery embedder's
embeddings; for ``input == "crop"`` (the trained nets) it takes the embedder's aligned uint8
crops, (N,S,S,3), and resizes them itself.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from speakerid.train.checkpoint import ClassifierFileError, read_classifier_file, save_classifier_file
from speakerid.train.classic import EmbeddingClassifier
from speakerid.train.inputs import batched, to_input
from speakerid.train.models import FaceNet
from speakerid.train.specs import ARCHITECTURES
from speakerid.train.trainer import TrainResult, build_net


@dataclass
class NetClassifier:
    """A trained face net; ``predict_proba`` and ``embed`` take aligned uint8 crops."""

    net: FaceNet
    classes: list[str]
    embedder: str
    embedder_version: str
    threshold: float
    meta: dict = field(default_factory=dict)
    input: str = "crop"

    @torch.no_grad()
    def predict_proba(self, crops: np.ndarray) -> np.ndarray:
        """(N, C) identity probabilities, columns in ``classes`` order."""
        self.net.eval()
        return torch.softmax(batched(to_input(crops, self.net.input_size), self.net), 1).numpy()

    @torch.no_grad()
    def embed(self, crops: np.ndarray) -> np.ndarray:
        """The net's own (N, D) face embeddings (for verification ROC and embedding maps)."""
        self.net.eval()
        return batched(to_input(crops, self.net.input_size), self.net.embed).numpy()


def save_net(path: str | Path, result: TrainResult, classes: list[str], embedder: tuple[str, str], extra: dict) -> Path:
    """Trained weights (only the tuned part of pretrained nets) + metadata to ``path``."""
    meta = {
        "kind": "net",
        "input": "crop",
        "arch": result.config.arch,
        "loss": result.config.loss,
        "classes": list(classes),
        "embedder": embedder[0],
        "embedder_version": embedder[1],
        "threshold": result.threshold,
        "val_accuracy": result.val_accuracy,
        "best_epoch": result.best_epoch,
        "config": asdict(result.config),
        "history": result.history,
        **extra,
    }
    return save_classifier_file(path, result.net.trainable_state(), meta)


def save_embedding_classifier(path: str | Path, clf: EmbeddingClassifier, extra: dict) -> Path:
    """SVM weights or kNN references + metadata to ``path``."""
    meta = {
        "kind": clf.kind,
        "input": "embedding",
        "classes": clf.classes,
        "embedder": clf.embedder,
        "embedder_version": clf.embedder_version,
        "threshold": clf.threshold,
        "temperature": clf.temperature,
        "k": clf.k,
        **extra,
    }
    return save_classifier_file(path, clf.arrays, meta)


def _embedder_module(meta: dict, path: Path) -> torch.nn.Module:
    from speakerid.faces.embedders import get_embedder

    emb = get_embedder(meta["embedder"])
    if emb.version != meta["embedder_version"]:
        raise ClassifierFileError(
            f"{path}: trained on {meta['embedder']} {meta['embedder_version']}, installed is {emb.version}"
        )
    return emb.module


def load_classifier(path: str | Path) -> EmbeddingClassifier | NetClassifier:
    """A classifier saved by ``speakerid train-faces`` (never unpickles; one-line error if unusable)."""
    path = Path(path)
    tensors, meta = read_classifier_file(path)
    kind = meta.get("kind")
    if kind in ("svm", "knn"):
        arrays = {k: v.numpy() for k, v in tensors.items()}
        return EmbeddingClassifier(
            kind,
            meta["classes"],
            meta["embedder"],
            meta["embedder_version"],
            arrays,
            meta.get("temperature", 1.0),
            meta.get("k", 3),
            meta.get("threshold", 0.0),
            meta=meta,
        )
    if kind != "net" or meta.get("arch") not in ARCHITECTURES:
        raise ClassifierFileError(f"{path}: unknown classifier kind {kind!r} / architecture {meta.get('arch')!r}")
    module = _embedder_module(meta, path) if meta["arch"] == "inception" else None
    net = build_net(meta["arch"], meta["loss"], len(meta["classes"]), module)
    if set(tensors) != set(net.trainable_state()):
        raise ClassifierFileError(f"{path}: weights do not fit a {meta['arch']}/{meta['loss']} net")
    try:
        net.load_state_dict(tensors, strict=False)
    except RuntimeError as exc:
        raise ClassifierFileError(
            f"{path}: weights do not fit a {meta['arch']}/{meta['loss']} net ({exc.__class__.__name__})"
        ) from None
    net.eval()
    return NetClassifier(
        net, meta["classes"], meta["embedder"], meta["embedder_version"], meta.get("threshold", 0.0), meta
    )
