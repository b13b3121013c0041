"""Pair verification: the real ``speakerid verify`` command on LFW, its trial parsing and metrics."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import cv2
import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from speakerid.cli.main import main
from speakerid.errors import SpeakeridError
from speakerid.faces.roc import verification_metrics
from speakerid.faces.trials import lfw_trials, read_trials, write_trials


def _csv(path: Path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.slow
def test_lfw_verification_auc(shared_data, tmp_path, capsys):
    lfw = shared_data / "lfw"
    trials, scores = tmp_path / "lfw.txt", tmp_path / "scores.csv"
    pairs = lfw_trials(lfw / "pairsDevTest.txt", lfw / "images")
    assert len(pairs) == 999 and sum(t.label for t in pairs) in (499, 500)
    write_trials(trials, pairs)
    assert read_trials(trials) == pairs
    code = main(["verify", str(trials), "--root", str(lfw / "images"), "--out", str(scores), "--quiet"])
    report = capsys.readouterr().out
    assert code == 0, report
    auc = float(re.search(r"ROC AUC: ([\d.]+)", report).group(1))
    assert auc >= 0.98, report
    assert re.search(r"no face found, centre crop used: \d+", report)
    assert "pairs scored: 999 of 999" in report and "TAR@FAR=0.001" in report
    rows = _csv(scores)
    assert len(rows) == 999 and list(rows[0]) == ["path_a", "path_b", "score", "label"]
    labels = np.array([int(r["label"]) for r in rows])
    values = np.array([float(r["score"]) for r in rows])
    assert abs(roc_auc_score(labels, values) - auc) < 1e-3  # the printed AUC is the CSV's
    threshold = float(re.search(r"at threshold (-?[\d.]+)", report).group(1))
    accuracy = float(re.search(r"best accuracy: ([\d.]+)", report).group(1))
    assert abs(((values >= threshold) == labels).mean() - accuracy) < 2e-3


@pytest.fixture()
def small_root(shared_data, tmp_path) -> Path:
    """Two real obama photos, a biden photo, a face-less grey image and a broken file."""
    root = tmp_path / "imgs"
    root.mkdir()
    for name, src in (
        ("o1.jpg", "gallery/obama/obama.jpg"),
        ("o2.jpg", "gallery/obama/obama2.jpg"),
        ("b.jpg", "gallery/biden/biden2.jpg"),
    ):
        (root / name).write_bytes((shared_data / src).read_bytes())
    cv2.imwrite(str(root / "blank.png"), np.full((200, 200, 3), 127, np.uint8))
    (root / "broken.jpg").write_bytes(b"not a jpeg")
    return root


@pytest.mark.slow
def test_no_face_and_unreadable_are_reported(small_root, tmp_path, capsys):
    trials = tmp_path / "t.txt"
    trials.write_text("o1.jpg o2.jpg 1\no1.jpg\tb.jpg\t0\n# comment\n\nblank.png o1.jpg 0\nbroken.jpg o2.jpg 1\n")
    out = tmp_path / "s.csv"
    assert main(["verify", str(trials), "--root", str(small_root), "--out", str(out), "--quiet"]) == 1
    report = capsys.readouterr().out
    assert "centre crop used: 1" in report and "unreadable: 1" in report and "pairs scored: 3 of 4" in report
    rows = _csv(out)
    assert [r["score"] == "" for r in rows] == [False, False, False, True]
    assert float(rows[0]["score"]) > float(rows[1]["score"])  # obama-obama above obama-biden

    assert (
        main(
            [
                "verify",
                str(trials),
                "--root",
                str(small_root),
                "--out",
                str(out),
                "--quiet",
                "--no-centre-crop",
                "--embedder",
                "sface",
            ]
        )
        == 1
    )
    report = capsys.readouterr().out
    assert "no face found, unscored: 1" in report and "pairs scored: 2 of 4" in report
    rows = _csv(out)
    assert rows[2]["score"] == "" and float(rows[0]["score"]) > float(rows[1]["score"])


@pytest.mark.slow
def test_unlabelled_trials_write_csv_to_stdout(small_root, tmp_path, capsys):
    trials = tmp_path / "t.txt"
    trials.write_text("o1.jpg o2.jpg\n")
    assert main(["verify", str(trials), "--root", str(small_root), "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines()[0] == "path_a,path_b,score" and "ROC AUC" not in captured.err
    assert "pairs scored: 1 of 1" in captured.err


@pytest.mark.parametrize(
    "text, problem",
    [
        ("a.jpg b.jpg 2\n", "expected"),
        ("a.jpg\n", "expected"),
        ("a b 1 extra\n", "expected"),
        ("# only a comment\n", "no trials"),
        ("a b 1\nc d\n", "some trials have a label"),
    ],
)
def test_bad_trials_files(tmp_path, capsys, text, problem):
    trials = tmp_path / "bad.txt"
    trials.write_text(text)
    with pytest.raises(SpeakeridError, match=problem):
        read_trials(trials)
    assert main(["verify", str(trials), "--root", str(tmp_path), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("speakerid: error:") and str(trials) in err and "\n" not in err


def test_bad_lfw_pairs_file(tmp_path):
    pairs = tmp_path / "pairs.txt"
    pairs.write_text("1\nAbdullah_Gul 13\n")
    with pytest.raises(SpeakeridError, match="pairs.txt:2"):
        lfw_trials(pairs, tmp_path)
    with pytest.raises(SpeakeridError, match="cannot read"):
        lfw_trials(tmp_path / "absent.txt", tmp_path)


def test_missing_trials_file_and_root(tmp_path, capsys):
    assert main(["verify", str(tmp_path / "nope.txt"), "--root", str(tmp_path)]) == 2
    trials = tmp_path / "t.txt"
    trials.write_text("a b\n")
    assert main(["verify", str(trials), "--root", str(tmp_path / "nowhere")]) == 2
    assert "nowhere" in capsys.readouterr().err


def test_metrics():
    perfect = verification_metrics(np.array([0.9, 0.8, 0.3, 0.1]), np.array([1, 1, 0, 0]))
    assert perfect.auc == 1 and perfect.best_accuracy == 1 and 0.3 < perfect.best_threshold <= 0.8
    assert perfect.tar == 1 and perfect.negatives == 2
    mixed = verification_metrics(np.array([0.9, 0.4, 0.5, 0.1]), np.array([1, 1, 0, 0]))
    assert mixed.auc == pytest.approx(0.75) and mixed.best_accuracy == pytest.approx(0.75)
    assert mixed.tar == pytest.approx(0.5)  # at FAR 0 only the 0.9 pair is accepted
    with pytest.raises(SpeakeridError):
        verification_metrics(np.array([0.2, 0.3]), np.array([1, 1]))
