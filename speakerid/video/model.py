"""Video2Vec head (reference 004): per-stream RNN over frame features -> MLP -> text space.

Each stream (RGB, flow) has its own GRU/LSTM (hidden 1024 in the paper), fed through
``pack_padded_sequence`` so padding of short windows never reaches the state; the two final
states (2 x 1024 = 2048) go through an MLP (2048 -> 1200 -> text dim; the paper's word2vec had
500, MiniLM has 384) giving an L2-normalised embedding, and a softmax head on the hidden layer
classifies. Checkpoints are a folder with ``model.safetensors`` and ``config.json``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file
from safetensors.torch import save as st_save
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from speakerid.cache import atomic_write_bytes
from speakerid.errors import SpeakeridError

MODEL_FILE = "model.safetensors"
CONFIG_FILE = "config.json"


@dataclass
class HeadConfig:
    """The trainable part's size (paper: RNN hidden 1024 per stream, MLP hidden 1200)."""

    rnn: str = "gru"
    hidden: int = 1024
    mlp_hidden: int = 1200
    dropout: float = 0.3


@dataclass
class ModelConfig:
    """Architecture; saved in the checkpoint's ``config.json``."""

    num_classes: int
    embed_dim: int
    rgb_dim: int = 1280
    flow_dim: int = 1280
    head: HeadConfig = field(default_factory=HeadConfig)


@dataclass
class CheckpointMeta:
    """What a model needs besides weights: its classes, their texts and how features were made."""

    labels: list[str]
    label_texts: list[str]
    text_encoder: str
    features: dict
    window_s: float
    extra: dict = field(default_factory=dict)


class TwoStreamRNN(nn.Module):
    """(rgb, flow, lengths) -> (class logits, unit embedding in the text space)."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        head = config.head
        if head.rnn not in ("gru", "lstm"):
            raise SpeakeridError(f"rnn {head.rnn!r}: expected 'gru' or 'lstm'")
        self.config = config
        rnn = nn.GRU if head.rnn == "gru" else nn.LSTM
        self.rgb_rnn = rnn(config.rgb_dim, head.hidden, batch_first=True)
        self.flow_rnn = rnn(config.flow_dim, head.hidden, batch_first=True)
        self.mlp = nn.Sequential(
            nn.Dropout(head.dropout), nn.Linear(2 * head.hidden, head.mlp_hidden), nn.ReLU(), nn.Dropout(head.dropout)
        )
        self.embed = nn.Linear(head.mlp_hidden, config.embed_dim)
        self.classify = nn.Linear(head.mlp_hidden, config.num_classes)

    def _encode(self, rnn: nn.Module, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        _, state = rnn(packed)
        if isinstance(state, tuple):  # LSTM: (h, c)
            state = state[0]
        return state[-1]

    def forward(
        self, rgb: torch.Tensor, flow: torch.Tensor, lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        h = torch.cat([self._encode(self.rgb_rnn, rgb, lengths), self._encode(self.flow_rnn, flow, lengths)], dim=1)
        h = self.mlp(h)
        return self.classify(h), F.normalize(self.embed(h), dim=1)


def collate(feats: list) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """ClipFeatures list -> zero-padded (B,T,Dr), (B,T,Df) and lengths (B,) for the mask."""
    lengths = torch.tensor([len(f) for f in feats], dtype=torch.long)
    t = int(lengths.max())
    rgb = torch.zeros(len(feats), t, feats[0].rgb.shape[1])
    flow = torch.zeros(len(feats), t, feats[0].flow.shape[1])
    for i, f in enumerate(feats):
        rgb[i, : len(f)] = torch.from_numpy(f.rgb)
        flow[i, : len(f)] = torch.from_numpy(f.flow)
    return rgb, flow, lengths


@torch.inference_mode()
def predict(model: TwoStreamRNN, feats: list, batch_size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """(logits (N,C), embeddings (N,D)) as numpy, in eval mode."""
    model.eval()
    logits, embs = [], []
    for i in range(0, len(feats), batch_size):
        lo, em = model(*collate(feats[i : i + batch_size]))
        logits.append(lo.numpy())
        embs.append(em.numpy())
    if not logits:
        return (np.zeros((0, model.config.num_classes), np.float32), np.zeros((0, model.config.embed_dim), np.float32))
    return np.concatenate(logits), np.concatenate(embs)


def hinge_rank_loss(emb: torch.Tensor, targets: torch.Tensor, label_embs: torch.Tensor, margin: float) -> torch.Tensor:
    """DeViSE ranking loss: the true label text must beat every other by ``margin`` (cosine).

    ``label_embs`` (C, D) unit rows are all training label texts (those of the batch included);
    the loss is the mean over clips of ``sum_j max(0, margin - s_true + s_j)``.
    """
    scores = emb @ label_embs.T
    true = scores.gather(1, targets[:, None])
    viol = (margin - true + scores).clamp(min=0)
    viol = viol.masked_fill(F.one_hot(targets, label_embs.shape[0]).bool(), 0.0)
    return viol.sum(dim=1).mean()


def save_checkpoint(folder: str | Path, model: TwoStreamRNN, meta: CheckpointMeta) -> Path:
    """Write weights (safetensors) and config (JSON) into ``folder``."""
    folder = Path(folder)
    state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    atomic_write_bytes(folder / MODEL_FILE, st_save(state))  # each file whole, old or new
    doc = {"format": "speakerid-video2vec/1", "model": asdict(model.config), "meta": asdict(meta)}
    atomic_write_bytes(folder / CONFIG_FILE, json.dumps(doc, indent=2).encode())
    return folder


def resolve_checkpoint(path: str | Path) -> Path:
    """A checkpoint folder, or a training output folder (its ``best/``), or a file inside one."""
    path = Path(path)
    if path.is_file():
        path = path.parent
    for cand in (path, path / "best"):
        if (cand / CONFIG_FILE).is_file() and (cand / MODEL_FILE).is_file():
            return cand
    raise SpeakeridError(f"{path}: not a video2vec checkpoint (no {CONFIG_FILE} + {MODEL_FILE})")


def load_checkpoint(path: str | Path) -> tuple[TwoStreamRNN, CheckpointMeta]:
    """Model in eval mode plus its metadata (no pickle anywhere)."""
    folder = resolve_checkpoint(path)
    try:
        doc = json.loads((folder / CONFIG_FILE).read_text())
        arch = dict(doc["model"])
        arch["head"] = HeadConfig(**arch.get("head", {}))
        model = TwoStreamRNN(ModelConfig(**arch))
        model.load_state_dict(load_file(str(folder / MODEL_FILE)))
        meta = CheckpointMeta(**doc["meta"])
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise SpeakeridError(f"{folder}: unreadable video2vec checkpoint ({exc})") from exc
    return model.eval(), meta
