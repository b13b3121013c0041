"""Fast unit tests of the App features' pure logic on small arrays: the App's frame clock,
clustering of tracks, search scoring, names, crops, gallery thumbnails, frame speakers."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
from gallery_data import make_gallery

from speakerid.errors import GalleryError, SpeakeridError
from speakerid.identity.gallery import THUMB_PX, Gallery
from speakerid.labels.app_clock import app_frame_number, app_time, frame_offset
from speakerid.results import FaceResult, FrameResult
from speakerid.review.clusters import cluster_embeddings, cluster_similarity, seen_together
from speakerid.review.frames import crop_box
from speakerid.review.naming import name_problem
from speakerid.review.search import evidence_score, name_scores
from speakerid.review.tracks import Track
from speakerid.timeline.decide import frame_speakers


# --- the App's frame clock ----------------------------------------------------------------
@pytest.mark.parametrize("fps", [29.97, 25.0, 30000 / 1001, 59.94, 24.0])
@pytest.mark.parametrize("start", [0.0, 0.852019, 0.5, 1 / 60, 3.2])
def test_app_shows_each_picture_on_its_frame_number(fps, start):
    """The App seeks frame n to (n - 1 + 0.01) / fps and the browser shows the last picture with
    PTS <= that time: the frame number given to each picture must show exactly that picture."""
    pts = start + np.arange(300) / fps
    numbers = np.array([app_frame_number(t, fps) for t in pts])
    assert (np.diff(numbers) == 1).all()  # one App frame per picture, no gaps, no collisions
    for n, t in zip(numbers, pts):
        shown = np.searchsorted(pts, app_time(n, fps), side="right") - 1
        assert pts[shown] == t
    assert len({frame_offset(t, i, fps) for i, t in enumerate(pts)}) == 1  # constant for a constant frame rate


def test_app_frame_numbers_of_the_sample_clip():
    fps = 2997 / 100
    assert app_frame_number(0.0, fps) == 1  # a video starting at 0: decode index + 1
    assert app_frame_number(0.852019, fps) == 27  # the bundled clip: 26 frames of the App's clock before it
    assert frame_offset(0.852019, 0, fps) == 26
    with pytest.raises(ValueError):
        app_frame_number(1.0, 0.0)


# --- clustering tracks --------------------------------------------------------------------
def _people(rng: np.random.Generator, centres: int, per: int, noise: float = 0.35) -> tuple[np.ndarray, np.ndarray]:
    centre = rng.normal(size=(centres, 64))
    truth = np.repeat(np.arange(centres), per)
    emb = centre[truth] + noise * rng.normal(size=(len(truth), 64)) * np.linalg.norm(centre, axis=1).mean() / 8
    return emb / np.linalg.norm(emb, axis=1, keepdims=True), truth


def test_clusters_recover_people():
    emb, truth = _people(np.random.default_rng(0), centres=4, per=5)
    groups = cluster_embeddings(emb, min_similarity=0.4)
    assert len(set(groups)) == 4
    assert all(len(set(groups[truth == p])) == 1 for p in range(4))  # each person one cluster


def test_tracks_seen_together_stay_apart():
    emb, _ = _people(np.random.default_rng(1), centres=1, per=3)
    assert len(set(cluster_embeddings(emb, 0.4))) == 1
    apart = np.zeros((3, 3), bool)
    apart[0, 1] = apart[1, 0] = True  # two faces on screen at once: two people
    groups = cluster_embeddings(emb, 0.4, apart)
    assert groups[0] != groups[1] and len(set(groups)) == 2


def test_cluster_edge_cases():
    assert cluster_embeddings(np.zeros((0, 8)), 0.4).tolist() == []
    assert cluster_embeddings(np.ones((1, 8)), 0.4).tolist() == [0]
    emb, _ = _people(np.random.default_rng(2), centres=3, per=2)
    assert len(set(cluster_embeddings(emb, 1.01))) == 6  # nothing is that similar: every track alone
    assert len(set(cluster_embeddings(emb, -1.0))) == 1  # everything joins


def _track(sample: str, first: int, last: int) -> Track:
    return Track(sample, "v.mp4", 0, "id", "unknown", 1.0, (first, last), 0.0, 1.0, 3, first, (0, 0, 1, 1), 30.0, 5.0)


def test_seen_together_is_overlap_within_one_video():
    tracks = [_track("a", 1, 10), _track("a", 10, 20), _track("a", 21, 30), _track("b", 1, 30)]
    together = seen_together(tracks)
    assert together.tolist() == [
        [False, True, False, False],
        [True, False, False, False],
        [False, False, False, False],
        [False, False, False, False],
    ]


def test_cluster_similarity_comes_from_the_gallery():
    assert cluster_similarity(None) == pytest.approx(0.40)
    g = make_gallery()
    assert cluster_similarity(g) == pytest.approx(g.calibration.threshold)
    g.threshold_override = 0.62
    assert cluster_similarity(g) == pytest.approx(0.62)


# --- search scores, names ------------------------------------------------------------------
def test_evidence_score_uses_the_terms_that_exist():
    assert evidence_score(None, 0.8, 0.5) == pytest.approx(0.8)  # no video model: the name decides alone
    assert evidence_score(0.2, None, 0.5) == pytest.approx(0.2)
    assert evidence_score(0.2, 0.8, 0.25) == pytest.approx(0.25 * 0.2 + 0.75 * 0.8)
    assert evidence_score(None, None, 0.5) is None


def test_name_scores_forgive_typos_not_other_people():
    names = ["lin_manuel_miranda", "alex_lacamoire"]
    assert name_scores("LIN MANUEL", names).tolist() == [1.0, 0.0]
    assert name_scores("lin manuel mirana", names)[0] > 0.9
    assert name_scores("guido van rossum", names).tolist() == [0.0, 0.0]
    with pytest.raises(SpeakeridError, match="type a query"):
        name_scores("  ", names)


def test_name_problem():
    assert name_problem("Ada Lovelace") is None and name_problem("o'brien-smith jr.") is None
    assert "type" in name_problem(" ")
    assert "unknown" in name_problem("unknown")
    assert "use letters" in name_problem("../evil")


# --- crops and gallery thumbnails ----------------------------------------------------------
def test_crop_box_is_square_and_padded_outside_the_picture():
    frame = np.full((100, 200, 3), 200, np.uint8)
    crop = crop_box(frame, (0.0, 0.0, 0.1, 0.2), margin=0.5, size=32)
    assert crop.shape == (32, 32, 3)
    assert crop[0, 0].tolist() == [0, 0, 0] and crop[-1, -1].tolist() == [200, 200, 200]


def test_gallery_thumbnails_round_trip(tmp_path):
    g = make_gallery(people=2)
    ada = make_gallery(people=1, seed=7).embeddings
    face = np.random.default_rng(0).integers(0, 255, (160, 160, 3), np.uint8)
    g.add_person("ada", ada[:2], ["a.jpg", "b.jpg"], thumbnail=face)
    g.add_person("ada", ada[2:], ["c.jpg", "d.jpg"], thumbnail=face[::-1])  # an existing picture is kept
    path = tmp_path / "g.sid"
    g.save(path)
    back = Gallery.load(path)
    assert list(back.thumbnails) == ["ada"] and back.thumbnails["ada"].shape == (THUMB_PX, THUMB_PX, 3)
    assert np.array_equal(back.thumbnails["ada"], g.thumbnails["ada"])
    back.remove_person("ada")
    assert back.thumbnails == {}


def test_damaged_thumbnails_are_one_line_errors(tmp_path):
    g = make_gallery(people=2)
    g.thumbnails["person0"] = np.full((THUMB_PX, THUMB_PX, 3), 7, np.uint8)
    good = tmp_path / "good.sid"
    g.save(good)
    with zipfile.ZipFile(good) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    bad = tmp_path / "bad.sid"
    with zipfile.ZipFile(bad, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data[:-8] + b"\xff" * 8 if name == "thumbnails.safetensors" else data)
    with pytest.raises(GalleryError, match="bad.sid: thumbnails.safetensors does not match its checksum"):
        Gallery.load(bad)
    orphan = tmp_path / "orphan.sid"
    with zipfile.ZipFile(orphan, "w") as zf:
        for name, data in members.items():
            if name != "thumbnails.safetensors":
                zf.writestr(name, data)
    with pytest.raises(GalleryError, match="must come together"):
        Gallery.load(orphan)


# --- frame speakers after a relabel --------------------------------------------------------
def _frame(i: int, *identities: str) -> FrameResult:
    faces = [FaceResult((0.1 + 0.3 * k, 0.3, 0.2, 0.3), name, 0.9, 0.8, k) for k, name in enumerate(identities)]
    return FrameResult(index=i, time=i / 5, faces=faces)


def test_frame_speakers_pick_then_smooth():
    frames = [_frame(0, "ada"), _frame(1, "ada"), _frame(2, "bob"), _frame(3, "ada"), _frame(4, "ada"), _frame(5)]
    out = frame_speakers(frames, analysed_fps=5.0, smooth_s=0.6)
    assert [s for s, _ in out] == ["ada", "ada", "ada", "ada", "ada", None]  # a one-frame flicker is smoothed
    assert out[2][1] is None  # bob's frame has no face of ada: no confidence invented
    assert frame_speakers([_frame(0, "unknown")], 5.0, 1.0) == [("unknown", 0.9)]


def test_cluster_similarity_stays_in_a_useful_range():
    g = make_gallery()
    g.calibration.threshold = 0.99  # a gallery of look-alikes
    assert cluster_similarity(g) == pytest.approx(0.7)


def test_plugin_version_is_the_package_version():
    import yaml

    import speakerid
    from speakerid.plugin_install import plugin_source

    meta = yaml.safe_load((plugin_source() / "fiftyone.yml").read_text())
    assert meta["version"] == speakerid.__version__
    pyproject = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in pyproject and 'attr = "speakerid.__version__"' in pyproject  # one source
