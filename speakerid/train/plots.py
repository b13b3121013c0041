"""PNG figures of training curves and evaluations (matplotlib, headless)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from speakerid.train.evaluate import Evaluation

DPI = 80


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_history(runs: dict[str, list[dict]], path: str | Path) -> Path:
    """Val accuracy per epoch of each trained net (one line per model/loss)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for name, hist in runs.items():
        ax.plot([h["epoch"] for h in hist], [h["val_accuracy"] for h in hist], marker="o", ms=3, label=name)
    ax.set(xlabel="epoch", ylabel="val accuracy", ylim=(0, 1.02), title="Face nets: held-out accuracy")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return Path(path)


def plot_evaluation(ev: Evaluation, path: str | Path, title: str = "") -> Path:
    """Confusion matrix (row-normalised) beside the verification ROC curve."""
    plt = _pyplot()
    cm = np.asarray(ev.summary["closed_set"]["confusion"], float)
    cm = cm / np.maximum(cm.sum(1, keepdims=True), 1)
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4.6), gridspec_kw={"width_ratios": [1.25, 1]})
    a.imshow(cm, cmap="Blues", vmin=0, vmax=1)
    ticks = range(len(ev.classes))
    a.set_xticks(ticks, ev.classes, rotation=90, fontsize=6)
    a.set_yticks(ticks, ev.classes, fontsize=6)
    acc = ev.summary["closed_set"]["accuracy"]
    a.set(xlabel="predicted", ylabel="true", title=f"confusion (accuracy {acc:.1%})")
    if ev.roc is not None:
        auc = ev.summary["verification"]["auc"]
        b.plot(*ev.roc, lw=2, label=f"AUC {auc:.3f}")
    b.plot([0, 1], [0, 1], "k--", lw=0.8, label="chance")
    b.set(xlabel="false accept rate", ylabel="true accept rate", title="verification ROC (all pairs)")
    b.legend(loc="lower right")
    b.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return Path(path)
