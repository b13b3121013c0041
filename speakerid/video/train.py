"""Train the Video2Vec head on cached frozen two-stream features.

The CNN streams stay frozen (ImageNet MobileNetV2), so each window is decoded and featurised
once (see :mod:`speakerid.video.features`) and every epoch only runs the RNN + MLP heads: a
demo training takes seconds per epoch on a 2-core CPU. Loss = hinge ranking loss against the
label texts (margin 0.55, or 0.4 for zero-shot, as in reference 004) + cross-entropy. The split
is by group (video or window) so no frame is in both train and validation. Resumable: ``last/``
holds weights, optimizer, scheduler, RNG and history; ``best/`` the lowest-val-loss weights;
both are written every ``save_every`` epochs and at the end (the paper-size model is ~60 MB).
Every file is written atomically, and the resume state is one self-contained file
(``train_state.safetensors``, its JSON part in the safetensors header), so a run killed while
saving resumes from the previous save, never from a mix of two.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors import safe_open
from safetensors.torch import save as st_save

from speakerid.cache import atomic_write_bytes
from speakerid.errors import SpeakeridError
from speakerid.seeding import seed_everything
from speakerid.video.clips import labelled_spans, split_clips, window_clips
from speakerid.video.evaluate import evaluate_split, evaluate_zero_shot, write_run
from speakerid.video.features import FeatureSettings, FeatureStore
from speakerid.video.model import (
    CheckpointMeta,
    HeadConfig,
    ModelConfig,
    TwoStreamRNN,
    collate,
    hinge_rank_loss,
    load_checkpoint,
    predict,
    save_checkpoint,
)
from speakerid.video.text import DEFAULT_TEXT_ENCODER, get_text_encoder, label_text


@dataclass
class TrainSettings:
    """Everything a training run depends on (saved in the metrics JSON)."""

    label_field: str
    out_dir: str
    features: FeatureSettings = field(default_factory=FeatureSettings)
    window_s: float = 1.0
    epochs: int = 40
    batch_size: int = 30
    lr: float = 1e-3
    lr_halve_every: int = 15
    margin: float = 0.55
    ce_weight: float = 1.0
    val_fraction: float = 0.25
    split_by: str = "video"
    seed: int = 0
    patience: int = 10
    save_every: int = 5
    head: HeadConfig = field(default_factory=HeadConfig)
    holdout_labels: list[str] = field(default_factory=list)
    label_texts: dict[str, str] = field(default_factory=dict)
    text_encoder: str = DEFAULT_TEXT_ENCODER
    resume: bool = False
    run_key: str | None = "video2vec_eval"


@dataclass
class Prepared:
    """Window features and labels, split into train / val / held-out-label clips."""

    feats: list
    labels: list[str]
    train: list[int]
    val: list[int]
    held: list[int]
    classes: list[str]


def prepare(samples, s: TrainSettings, progress: Callable[[int, int], None] | None = None) -> Prepared:
    """Windows of every labelled span, their (cached) features, and the leak-free split;
    ``progress(done, total)`` counts windows featurised."""
    clips = window_clips(labelled_spans(samples, s.label_field), s.window_s)
    store = FeatureStore(s.features)
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, len(clips))

    feats = store.get_many(clips, advance=advance)
    keep = [i for i, f in enumerate(feats) if f is not None]
    clips, feats = [clips[i] for i in keep], [feats[i] for i in keep]
    labels = [c.label for c in clips]
    held = [i for i, lab in enumerate(labels) if lab in s.holdout_labels]
    seen = [i for i, lab in enumerate(labels) if lab not in s.holdout_labels]
    classes = sorted({labels[i] for i in seen})
    if len(classes) < 2:
        raise SpeakeridError(f"{s.label_field}: need clips of at least 2 labels to train, got {classes}")
    tr, va = split_clips([clips[i] for i in seen], s.val_fraction, s.split_by, s.seed)
    return Prepared(feats, labels, [seen[i] for i in tr], [seen[i] for i in va], held, classes)


def _batches(n: int, size: int, seed: int, epoch: int) -> list[list[int]]:
    """Shuffled batches that depend only on (seed, epoch), so a resumed run sees the same ones."""
    gen = torch.Generator().manual_seed(seed * 100003 + epoch)
    order = torch.randperm(n, generator=gen).tolist()
    return [order[i : i + size] for i in range(0, n, size)]


def _loss(model, feats, targets, label_embs, s: TrainSettings):
    logits, emb = model(*collate(feats))
    loss = hinge_rank_loss(emb, targets, label_embs, s.margin)
    loss = loss + s.ce_weight * F.cross_entropy(logits, targets)
    return loss, (logits.argmax(1) == targets).float().sum().item()


STATE_FILE = "train_state.safetensors"


def _save_state(folder: Path, model, opt, sched, state: dict) -> None:
    """Weights, optimizer tensors and RNG as tensors; scalars, schedule and history as JSON in the
    same file's header: one atomic write, so the resume state is never half new."""
    tensors = {f"model.{k}": v.detach().contiguous() for k, v in model.state_dict().items()}
    opt_state = opt.state_dict()
    for idx, st in opt_state["state"].items():
        for name, val in st.items():
            tensors[f"opt.{idx}.{name}"] = torch.as_tensor(val).contiguous()
    tensors["rng.torch"] = torch.get_rng_state()
    doc = {"param_groups": opt_state["param_groups"], "scheduler": sched.state_dict(), **state}
    atomic_write_bytes(folder / STATE_FILE, st_save(tensors, metadata={"state": json.dumps(doc)}))


def _load_state(folder: Path, model, opt, sched) -> dict:
    try:
        with safe_open(str(folder / STATE_FILE), framework="pt") as fh:
            doc = json.loads(fh.metadata()["state"])
            tensors = {k: fh.get_tensor(k) for k in fh.keys()}
    except (OSError, KeyError, ValueError, TypeError) as exc:
        raise SpeakeridError(
            f"{folder / STATE_FILE}: unreadable resume state ({type(exc).__name__}); "
            f"rerun without --resume to start over"
        ) from None
    model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
    opt_state: dict = {"state": {}, "param_groups": doc.pop("param_groups")}
    for key, val in tensors.items():
        if key.startswith("opt."):
            _, idx, name = key.split(".", 2)
            opt_state["state"].setdefault(int(idx), {})[name] = val
    opt.load_state_dict(opt_state)
    sched.load_state_dict(doc.pop("scheduler"))
    torch.set_rng_state(tensors["rng.torch"])
    return doc


def _flush(out: Path, model, best: dict, meta: CheckpointMeta, opt, sched, state: dict) -> None:
    """Write ``best/`` and the resumable ``last/`` together, so they always agree on disk."""
    save_checkpoint(out / "last", model, meta)
    _save_state(out / "last", model, opt, sched, state)
    current = {k: v.detach().clone() for k, v in model.state_dict().items()}
    model.load_state_dict(best)
    save_checkpoint(out / "best", model, meta)
    model.load_state_dict(current)


def train_video_model(
    samples,
    s: TrainSettings,
    progress: Callable[[int, int], None] | None = None,
    on_epoch: Callable[[dict], None] | None = None,
) -> dict:
    """Train, keep the best checkpoint, evaluate it on held-out clips; return the metrics.

    ``progress(done, total)`` counts windows featurised; ``on_epoch(row)`` gets each epoch's
    history row (losses, accuracies, ``lr``) with ``epochs``, the most this run will train.
    """
    seed_everything(s.seed)
    out = Path(s.out_dir)
    data = prepare(samples, s, progress)
    encoder = get_text_encoder(s.text_encoder)
    texts = [s.label_texts.get(c, label_text(c)) for c in data.classes]
    label_embs = torch.from_numpy(encoder.encode(texts))
    cfg = ModelConfig(
        num_classes=len(data.classes),
        embed_dim=encoder.dim,
        head=s.head,
        rgb_dim=data.feats[0].rgb.shape[1],
        flow_dim=data.feats[0].flow.shape[1],
    )
    meta = CheckpointMeta(
        data.classes, texts, s.text_encoder, s.features.to_dict(), s.window_s, {"label_field": s.label_field}
    )
    model = TwoStreamRNN(cfg)
    opt = torch.optim.Adam(model.parameters(), lr=s.lr)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=s.lr_halve_every, gamma=0.5)
    index = {c: i for i, c in enumerate(data.classes)}
    target = {i: index[data.labels[i]] for i in data.train + data.val}
    state = {"epoch": 0, "history": [], "best_val_loss": None, "bad_epochs": 0}
    best = None
    if s.resume and (out / "last" / STATE_FILE).is_file():
        best = load_checkpoint(out / "best")[0].state_dict()  # before the RNG is restored
        state = _load_state(out / "last", model, opt, sched)

    while state["epoch"] < s.epochs and state["bad_epochs"] < s.patience:
        epoch = state["epoch"]
        model.train()
        tot, correct = 0.0, 0.0
        for batch in _batches(len(data.train), s.batch_size, s.seed, epoch):
            idx = [data.train[i] for i in batch]
            loss, ok = _loss(model, [data.feats[i] for i in idx], torch.tensor([target[i] for i in idx]), label_embs, s)
            opt.zero_grad()
            loss.backward()
            opt.step()
            tot += loss.item() * len(idx)
            correct += ok
        sched.step()
        model.eval()
        with torch.inference_mode():
            vloss, vok = _loss(
                model, [data.feats[i] for i in data.val], torch.tensor([target[i] for i in data.val]), label_embs, s
            )
        row = {
            "epoch": epoch + 1,
            "train_loss": tot / len(data.train),
            "train_accuracy": correct / len(data.train),
            "val_loss": vloss.item(),
            "val_accuracy": vok / len(data.val),
            "lr": opt.param_groups[0]["lr"],
        }
        state["history"].append(row)
        state["epoch"] = epoch + 1
        if state["best_val_loss"] is None or row["val_loss"] < state["best_val_loss"] - 1e-6:
            state["best_val_loss"], state["bad_epochs"] = row["val_loss"], 0
            best = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            state["bad_epochs"] += 1
        finished = state["epoch"] >= s.epochs or state["bad_epochs"] >= s.patience
        if finished or state["epoch"] % s.save_every == 0:
            _flush(out, model, best, meta, opt, sched, state)
        if on_epoch is not None:
            on_epoch({**row, "epochs": s.epochs})

    metrics = evaluate_checkpoint(out / "best", data, s)
    metrics.update(
        {
            "history": state["history"],
            "stopped_early": state["epoch"] < s.epochs,
            "n_train": len(data.train),
            "n_val": len(data.val),
            "n_holdout": len(data.held),
            "classes": data.classes,
            "settings": asdict(s),
        }
    )
    atomic_write_bytes(out / "metrics.json", json.dumps(metrics, indent=2).encode())
    if s.run_key:
        summary = {k: v for k, v in metrics.items() if k not in ("history", "settings")}
        write_run(
            samples,
            s.run_key,
            {"method": "video2vec", "checkpoint": str(out / "best"), "label_field": s.label_field},
            summary,
        )
    return metrics


def evaluate_checkpoint(ckpt: Path, data: Prepared, s: TrainSettings) -> dict:
    """Held-out metrics of a checkpoint: val split of trained labels, plus zero-shot labels."""
    model, meta = load_checkpoint(ckpt)
    encoder = get_text_encoder(meta.text_encoder)
    label_embs = encoder.encode(meta.label_texts)
    val_labels = [data.labels[i] for i in data.val]
    logits, embs = predict(model, [data.feats[i] for i in data.val])
    metrics = {"val": evaluate_split(logits, embs, val_labels, meta.labels, label_embs)}
    if data.held:
        unseen = sorted({data.labels[i] for i in data.held})
        unseen_embs = encoder.encode([s.label_texts.get(c, label_text(c)) for c in unseen])
        _, held_embs = predict(model, [data.feats[i] for i in data.held])
        metrics["zero_shot"] = evaluate_zero_shot(
            embs,
            val_labels,
            held_embs,
            [data.labels[i] for i in data.held],
            meta.labels,
            label_embs,
            unseen,
            unseen_embs,
        )
    return metrics
