"""Held-out evaluation: classification accuracy, text-query retrieval (recall@k, mAP), zero-shot.

Retrieval queries are label texts embedded by the text encoder; a clip is relevant when its label
is the query's. Zero-shot queries are labels that were kept out of training entirely, searched
in a pool of their clips plus the held-out clips of the trained labels. Every figure comes with
its chance level so a reader can tell signal from luck.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score

KS = (1, 3, 5)


def retrieval_metrics(
    embs: np.ndarray, labels: list[str], query_labels: list[str], query_embs: np.ndarray, ks: tuple[int, ...] = KS
) -> dict:
    """recall@k and AP per query label (cosine ranking), their means, and chance AP.

    Query labels with no relevant clip in the pool are skipped (their AP is undefined).
    """
    labels_arr = np.asarray(labels)
    scores = query_embs @ embs.T
    per_label: dict[str, dict] = {}
    for label, row in zip(query_labels, scores):
        relevant = labels_arr == label
        if not relevant.any():
            continue
        order = np.argsort(-row, kind="stable")
        entry = {f"recall@{k}": float(relevant[order[:k]].sum() / relevant.sum()) for k in ks}
        entry["ap"] = float(average_precision_score(relevant, row))
        entry["chance_ap"] = float(relevant.mean())
        entry["n_relevant"] = int(relevant.sum())
        per_label[label] = entry
    out: dict = {"per_label": per_label, "pool_size": int(len(labels_arr))}
    if per_label:
        for key in [f"recall@{k}" for k in ks] + ["ap", "chance_ap"]:
            name = "mAP" if key == "ap" else ("chance_mAP" if key == "chance_ap" else key)
            out[name] = float(np.mean([e[key] for e in per_label.values()]))
    return out


def nearest_text_accuracy(embs: np.ndarray, labels: list[str], text_labels: list[str], text_embs: np.ndarray) -> float:
    """Share of clips whose nearest label text (cosine) is their own label."""
    if len(embs) == 0:
        return float("nan")
    pred = np.asarray(text_labels)[np.argmax(embs @ text_embs.T, axis=1)]
    return float(np.mean(pred == np.asarray(labels)))


def evaluate_split(
    logits: np.ndarray, embs: np.ndarray, labels: list[str], train_labels: list[str], label_embs: np.ndarray
) -> dict:
    """Softmax and embedding accuracy plus retrieval on the held-out clips of trained labels."""
    labels_arr = np.asarray(labels)
    pred = np.asarray(train_labels)[np.argmax(logits, axis=1)] if len(logits) else labels_arr
    counts = np.unique(labels_arr, return_counts=True)[1]
    return {
        "n_clips": int(len(labels_arr)),
        "accuracy": float(np.mean(pred == labels_arr)) if len(labels_arr) else float("nan"),
        "embedding_accuracy": nearest_text_accuracy(embs, labels, train_labels, label_embs),
        "chance_accuracy": 1.0 / len(train_labels),
        "majority_accuracy": float(counts.max() / counts.sum()) if len(counts) else float("nan"),
        "retrieval": retrieval_metrics(embs, labels, train_labels, label_embs),
    }


def evaluate_zero_shot(
    val_embs: np.ndarray,
    val_labels: list[str],
    held_embs: np.ndarray,
    held_labels: list[str],
    train_labels: list[str],
    train_embs: np.ndarray,
    unseen_labels: list[str],
    unseen_embs: np.ndarray,
) -> dict:
    """Queries by never-trained label texts over held-out clips of seen + unseen labels.

    ``generalized_accuracy``: share of unseen-label clips whose nearest text among *all* label
    texts (seen and unseen) is their own, the hard "generalised zero-shot" setting.
    """
    pool = np.concatenate([val_embs, held_embs]) if len(val_embs) else held_embs
    pool_labels = list(val_labels) + list(held_labels)
    all_labels = list(train_labels) + list(unseen_labels)
    all_embs = np.concatenate([train_embs, unseen_embs])
    return {
        "unseen_labels": list(unseen_labels),
        "n_unseen_clips": int(len(held_labels)),
        "retrieval": retrieval_metrics(pool, pool_labels, unseen_labels, unseen_embs),
        "generalized_accuracy": nearest_text_accuracy(held_embs, held_labels, all_labels, all_embs),
        "chance_generalized_accuracy": 1.0 / len(all_labels),
    }


def write_run(samples, run_key: str, config: dict, metrics: dict) -> None:
    """Store the evaluation as a FiftyOne custom run (config + results) on the dataset."""
    cfg = samples.init_run(**config)
    samples.register_run(run_key, cfg, overwrite=True)
    samples.save_run_results(run_key, samples.init_run_results(run_key, **metrics))
