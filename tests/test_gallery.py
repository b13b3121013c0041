"""Gallery enrollment, storage and open-set matching on real photos with the real models."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest

from speakerid.errors import GalleryError
from speakerid.identity.calibrate import CohortCalibration
from speakerid.identity.enroll import enroll_folder, single_face
from speakerid.identity.gallery import Gallery
from speakerid.io.images import load_rgb
from speakerid.results import UNKNOWN

pytestmark = pytest.mark.slow  # every test here loads the detector and the embedder
# LFW portraits (centred subject, a bystander at least a quarter of its size) that enrolment used
# to reject as ambiguous; each person has another LFW photo to check who got enrolled.
PORTRAITS = {
    "al_pacino": ("Al_Pacino/Al_Pacino_0002.jpg", "Al_Pacino/Al_Pacino_0001.jpg"),
    "ali_naimi": ("Ali_Naimi/Ali_Naimi_0003.jpg", "Ali_Naimi/Ali_Naimi_0001.jpg"),
    "alvaro_uribe": ("Alvaro_Uribe/Alvaro_Uribe_0007.jpg", "Alvaro_Uribe/Alvaro_Uribe_0017.jpg"),
}


@pytest.fixture(scope="module")
def models():
    from speakerid.faces.embedders import get_embedder
    from speakerid.faces.mtcnn import MTCNNDetector

    return MTCNNDetector(), get_embedder("facenet")


@pytest.fixture(scope="module")
def gallery(shared_data, models):
    g, report = enroll_folder(shared_data / "gallery", *models)
    return g, report


def _embed_photo(path, models):
    det, emb = models
    rgb = load_rgb(path)
    face, why = single_face(det.detect(rgb[None])[0], *rgb.shape[:2])
    assert face is not None, why
    return emb.embed(emb.crop(rgb, face)[None])


def test_enroll_reports_people_and_calibrates(gallery):
    g, report = gallery
    assert len(g.names) == 17
    assert report.used["obama"] == 2 and report.used["lin_manuel_miranda"] == 1
    assert all(n >= 1 for n in g.counts().values())
    cal = g.calibration
    # genuine leave-one-out scores sit well above impostor ones, and the threshold between them
    assert cal.genuine_mean > cal.threshold > cal.impostor_mean
    assert 0.3 <= cal.threshold < 0.9
    # with the shipped cohort the rule is S-norm, its threshold names at most 0.1 % of strangers
    rule = g.open_set
    assert isinstance(rule, CohortCalibration) and g.threshold == rule.threshold
    assert 0 <= g.false_accept_rate() <= rule.far and len(rule.strangers) > 2000
    assert rule.genuine_mean > rule.threshold


def test_probe_photos_named_and_stranger_unknown(shared_data, gallery, models):
    g, _ = gallery
    photos = shared_data / "photos"
    for file, who in [
        ("test_steve_wozniak.jpg", "steve_wozniak"),
        ("test_guido_van_rossum.jpg", "guido_van_rossum"),
        ("obama3.jpg", "obama"),
        ("biden.jpg", "biden"),
    ]:
        match = g.classify(_embed_photo(photos / file, models))[0]
        assert match.identity == who, (file, match.identity, match.similarity)
        assert 0.5 < match.confidence <= 1.0
    stranger = g.classify(_embed_photo(photos / "test_unknown_elon_musk.jpg", models))[0]
    assert stranger.identity == UNKNOWN, (stranger.best, stranger.similarity, g.threshold)


def test_save_load_roundtrip_is_not_pickle(tmp_path, gallery):
    g, _ = gallery
    path = tmp_path / "g.sid"
    g.save(path)
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == ["embeddings.safetensors", "gallery.json", "thumbnails.safetensors"]
    g2 = Gallery.load(path)
    assert g2.names == g.names and g2.threshold == g.threshold
    np.testing.assert_array_equal(g2.embeddings, g.embeddings)


def test_other_embedder_and_bad_file_rejected(tmp_path, gallery):
    g, _ = gallery
    with pytest.raises(GalleryError, match="embedder"):
        g.check_embedder("sface", "x")
    bad = tmp_path / "bad.sid"
    bad.write_text("not a gallery")
    with pytest.raises(GalleryError, match=str(bad)):
        Gallery.load(bad)


def test_adding_person_keeps_others(tmp_path, shared_data, models, gallery):
    g0, _ = gallery
    sub = tmp_path / "people"
    (sub / "obama").mkdir(parents=True)
    (sub / "obama" / "a.jpg").write_bytes((shared_data / "gallery" / "obama" / "obama.jpg").read_bytes())
    small, _ = enroll_folder(sub, *models)
    before = small.embeddings.copy()
    (sub / "biden").mkdir()
    (sub / "biden" / "b.jpg").write_bytes((shared_data / "gallery" / "biden" / "biden.jpg").read_bytes())
    (sub / "obama" / "a.jpg").unlink()
    (sub / "obama").rmdir()
    bigger, _ = enroll_folder(sub, *models, gallery=small)
    assert bigger.names == ["obama", "biden"]
    np.testing.assert_array_equal(bigger.embeddings[bigger.person == 0], before)


def test_group_photo_rejected_with_reason(tmp_path, shared_data, models):
    sub = tmp_path / "g" / "group"
    sub.mkdir(parents=True)
    (sub / "x.jpg").write_bytes((shared_data / "photos" / "obama_and_biden.jpg").read_bytes())
    (sub / "y.jpg").write_bytes((shared_data / "gallery" / "obama" / "obama.jpg").read_bytes())
    g, report = enroll_folder(tmp_path / "g", *models)
    assert report.used["group"] == 1
    assert any("ambiguous" in why for _, why in report.rejected)


@pytest.mark.parametrize("detector", ["yunet", "mtcnn"])
def test_portrait_with_bystander_enrols_its_central_subject(tmp_path, shared_data, detector):
    from speakerid.faces.detect import load_detector
    from speakerid.faces.embedders import get_embedder

    models = load_detector(detector), get_embedder("facenet")
    lfw = shared_data / "lfw" / "images"
    for person, (portrait, _) in PORTRAITS.items():
        (tmp_path / "g" / person).mkdir(parents=True)
        (tmp_path / "g" / person / "a.jpg").write_bytes((lfw / portrait).read_bytes())
        rgb = load_rgb(lfw / portrait)
        faces = models[0].detect(rgb[None])[0]
        areas = sorted((f.area for f in faces), reverse=True)
        assert len(faces) >= 2 and areas[1] >= 0.25 * areas[0], portrait  # the old rule's "ambiguous"
    for folder, photo in (("pair", "two_people.jpg"), ("team", "bbt3.jpg")):
        (tmp_path / "g" / folder).mkdir()
        (tmp_path / "g" / folder / photo).write_bytes((shared_data / "photos" / photo).read_bytes())
    g, report = enroll_folder(tmp_path / "g", *models)
    assert g.names == sorted(PORTRAITS) and all(report.used[p] == 1 for p in PORTRAITS)
    why = {p.split("/")[-2]: reason for p, reason in report.rejected}
    assert "none is clearly the central subject" in why["pair"] and "group photo" in why["team"]
    g.use_cohort(None)  # who got enrolled, judged by raw similarity to another photo of them
    for person, (_, other) in PORTRAITS.items():
        match = g.classify(_embed_photo(lfw / other, models))[0]
        assert match.best == person and match.similarity > 0.5, (person, match.best, match.similarity)
