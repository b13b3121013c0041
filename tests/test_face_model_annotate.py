"""A classifier trained by ``speakerid train-faces`` replaces the gallery matcher in ``annotate``."""

from __future__ import annotations

import json

import pytest

from speakerid.cli.main import main
from speakerid.errors import GalleryError

pytestmark = pytest.mark.slow  # trains a classifier, then annotates the sample clip


def test_trained_svm_names_speaker(shared_data, hamilton, tmp_path):
    out = tmp_path / "models"
    assert main(["train-faces", str(shared_data / "gallery"), "--model", "svm", "--out", str(out), "-q"]) == 0
    model = out / "svm.safetensors"
    js = tmp_path / "a.json"
    code = main(
        [
            "annotate",
            str(hamilton),
            "--start",
            "3.6",
            "--end",
            "6.0",
            "--gallery",
            str(shared_data / "gallery"),
            "--face-model",
            str(model),
            "--no-dataset",
            "--json",
            str(js),
            "--quiet",
        ]
    )
    assert code == 0
    data = json.loads(js.read_text())
    assert data["settings"]["face_model"] == str(model)
    speakers = [f["speaker"] for f in data["frames"]]
    assert speakers.count("lin_manuel_miranda") >= 0.9 * len(speakers)


def test_face_model_of_other_embedder_rejected(shared_data, tmp_path):
    from speakerid.faces.embedders import get_embedder
    from speakerid.train.matcher import TrainedMatcher

    out = tmp_path / "m"
    assert (
        main(
            [
                "train-faces",
                str(shared_data / "gallery"),
                "--model",
                "knn",
                "--embedder",
                "sface",
                "--out",
                str(out),
                "-q",
            ]
        )
        == 0
    )
    with pytest.raises(GalleryError, match="trained on sface"):
        TrainedMatcher(out / "knn.safetensors", get_embedder("facenet"))
