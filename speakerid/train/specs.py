"""What ``train-faces`` can train, known without importing torch (the CLI lists the choices).

``ARCHITECTURES`` holds what the trainer and the explainers need to know about each network;
the networks themselves are built in :mod:`speakerid.train.models`.
"""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("svm", "knn")  # classifiers on the gallery embedder's embeddings
LOSSES = ("ce", "center", "triplet", "contrastive", "arcface")
TRAIN_MIN_FACE = 40  # pixels: subjects of training photos are large, and a coarse pyramid is fast


@dataclass(frozen=True)
class ArchSpec:
    """What the trainer and the explainers need to know about one architecture."""

    input_size: int
    emb_dim: int
    lr: float
    epochs: int  # default: nets from scratch need many more passes than fine-tuned ones


ARCHITECTURES: dict[str, ArchSpec] = {
    "cnn": ArchSpec(input_size=64, emb_dim=64, lr=1e-3, epochs=40),
    "vgg": ArchSpec(input_size=64, emb_dim=128, lr=1e-3, epochs=30),
    "inception": ArchSpec(input_size=160, emb_dim=512, lr=1e-3, epochs=5),
    "mobilenet": ArchSpec(input_size=112, emb_dim=128, lr=1e-3, epochs=12),
}
MODELS = KINDS + tuple(ARCHITECTURES)
