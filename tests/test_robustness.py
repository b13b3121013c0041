"""FGSM/PGD on a real face classifier: success is reported and the pixel budget is never exceeded."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from face_data import face_models, one_thread  # noqa: F401  (shared fixtures)

from speakerid.cli.main import main
from speakerid.explain.adversarial import attack, budget_levels, correctly_classified
from speakerid.explain.model import explainable
from speakerid.train.data import load_face_folders, split_by_image
from speakerid.train.inputs import to_input, to_uint8
from speakerid.train.pipeline import save_trained, train_classifier

SELECT = {"max_people": 10, "max_images": 12}


@pytest.fixture(scope="module")
def lfw_svm(shared_data, face_models):
    """Linear SVM on facenet embeddings of 10 LFW people, and the faces it was trained on."""
    embedder = face_models[1]
    faces = load_face_folders([shared_data / "lfw" / "images"], *face_models, **SELECT)
    train, val = split_by_image(faces.labels, 0.25, seed=0)
    trained = train_classifier("svm", "ce", faces, train, val, embedder)
    return trained, faces, embedder


@pytest.mark.slow
@pytest.mark.parametrize("method", ["pgd", "fgsm"])
def test_attack_stays_in_budget_and_reports_success(lfw_svm, method):
    trained, faces, embedder = lfw_svm
    model = explainable(trained.classifier, embedder)
    images = to_uint8(to_input(faces.crops, model.input_size))
    pick = correctly_classified(model.module, images, faces.labels, 8)
    assert len(pick) == 8 and len(set(faces.labels[pick])) == 8  # one face each of 8 people
    res = attack(model.module, images[pick], faces.labels[pick], method, budget=0.025)
    summary = res.summary()
    print(method, json.dumps(summary))
    # the budget: 2.5 % of 0..255 is 6 whole levels, and no pixel moved further
    assert res.budget_px == budget_levels(0.025) == 6
    assert np.abs(res.perturbed.astype(int) - images[pick].astype(int)).max() <= 6
    assert summary["max_change_px"] <= 6
    # the reported outcome is what the saved uint8 images really do
    x = torch.from_numpy(res.perturbed).permute(0, 3, 1, 2).float() / 255
    with torch.no_grad():
        again = torch.softmax(model.module(x), 1)
    np.testing.assert_array_equal(again.argmax(1).numpy(), res.predicted)
    fooled = again.argmax(1).numpy() != faces.labels[pick]  # judged on the saved images, not the floats
    assert summary["success_rate"] == pytest.approx(fooled.mean())
    np.testing.assert_allclose(res.true_after, again[np.arange(len(pick)), faces.labels[pick]].numpy(), atol=1e-4)
    assert summary["mean_true_confidence_after"] < summary["mean_true_confidence_before"]
    if method == "pgd":
        assert summary["success_rate"] >= 0.5  # reference 001: small budgets fool CNNs


def test_budget_must_be_a_fraction():
    with pytest.raises(ValueError):
        budget_levels(2.5)


@pytest.mark.slow
def test_cli_robustness_writes_summary_and_examples(lfw_svm, shared_data, tmp_path):
    trained, faces, _ = lfw_svm
    clf_file = save_trained(trained, tmp_path / "svm.safetensors", {"val_sources": faces.sources})
    out = tmp_path / "rob"
    args = [
        "robustness",
        str(clf_file),
        str(shared_data / "lfw" / "images"),
        "--max-people",
        "10",
        "--max-images",
        "12",
        "-n",
        "4",
        "--steps",
        "10",
        "--out",
        str(out),
        "-q",
    ]
    assert main(args) == 0
    summary = json.loads((out / "pgd-robustness.json").read_text())
    assert summary["faces"] == 4 and summary["max_change_px"] <= summary["budget_px"] == 6
    assert 0 < (out / "pgd-examples.png").stat().st_size < 200_000
