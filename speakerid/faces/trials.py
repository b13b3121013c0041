"""Pairs of face photos to verify (is A the same person as B?): the trials file, LFW pair lists,
cosine scores of the pairs, and the scores CSV.

Trials file: one pair per line, ``path_a path_b [label]`` (whitespace or tabs; label 1 = same
person, 0 = different; ``#`` starts a comment).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import numpy as np

from speakerid.errors import SpeakeridError


@dataclass(frozen=True)
class Trial:
    """One pair to verify; ``label`` 1 same person, 0 different, None unknown."""

    a: str
    b: str
    label: int | None = None


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


def score_trials(trials: list[Trial], vectors: dict[str, np.ndarray]) -> np.ndarray:
    """Cosine similarity per trial (vectors are unit length); NaN when an image has no vector."""
    scores = np.full(len(trials), np.nan, np.float64)
    for i, trial in enumerate(trials):
        if trial.a in vectors and trial.b in vectors:
            scores[i] = float(np.dot(vectors[trial.a], vectors[trial.b]))
    return scores


def write_scores(out: TextIO, trials: list[Trial], scores: np.ndarray) -> None:
    """CSV ``path_a,path_b,score[,label]``; an unscored pair has an empty score."""
    labelled = trials[0].label is not None
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["path_a", "path_b", "score"] + (["label"] if labelled else []))
    for trial, score in zip(trials, scores):
        row = [trial.a, trial.b, "" if np.isnan(score) else f"{score:.6f}"]
        writer.writerow(row + ([trial.label] if labelled else []))
