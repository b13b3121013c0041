"""Pair verification (is A the same person as B?) and its metrics: ROC AUC, best accuracy, TAR@FAR.

Trials file: one pair per line, ``path_a path_b [label]`` (whitespace or tabs; label 1 = same
person, 0 = different; ``#`` starts a comment). Each image is embedded once per run, from its
main face (large and central, see ``main_face``); an image without a detected face falls back
to a centre crop (LFW-style centred portraits) or is left unscored, and is counted either way.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, TextIO

import cv2
import numpy as np
from sklearn.metrics import roc_auc_score, roc_curve

from speakerid.errors import SpeakeridError
from speakerid.faces.detect import Detector, centre_face, main_face
from speakerid.faces.embedders.base import Embedder

MAX_SIDE = 1280  # larger photos are shrunk before detection: MTCNN's pyramid grows with size


@dataclass(frozen=True)
class Trial:
    """One pair to verify; ``label`` 1 same person, 0 different, None unknown."""

    a: str
    b: str
    label: int | None = None


@dataclass
class ImageEmbeddings:
    """Embeddings by image path, and which images needed the fallback or could not be used."""

    vectors: dict[str, np.ndarray] = field(default_factory=dict)
    centre_crops: list[str] = field(default_factory=list)
    no_face: list[str] = field(default_factory=list)
    unreadable: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Metrics:
    """Verification quality over labelled, scored pairs."""

    pairs: int
    auc: float
    best_accuracy: float
    best_threshold: float
    far: float
    tar: float
    negatives: int


def read_trials(path: str | Path) -> list[Trial]:
    """Parse a trials file; SpeakeridError naming the file and line when it is malformed."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpeakeridError(f"{path}: cannot read trials file ({exc.__class__.__name__})") from None
    trials = []
    for number, line in enumerate(text.splitlines(), 1):
        fields = line.split("#", 1)[0].split()
        if not fields:
            continue
        if len(fields) not in (2, 3) or (len(fields) == 3 and fields[2] not in ("0", "1")):
            raise SpeakeridError(f"{path}:{number}: expected 'path_a path_b [0|1]', got {line.strip()!r}")
        trials.append(Trial(fields[0], fields[1], int(fields[2]) if len(fields) == 3 else None))
    if not trials:
        raise SpeakeridError(f"{path}: no trials in file")
    if len({t.label is None for t in trials}) > 1:
        raise SpeakeridError(f"{path}: some trials have a label and some do not")
    return trials


def lfw_trials(pairs_file: str | Path, images: str | Path) -> list[Trial]:
    """Trials from an LFW pairs file (``name i j`` same, ``name1 i name2 j`` different; first
    line a count), keeping pairs whose two images exist under ``images/<name>/<name>_NNNN.jpg``."""
    pairs_file, trials = Path(pairs_file), []
    try:
        lines = pairs_file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise SpeakeridError(f"{pairs_file}: cannot read LFW pairs file ({exc.__class__.__name__})") from None
    for number, line in enumerate(lines[1:], 2):
        f = line.split()
        if len(f) not in (3, 4) or not all(x.isdigit() for x in (f[1], f[-1])):
            raise SpeakeridError(f"{pairs_file}:{number}: not an LFW pair line: {line.strip()!r}")
        (na, ia), (nb, ib) = ((f[0], f[1]), (f[0], f[2])) if len(f) == 3 else ((f[0], f[1]), (f[2], f[3]))
        a, b = f"{na}/{na}_{int(ia):04d}.jpg", f"{nb}/{nb}_{int(ib):04d}.jpg"
        if (Path(images) / a).exists() and (Path(images) / b).exists():
            trials.append(Trial(a, b, int(len(f) == 3)))
    return trials


def write_trials(path: str | Path, trials: list[Trial]) -> None:
    """A trials file ``read_trials`` reads back (tab separated)."""
    rows = ["\t".join([t.a, t.b] + ([] if t.label is None else [str(t.label)])) for t in trials]
    Path(path).write_text("\n".join(rows) + "\n", encoding="utf-8")


def _load(path: Path) -> np.ndarray:
    """RGB uint8, shrunk to at most MAX_SIDE pixels on its long side."""
    from speakerid.identity.enroll import load_rgb  # EXIF-aware image reading, shared with enrollment

    image = load_rgb(path)
    scale = MAX_SIDE / max(image.shape[:2])
    if scale < 1:
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return image


def embed_images(
    paths: Iterable[str],
    root: str | Path,
    detector: Detector,
    embedder: Embedder,
    *,
    centre_fallback: bool = True,
    batch_size: int = 32,
    progress: Callable[[int], None] | None = None,
) -> ImageEmbeddings:
    """Embed each image's main face, ``batch_size`` images at a time (detection per size)."""
    paths, result = list(dict.fromkeys(paths)), ImageEmbeddings()
    for start in range(0, len(paths), batch_size):
        images: dict[str, np.ndarray] = {}
        for rel in paths[start:start + batch_size]:
            try:
                images[rel] = _load(Path(root) / rel)
            except SpeakeridError as exc:
                result.unreadable[rel] = str(exc)
        by_size: dict[tuple[int, ...], list[str]] = {}
        for rel, image in images.items():
            by_size.setdefault(image.shape, []).append(rel)
        crops, names = [], []
        for group in by_size.values():
            for rel, faces in zip(group, detector.detect(np.stack([images[r] for r in group]))):
                face = main_face(faces, *images[rel].shape[:2])
                if face is None and centre_fallback:
                    face = centre_face(*images[rel].shape[:2])
                    result.centre_crops.append(rel)
                elif face is None:
                    result.no_face.append(rel)
                    continue
                crops.append(embedder.crop(images[rel], face))
                names.append(rel)
        if crops:
            result.vectors.update(zip(names, embedder.embed(np.stack(crops))))
        if progress:
            progress(len(paths[start:start + batch_size]))
    return result


def score_trials(trials: list[Trial], vectors: dict[str, np.ndarray]) -> np.ndarray:
    """Cosine similarity per trial (vectors are unit length); NaN when an image has no vector."""
    scores = np.full(len(trials), np.nan, np.float64)
    for i, trial in enumerate(trials):
        if trial.a in vectors and trial.b in vectors:
            scores[i] = float(np.dot(vectors[trial.a], vectors[trial.b]))
    return scores


def verification_metrics(scores: np.ndarray, labels: np.ndarray, far: float = 1e-3) -> Metrics:
    """ROC AUC, the best accuracy over thresholds (score >= t means same) and TAR at ``far``.

    With N different-person pairs FAR is resolved only to 1/N: TAR@FAR is the true-accept rate at
    the largest measured FAR not above ``far``.
    """
    scores, labels = np.asarray(scores, np.float64), np.asarray(labels, np.int64)
    if len(set(labels.tolist())) < 2:
        raise SpeakeridError("metrics need both same-person (1) and different-person (0) pairs")
    fpr, tpr, thresholds = roc_curve(labels, scores)
    positives, negatives = int(labels.sum()), int((labels == 0).sum())
    accuracy = (tpr * positives + (1 - fpr) * negatives) / len(labels)
    best = int(np.argmax(accuracy))
    return Metrics(
        pairs=len(labels), auc=float(roc_auc_score(labels, scores)), best_accuracy=float(accuracy[best]),
        best_threshold=float(thresholds[best]), far=far, tar=float(tpr[fpr <= far].max()), negatives=negatives,
    )


def write_scores(out: TextIO, trials: list[Trial], scores: np.ndarray) -> None:
    """CSV ``path_a,path_b,score[,label]``; an unscored pair has an empty score."""
    labelled = trials[0].label is not None
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["path_a", "path_b", "score"] + (["label"] if labelled else []))
    for trial, score in zip(trials, scores):
        row = [trial.a, trial.b, "" if np.isnan(score) else f"{score:.6f}"]
        writer.writerow(row + ([trial.label] if labelled else []))
