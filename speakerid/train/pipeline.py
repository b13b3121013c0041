"""Train any selectable model on a face set's train split and score it on the val split."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from speakerid.train.classic import EmbeddingClassifier, fit_embedding_classifier
from speakerid.train.classifier import NetClassifier, save_embedding_classifier, save_net
from speakerid.train.data import FaceSet
from speakerid.train.embeddings import embed_crops, mirrored
from speakerid.train.specs import KINDS, LOSSES, MODELS
from speakerid.train.trainer import TrainConfig, TrainResult, train_net

if TYPE_CHECKING:
    from speakerid.faces.embedders.base import Embedder


@dataclass
class Trained:
    """One trained classifier and its held-out score."""

    name: str  # "svm", "knn" or "<arch>-<loss>"
    classifier: EmbeddingClassifier | NetClassifier
    val_accuracy: float
    history: list[dict] = field(default_factory=list)
    result: TrainResult | None = None


def run_name(model: str, loss: str) -> str:
    """File-friendly name of a model/loss combination (losses do not apply to SVM/kNN)."""
    return model if model in KINDS else f"{model}-{loss}"


def train_classifier(
    model: str,
    loss: str,
    faces: FaceSet,
    train_idx: np.ndarray,
    val_idx: np.ndarray,
    embedder: Embedder,
    cfg: TrainConfig | None = None,
    on_epoch: Callable[[dict], None] | None = None,
) -> Trained:
    """Fit ``model`` (svm, knn or a net architecture with ``loss``) on the train split; nets
    report each epoch to ``on_epoch`` (see :func:`speakerid.train.trainer.train_net`)."""
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; choose from {', '.join(MODELS)}")
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose from {', '.join(LOSSES)}")
    train, val = faces.subset(train_idx), faces.subset(val_idx)
    if model in KINDS:
        both = np.concatenate([train.crops, mirrored(train.crops)])  # every photo and its mirror image
        emb = embed_crops(embedder, both)
        labels = np.concatenate([train.labels, train.labels])
        groups = np.concatenate([np.arange(len(train))] * 2)
        clf = fit_embedding_classifier(model, emb, labels, groups, faces.classes, (embedder.name, embedder.version))
        probs = clf.predict_proba(embed_crops(embedder, val.crops))
        acc = float((probs.argmax(1) == val.labels).mean()) if len(val) else 0.0
        return Trained(model, clf, acc)
    cfg = replace(cfg or TrainConfig(), arch=model, loss=loss)
    module = embedder.module if model == "inception" else None
    result = train_net(train, val, cfg, module, on_epoch)
    clf = NetClassifier(result.net, list(faces.classes), embedder.name, embedder.version, result.threshold)
    return Trained(run_name(model, loss), clf, result.val_accuracy, result.history, result)


def save_trained(t: Trained, path: str | Path, extra: dict) -> Path:
    """Write the classifier file (see :mod:`speakerid.train.classifier`)."""
    extra = {"name": t.name, "val_accuracy": t.val_accuracy, **extra}
    if t.result is not None:
        return save_net(
            path, t.result, t.classifier.classes, (t.classifier.embedder, t.classifier.embedder_version), extra
        )
    return save_embedding_classifier(path, t.classifier, extra)
