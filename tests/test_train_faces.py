"""Every face model trains on real gallery + LFW photos, beats chance clearly, and round-trips safely."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from face_data import face_models, one_thread  # noqa: F401  (shared fixtures)

from speakerid.cli.main import main
from speakerid.errors import SpeakeridError
from speakerid.train.classifier import load_classifier
from speakerid.train.data import load_face_folders, split_by_image
from speakerid.train.evaluate import predict_crops
from speakerid.train.pipeline import save_trained, train_classifier
from speakerid.train.trainer import TrainConfig

# Gallery people with >= 4 photos and the 10 LFW people with the most photos (<= 12 each).
SELECT = {"min_images": 4, "max_people": 10, "max_images": 12}
SELECT_ARGS = ["--min-images", "4", "--max-people", "10", "--max-images", "12"]
# LFW people outside the selection: the unknowns of the open-set evaluation.
UNKNOWN_PEOPLE = ["Tom_Cruise", "Emma_Watson", "Muhammad_Ali", "Winona_Ryder"]


@pytest.fixture(scope="module")
def roots(shared_data):
    return [shared_data / "gallery", shared_data / "lfw" / "images"]


@pytest.fixture(scope="module")
def faces(roots, face_models):
    return load_face_folders(roots, *face_models, **SELECT)


@pytest.fixture(scope="module")
def split(faces):
    return split_by_image(faces.labels, 0.25, seed=0)


@pytest.mark.slow
def test_face_set_from_gallery_and_lfw(faces, split):
    assert len(faces.classes) == 20 and len(faces) == 156
    assert {"paul_allen", "David_Beckham", "sheldon"} <= set(faces.classes)
    assert faces.crops.shape[1:] == (160, 160, 3) and faces.crops.dtype == np.uint8
    missed = int((~faces.detected).sum())
    assert 0 < missed <= 0.05 * len(faces)  # MTCNN misses a couple of tight grey crops: centre crop, counted
    train, val = split
    assert not set(train) & set(val)
    assert set(faces.labels[val]) == set(faces.labels)  # every identity has held-out photos
    assert all(np.isfinite(faces.boxes).all(1))


# (model, loss, epochs): the nets from scratch get more epochs than the fine-tuned ones.
RUNS = [
    ("svm", "ce", None),
    ("knn", "ce", None),
    ("cnn", "ce", 30),
    ("vgg", "ce", 35),
    ("inception", "ce", 3),
    ("mobilenet", "ce", 10),
    ("mobilenet", "center", 10),
    ("mobilenet", "triplet", 10),
    ("mobilenet", "contrastive", 10),
    ("mobilenet", "arcface", 10),
]


@pytest.mark.slow
@pytest.mark.parametrize("model,loss,epochs", RUNS, ids=[f"{m}-{loss}" for m, loss, _ in RUNS])
def test_model_trains_beats_chance_and_round_trips(model, loss, epochs, faces, split, face_models, tmp_path):
    _, embedder = face_models
    train, val = split
    trained = train_classifier(model, loss, faces, train, val, embedder, TrainConfig(epochs=epochs, seed=0))
    chance = max(np.bincount(faces.labels[val])) / len(val)
    print(f"{trained.name}: val accuracy {trained.val_accuracy:.3f} (chance {chance:.3f})")
    assert trained.val_accuracy >= max(3 * chance, chance + 0.2)
    if model == "svm":
        assert trained.val_accuracy >= 0.90
    # the saved file reproduces the in-memory classifier exactly, without pickle
    path = save_trained(trained, tmp_path / f"{trained.name}.safetensors", {"val_sources": []})
    loaded = load_classifier(path)
    assert loaded.classes == faces.classes and loaded.threshold == pytest.approx(trained.classifier.threshold)
    crops = faces.crops[val[:8]]
    np.testing.assert_allclose(
        predict_crops(loaded, crops, embedder), predict_crops(trained.classifier, crops, embedder), atol=1e-5
    )
    assert loaded.input == ("embedding" if model in ("svm", "knn") else "crop")


def test_classifier_file_errors_are_one_line(tmp_path):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x00" * 64)
    with pytest.raises(SpeakeridError, match="bad.safetensors: not a speakerid classifier"):
        load_classifier(bad)
    with pytest.raises(SpeakeridError, match="not found"):
        load_classifier(tmp_path / "missing.safetensors")


@pytest.mark.slow
def test_cli_train_then_evaluate_open_set(roots, shared_data, tmp_path, dataset_name):
    import fiftyone as fo

    out = tmp_path / "models"
    assert main(["train-faces", *map(str, roots), *SELECT_ARGS, "--model", "svm", "--out", str(out), "-q"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["models"]["svm"]["val_accuracy"] >= 0.9
    unknown = tmp_path / "unknown"
    unknown.mkdir()
    for name in UNKNOWN_PEOPLE:
        (unknown / name).symlink_to(shared_data / "lfw" / "images" / name)
    ev_out = tmp_path / "eval"
    args = [
        "evaluate",
        str(out / "svm.safetensors"),
        *map(str, roots),
        str(unknown),
        *SELECT_ARGS,
        "--out",
        str(ev_out),
        "--fo-name",
        dataset_name,
        "-q",
    ]
    assert main(args) == 0
    report = json.loads((ev_out / "svm-evaluation.json").read_text())
    print(json.dumps({k: report[k] for k in ("open_set", "verification")}, indent=1))
    assert report["closed_set"]["accuracy"] >= 0.9
    assert set(report["closed_set"]["per_class"]) == set(summary_classes(out))
    os_ = report["open_set"]
    assert os_["n_unknown"] == 20 and os_["n_known"] == 36
    assert os_["false_accept_rate"] <= 0.5 and os_["detect_identify_rate"] >= 0.8
    assert report["verification"]["auc"] >= 0.95
    assert Path(report["plot"]).stat().st_size > 10_000
    ds = fo.load_dataset(dataset_name)
    assert "eval_svm" in ds.list_evaluations() and len(ds) == 56
    results = ds.load_evaluation_results("eval_svm")
    assert results.report()["unknown"]["support"] == 20
    assert ds.count_values("eval_svm")[True] >= 0.8 * 56


def summary_classes(out: Path) -> list[str]:
    return json.loads((out / "svm.safetensors.json").read_text())["classes"]


@pytest.mark.slow
def test_faces_from_a_fiftyone_detections_dataset(shared_data, face_models, dataset_name):
    """Corrected ``faces`` detections in a FiftyOne dataset become a training set; unknowns skipped."""
    import fiftyone as fo

    from speakerid.io.images import load_rgb
    from speakerid.train.fo_source import load_face_dataset

    detector, embedder = face_models
    ds = fo.Dataset(dataset_name)
    people = {"guido_van_rossum": 2, "paul_allen": 2, "amy": 1}
    for person, n in people.items():
        for path in sorted((shared_data / "gallery" / person).iterdir())[:n]:
            rgb = load_rgb(path)
            h, w = rgb.shape[:2]
            dets = [
                fo.Detection(
                    label=person if person != "amy" else "unknown",
                    bounding_box=[f.box[0] / w, f.box[1] / h, (f.box[2] - f.box[0]) / w, (f.box[3] - f.box[1]) / h],
                )
                for f in detector.detect(rgb[None])[0][:1]
            ]
            ds.add_sample(fo.Sample(filepath=str(path), faces=fo.Detections(detections=dets)))
    faces = load_face_dataset(dataset_name, "faces", detector, embedder)
    assert faces.classes == ["guido_van_rossum", "paul_allen"] and faces.counts() == {
        "guido_van_rossum": 2,
        "paul_allen": 2,
    }
    assert faces.detected.all()  # every labelled box was found again, so the detector's landmarks were used
    assert faces.crops.shape == (4, 160, 160, 3)
    emb = embedder.embed(faces.crops)
    assert float(emb[0] @ emb[1]) > float(emb[0] @ emb[2])  # same person closer than the other one
    with pytest.raises(SpeakeridError, match="no field"):
        load_face_dataset(dataset_name, "nope", detector, embedder)
