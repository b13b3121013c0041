"""Explanations of a real classifier on real photos: heatmaps on the face, filters, embedding maps."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from face_data import face_models, one_thread  # noqa: F401  (shared fixtures)

from speakerid.cli.main import main
from speakerid.explain.embedding_maps import embedding_maps, similar_faces
from speakerid.explain.filters import filter_images, start_images
from speakerid.explain.heatmaps import DEFAULT_CONTEXT, METHODS, mass_inside
from speakerid.explain.model import explainable
from speakerid.train.data import load_face_folders, split_by_image
from speakerid.train.embeddings import embed_crops
from speakerid.train.fo_patches import face_patch_dataset
from speakerid.train.pipeline import save_trained, train_classifier

pytestmark = pytest.mark.slow  # trains and explains a classifier on real faces


@pytest.fixture(scope="module")
def gallery_faces(shared_data, face_models):
    faces = load_face_folders([shared_data / "gallery"], *face_models, min_images=2)
    return faces, face_models[1]


@pytest.fixture(scope="module")
def svm_file(gallery_faces, tmp_path_factory):
    """A linear SVM on facenet embeddings of the gallery (the project's best model), saved."""
    faces, embedder = gallery_faces
    train, val = split_by_image(faces.labels, 0.25, seed=0)
    trained = train_classifier("svm", "ce", faces, train, val, embedder)
    return save_trained(trained, tmp_path_factory.mktemp("svm") / "svm.safetensors", {"val_sources": []})


def test_heatmaps_concentrate_on_the_face_and_live_in_fiftyone(svm_file, shared_data, tmp_path, dataset_name):
    import fiftyone as fo

    photo = shared_data / "gallery" / "paul_allen" / "paul_allen.jpg"  # studio portrait: suit, shoulders, backdrop
    out = tmp_path / "explain"
    assert (
        main(["explain", "faces", str(svm_file), str(photo), "--out", str(out), "--fo-name", dataset_name, "-q"]) == 0
    )
    report = json.loads((out / "explanations.json").read_text())["faces"][str(photo)]
    print(json.dumps(report, indent=1))
    assert report["target"] == "paul_allen" == report["winner_on_window"]  # background does not change the answer
    box_share = 1 / DEFAULT_CONTEXT**2  # what a heatmap spread evenly over the window would score
    for method in METHODS:
        assert report["in_face"][method] >= max(0.6, box_share + 0.15), method
    sample = fo.load_dataset(dataset_name).first()
    h, w = sample["saliency_heatmap"].get_map().shape
    x, y, bw, bh = sample["face"].bounding_box
    box = np.array([x * w, y * h, (x + bw) * w, (y + bh) * h])
    for method in METHODS:
        heat = sample[f"{method}_heatmap"].get_map().astype(float)  # loaded back from its PNG
        assert heat.max() == 255
        assert mass_inside(heat, box) == pytest.approx(report["in_face"][method], abs=0.06), method
    assert (out / "paul_allen-explained.png").stat().st_size < 200_000


def test_gradient_ascent_excites_the_chosen_filters(svm_file, gallery_faces):
    from speakerid.train.classifier import load_classifier

    model = explainable(load_classifier(svm_file), gallery_faces[1])
    layer = model.conv_layers["net.conv2d_4a.conv"]
    filters = [0, 5, 9, 17]
    images = filter_images(model.module, layer, filters, model.input_size, steps=16)
    assert images.shape == (4, 160, 160, 3) and images.dtype == np.uint8
    acts = {}
    hook = layer.register_forward_hook(lambda _m, _i, o: acts.__setitem__("a", o))
    with torch.no_grad():
        model.module(start_images(4, 160))
        before = acts["a"][range(4), filters].mean((1, 2))
        model.module(torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255)
        after = acts["a"][range(4), filters].mean((1, 2))
    hook.remove()
    assert (after > before + 0.5).all(), (before, after)
    assert np.abs(images[0].astype(int) - images[1]).mean() > 2  # different filters, different pictures
    assert not gallery_faces[1].module.training  # the shared embedder network is left in inference mode


def test_embedding_maps_and_similar_faces_in_fiftyone(face_models, shared_data, tmp_path, dataset_name):
    embedder = face_models[1]
    lfw = [shared_data / "lfw" / "images"]  # the 10 LFW people with the most photos, 12 each at most
    faces = load_face_folders(lfw, *face_models, max_people=10, max_images=12)
    emb = embed_crops(embedder, faces.crops)
    ds, paths = face_patch_dataset(dataset_name, faces, tmp_path / "patches")
    assert len(ds) == len(faces)
    points = embedding_maps(ds, paths, emb, ("pca", "tsne", "umap"), "faces")
    assert set(ds.list_brain_runs()) >= {"faces_pca", "faces_tsne", "faces_umap"}
    for method, pts in points.items():
        assert pts.shape == (len(faces), 2)
        # in t-SNE and UMAP, most faces' nearest 2-D neighbour is the same person
        if method != "pca":
            d = np.linalg.norm(pts[:, None] - pts[None], axis=2) + np.eye(len(pts)) * 1e9
            same = (faces.labels[d.argmin(1)] == faces.labels).mean()
            assert same >= 0.7, (method, same)
    query = int(np.flatnonzero(np.array(faces.classes)[faces.labels] == "Bill_Gates")[0])
    near, far = similar_faces(ds, paths, emb, query, 3, "faces")
    label_of = dict(zip(paths, np.array(faces.classes)[faces.labels]))
    assert len(near) == 3 and paths[query] not in near
    assert {label_of[p] for p in near} == {"Bill_Gates"} and "Bill_Gates" not in {label_of[p] for p in far}
    assert ds.has_saved_view("faces-nearest") and ds.has_saved_view("faces-farthest")
