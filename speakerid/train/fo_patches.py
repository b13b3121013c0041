"""Face crops as a FiftyOne image dataset: where evaluations, embedding maps and heatmaps live.

Each face is saved once as a PNG (named by a hash of its source and crop, so reruns reuse the
file and the sample) and becomes a sample with ``ground_truth`` (fo.Classification), its
``source`` and whether the detector found it. Evaluations add a predictions field and a
FiftyOne evaluation run (``evaluate_classifications``) to the same samples.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from speakerid.labels.fiftyone_writer import get_or_create_dataset
from speakerid.train.data import FaceSet

GT = "ground_truth"


def patch_paths(faces: FaceSet, patch_dir: str | Path) -> list[str]:
    """Write each crop as ``<patch_dir>/<class>/<hash>.png`` (skipped when present); their paths."""
    out = []
    for crop, label, source in zip(faces.crops, faces.labels, faces.sources):
        digest = hashlib.sha256(source.encode() + crop.tobytes()).hexdigest()[:16]
        path = Path(patch_dir, faces.classes[label], f"{digest}.png").resolve()
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(crop).save(path)
        out.append(str(path))
    return out


def face_patch_dataset(name: str, faces: FaceSet, patch_dir: str | Path) -> tuple[Any, list[str]]:
    """The dataset ``name`` holding one sample per face (added if missing); (dataset, filepaths)."""
    import fiftyone as fo

    ds = get_or_create_dataset(name, media_type="image")
    paths = patch_paths(faces, patch_dir)
    have = set(ds.values("filepath")) if len(ds) else set()
    new = [
        fo.Sample(filepath=p, ground_truth=fo.Classification(label=faces.classes[y]), source=s, detected=bool(d))
        for p, y, s, d in zip(paths, faces.labels, faces.sources, faces.detected)
        if p not in have
    ]
    if new:
        ds.add_samples(new)
    return ds, paths


def write_predictions(
    ds: Any, paths: list[str], truth: list[str], names: list[str], confidences: np.ndarray, eval_key: str
) -> Any:
    """Store one classifier's view of the faces and run FiftyOne's classification evaluation.

    ``<eval_key>_truth`` is the identity as this classifier should name it (``unknown`` for
    people it never learned, so open-set errors show up in the confusion matrix);
    ``<eval_key>_predictions`` is what it said. Returns FiftyOne's ClassificationResults
    (``report()``, ``plot_confusion_matrix()``); the run is saved under ``eval_key`` and each
    sample's correctness in that field.
    """
    import fiftyone as fo

    gt, pred = f"{eval_key}_truth", f"{eval_key}_predictions"
    ds.set_values(gt, {p: fo.Classification(label=t) for p, t in zip(paths, truth)}, key_field="filepath")
    preds = {p: fo.Classification(label=n, confidence=float(c)) for p, n, c in zip(paths, names, confidences)}
    ds.set_values(pred, preds, key_field="filepath")
    if eval_key in ds.list_evaluations():
        ds.delete_evaluation(eval_key)
    view = ds.select_by("filepath", paths)
    return view.evaluate_classifications(pred, gt_field=gt, eval_key=eval_key)
