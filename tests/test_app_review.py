"""The App features' library on the dataset a new user has after the README (real CLI, real
models, real FiftyOne database): frame clock, embeddings, gallery, clusters, naming, face index,
search, screen time."""

from __future__ import annotations

import numpy as np
import pytest
from app_data import annotate_readme

from speakerid.labels.app_clock import app_frame_number
from speakerid.results import UNKNOWN

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def readme(tmp_path_factory):
    import fiftyone as fo

    data = annotate_readme(tmp_path_factory.mktemp("readme"))
    try:
        yield data
    finally:
        for name in fo.list_datasets():
            if name.startswith(data.name):
                fo.delete_dataset(name)


def _sample(readme):
    import fiftyone as fo

    return fo.load_dataset(readme.name).first()


def test_labels_are_on_the_apps_clock(readme):
    sample = _sample(readme)
    fps = sample.metadata.frame_rate
    frames = readme.json["frames"]
    assert frames[0]["frame_number"] == 1 and frames[0]["time"] == pytest.approx(
        0.852, abs=1e-3
    )  # JSON: decode order, PTS
    labelled = {n: f for n, f in sample.frames.items() if f["faces"] is not None}
    expected = {app_frame_number(f["time"], fps): f for f in frames}
    assert sorted(labelled) == sorted(expected) and min(labelled) == 27  # 0.852 s into the App's clock
    for n, f in expected.items():
        boxes = sorted(tuple(d.bounding_box) for d in labelled[n]["faces"].detections)
        np.testing.assert_allclose(
            boxes, sorted(tuple(face["bbox"]) for face in f["faces"]) or np.zeros((0,)), atol=1e-5
        )
    assert sample.metadata.total_frame_count >= max(labelled)  # FiftyOne's frame views reach the last label
    for seg, js in zip(sample["speaker_segments"].detections, readme.json["segments"]):
        assert seg.support[0] == app_frame_number(js["start"], fps)


def test_pictures_under_the_labels_show_the_labelled_faces(readme):
    """Every face box, on the picture its frame number stands for, holds a face: the detector
    finds it again there; on the picture its decode index would name (26 frames earlier) it
    mostly does not."""
    from speakerid.labels.app_pictures import app_pictures
    from speakerid.pipeline import load_models
    from speakerid.settings import AnnotateSettings
    from speakerid.timeline.tracks import box_iou

    detector = load_models(AnnotateSettings()).detector
    sample = _sample(readme)
    offset = sample["speakerid"]["frame_offset"]
    boxes = {
        n: [d.bounding_box for d in f["faces"].detections]
        for n, f in sample.frames.items()
        if f["faces"] is not None and f["faces"].detections
    }

    def found(shift: int) -> float:
        hits = total = 0
        for n, picture in app_pictures(sample.filepath, [n - shift for n in boxes], sample.metadata.frame_rate):
            h, w = picture.shape[:2]
            faces = detector.detect(picture[None])[0]
            for x, y, bw, bh in boxes[n + shift]:
                target = np.array([[x * w, y * h, (x + bw) * w, (y + bh) * h]])
                total += 1
                hits += bool(faces) and box_iou(np.stack([f.box for f in faces]), target).max() >= 0.5
        return hits / total

    assert offset == 26
    assert found(0) >= 0.9
    assert found(offset) < 0.6  # the old decode-index numbering puts boxes on other pictures


def test_embeddings_beside_the_labels_not_on_them(readme):
    sample = _sample(readme)
    tracks = sample["face_tracks"].detections
    emb = sample["face_track_embeddings"]
    assert emb.shape == (len(tracks), 512)
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-4)
    labels = tracks + [d for f in sample.frames.values() if f["faces"] for d in f["faces"].detections]
    assert not any(d.has_field("embedding") for d in labels)
    for d in labels:  # what the App's tooltip shows: a few short values
        assert all(not isinstance(d[k], list) or len(d[k]) <= 4 for k in d.field_names)


def test_the_readme_gallery_is_remembered_with_faces(readme):
    import fiftyone as fo

    from speakerid.identity.gallery import THUMB_PX, Gallery
    from speakerid.review.gallery_link import SOURCE_KEY, dataset_gallery

    ds = fo.load_dataset(readme.name)
    path = dataset_gallery(ds)
    assert path.startswith(str(readme.cache)) and path.endswith(".sid")
    assert ds.info[SOURCE_KEY].endswith("sample_videos/gallery")
    gallery = Gallery.load(path)
    assert set(gallery.thumbnails) == set(gallery.names) and len(gallery.names) == 7
    assert all(t.shape == (THUMB_PX, THUMB_PX, 3) and t.std() > 10 for t in gallery.thumbnails.values())


def test_redeciding_speakers_reproduces_the_pipeline(readme):
    """Re-deciding from the stored faces (what a relabel does) gives back exactly what annotate
    wrote: same frame speakers, segments and screen time."""
    from speakerid.review.relabel import redecide

    sample = _sample(readme)
    before = (_speakers(sample), _segments(sample), _screen(sample))
    redecide(sample)
    assert (_speakers(sample), _segments(sample), _screen(sample)) == before


def test_clusters_of_unknowns_then_naming_one(readme, tmp_path):
    import fiftyone as fo

    from speakerid.identity.gallery import Gallery
    from speakerid.review.clusters import cluster_similarity, cluster_unknowns, read_clusters, seen_together
    from speakerid.review.gallery_link import dataset_gallery
    from speakerid.review.naming import name_cluster

    ds = fo.load_dataset(readme.name).clone(f"{readme.name}-named")
    gallery_path = tmp_path / "g.sid"
    gallery_path.write_bytes(open(dataset_gallery(ds), "rb").read())
    before = Gallery.load(gallery_path)
    clusters = cluster_unknowns(ds, cluster_similarity(before))
    unknown = sum(d.label == UNKNOWN for d in ds.first()["face_tracks"].detections)
    assert sum(len(c.tracks) for c in clusters) == unknown and len(clusters) < unknown  # strangers recur
    for c in clusters:
        assert not seen_together(c.tracks).any()  # two faces on screen at once are two people
    assert [c.id for c in read_clusters(ds)] == [c.id for c in clusters]
    assert [c.screen_time for c in clusters] == sorted((c.screen_time for c in clusters), reverse=True)

    target = clusters[0]
    named = name_cluster(ds, target.id, "Stranger One", gallery_path)
    assert named.tracks == len(target.tracks)
    sample = ds.first()
    mine = {t.index for t in target.tracks}
    tracks = [d for d in sample["face_tracks"].detections if d.index in mine]
    assert {d.label for d in tracks} == {"Stranger One"} and {d.confidence for d in tracks} == {1.0}
    boxes = [d for f in sample.frames.values() if f["faces"] for d in f["faces"].detections if d.index in mine]
    assert len(boxes) == named.faces == sum(t.faces for t in target.tracks)
    assert {d.label for d in boxes} == {"Stranger One"}
    others = [d for d in sample["face_tracks"].detections if d.index not in mine]
    assert "Stranger One" not in {d.label for d in others}
    screen = _screen(sample)
    # a cluster counts one analysed-frame step per appearance; speakers stop at the video's end
    assert screen["Stranger One"] == pytest.approx(target.screen_time, abs=1 / target.tracks[0].analysed_fps)
    assert {s for s in _speakers(sample).values() if s} >= {"Stranger One"}  # now a frame speaker somewhere
    assert any(seg[0] == "Stranger One" for seg in _segments(sample))
    after = Gallery.load(gallery_path)
    assert after.counts()["Stranger One"] == len(target.tracks) and "Stranger One" in after.thumbnails
    np.testing.assert_array_equal(after.embeddings[: len(before.embeddings)], before.embeddings)
    assert target.id not in {c.id for c in read_clusters(ds)}  # named: no longer a stranger


def test_face_index_sorts_the_same_person_first(readme):
    import fiftyone as fo
    import fiftyone.brain as fob
    import fiftyone.zoo as foz
    from fiftyone import ViewField as F

    from speakerid.review.face_index import build_face_index, faces_view
    from speakerid.review.face_model import FACE_MODEL

    ds = fo.load_dataset(readme.name)
    built = build_face_index(ds)
    patches = faces_view(ds)
    assert built.faces == len(patches) == ds.count("frames.faces.detections")
    lin = patches.match(F("faces.label") == "lin_manuel_miranda")
    first = patches.sort_by_similarity(lin.first().id, brain_key=built.brain_key, k=len(lin))
    assert set(first.values("faces.label")) == {"lin_manuel_miranda"}
    info = ds.get_brain_info(built.brain_key)
    assert info.config.model == FACE_MODEL and info.config.patches_field == "faces"
    assert len(ds.load_brain_results(built.map_key).points) == built.faces
    # the registered model reloads by name and embeds face patches like the tracks' faces
    model = foz.load_zoo_model(FACE_MODEL, embedder="facenet")
    few = patches.match(F("faces.label") == "lin_manuel_miranda").limit(4)
    index = fob.compute_similarity(few, model=FACE_MODEL, patches_field="faces", brain_key="model_check", alpha=0.2)
    assert index.total_index_size == 4 and model.has_embeddings


def test_search_has_scores_and_says_when_nothing_matches(readme):
    import fiftyone as fo

    from speakerid.review.search import MIN_SCORE, search

    ds = fo.load_dataset(readme.name)
    from speakerid.identity.gallery import Gallery
    from speakerid.review.gallery_link import dataset_gallery

    seen = set(ds.distinct("speakers.classifications.label"))
    absent = next(n for n in Gallery.load(dataset_gallery(ds)).names if n not in seen)
    for query in (absent.replace("_", " "), "a dog playing piano"):  # enrolled, never identified / nothing like it
        found = search(ds, query)
        assert found.results == [] and found.message.startswith(f"nothing matches {query!r}")
        assert found.best_rejected is not None and found.best_rejected < MIN_SCORE
    found = search(ds, "lin manuel")
    assert found.results and all(r.speaker == "lin_manuel_miranda" and r.score >= MIN_SCORE for r in found.results)
    assert found.level == "clips" and len(found.view) == len(found.results)
    assert search(ds, "lin manuel mirana", method="names").results[0].score > 0.9


def test_screen_time_totals(readme):
    import fiftyone as fo

    from speakerid.review.screen_time import screen_time_totals

    ds = fo.load_dataset(readme.name)
    totals = {t.name: t for t in screen_time_totals(ds)}
    assert {n: round(t.on_screen, 6) for n, t in totals.items()} == {
        n: round(s, 6) for n, s in _screen(ds.first()).items()
    }
    assert totals["lin_manuel_miranda"].speaking == pytest.approx(
        sum(s["end"] - s["start"] for s in readme.json["segments"] if s["speaker"] == "lin_manuel_miranda"), abs=1e-6
    )


def _speakers(sample) -> dict[int, str | None]:
    return {
        n: (f["speaker"].label if f["speaker"] else None) for n, f in sample.frames.items() if f["faces"] is not None
    }


def _segments(sample) -> list[tuple]:
    return [
        (d.label, tuple(d.support), round(d.start_time, 4), round(d.end_time, 4))
        for d in sample["speaker_segments"].detections
    ]


def _screen(sample) -> dict[str, float]:
    return {c.label: round(c.screen_time, 6) for c in sample["speakers"].classifications}
