"""Face embeddings in 2-D (PCA, t-SNE, UMAP) and nearest/farthest faces, through FiftyOne Brain.

Reference 000 plotted PCA and t-SNE of FaceNet embeddings (one cluster per person) and showed
the faces nearest to and farthest from a chosen face. Here the 2-D maps are FiftyOne Brain
visualization runs on the face-patch dataset, so they are interactive in the App's embeddings
panel, and the nearest/farthest faces are saved views built from a similarity index.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from speakerid.explain.specs import REDUCERS


def _fresh(ds: Any, key: str) -> None:
    if key in ds.list_brain_runs():
        ds.delete_brain_run(key)


def embedding_maps(
    ds: Any, paths: list[str], embeddings: np.ndarray, methods: tuple[str, ...], prefix: str
) -> dict[str, np.ndarray]:
    """One Brain visualization run per method (``<prefix>_<method>``); the (N,2) points of each."""
    import fiftyone.brain as fob

    view = ds.select_by("filepath", paths, ordered=True)
    out = {}
    for method in methods:
        if method not in REDUCERS:
            raise ValueError(f"unknown embedding map {method!r}; choose from {', '.join(REDUCERS)}")
        key = f"{prefix}_{method}"
        _fresh(ds, key)
        extra = {"perplexity": float(min(30, (len(paths) - 1) / 3))} if method == "tsne" else {}
        extra |= {"n_neighbors": int(min(15, len(paths) - 1))} if method == "umap" else {}
        res = fob.compute_visualization(
            view, embeddings=embeddings, method=method, brain_key=key, num_dims=2, seed=0, verbose=False, **extra
        )
        out[method] = np.asarray(res.points)
    return out


def similar_faces(
    ds: Any, paths: list[str], embeddings: np.ndarray, query: int, k: int, prefix: str
) -> tuple[list[str], list[str]]:
    """Filepaths of the ``k`` faces nearest to and farthest from face ``query`` (cosine).

    Also saved on the dataset as views ``<prefix>-nearest`` and ``<prefix>-farthest``.
    """
    import fiftyone.brain as fob

    view = ds.select_by("filepath", paths, ordered=True)
    key = f"{prefix}_sim"
    _fresh(ds, key)
    fob.compute_similarity(view, embeddings=embeddings, brain_key=key, backend="sklearn", metric="cosine")
    qid = view.select_by("filepath", [paths[query]]).first().id
    near = view.sort_by_similarity(qid, k=k + 1, brain_key=key).exclude([qid])
    far = view.sort_by_similarity(qid, k=k, reverse=True, brain_key=key)
    for name, v in (("nearest", near), ("farthest", far)):
        if ds.has_saved_view(f"{prefix}-{name}"):
            ds.delete_saved_view(f"{prefix}-{name}")
        ds.save_view(f"{prefix}-{name}", v)
    return near.values("filepath"), far.values("filepath")


def plot_maps(points: dict[str, np.ndarray], names: list[str], path: str | Path) -> Path:
    """Scatter plots of the 2-D maps side by side, one colour per person."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    people = sorted(set(names))
    colours = plt.get_cmap("tab20", max(len(people), 1))
    fig, axes = plt.subplots(1, len(points), figsize=(4.2 * len(points), 4.2), squeeze=False)
    for ax, (method, pts) in zip(axes[0], points.items()):
        for i, person in enumerate(people):
            sel = np.array([n == person for n in names])
            ax.scatter(pts[sel, 0], pts[sel, 1], s=14, color=colours(i), label=person)
        ax.set(title=method.upper() if method == "pca" else method, xticks=[], yticks=[])
    axes[0][-1].legend(fontsize=6, loc="center left", bbox_to_anchor=(1, 0.5), frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return Path(path)
