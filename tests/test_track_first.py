"""The track-first core on the real sample clip: keyframes, track reuse, shot cuts, detectors, memory."""

from __future__ import annotations

import subprocess
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from speakerid.faces.detect import load_detector, main_face
from speakerid.identity.folder_cache import enrolment_key, open_gallery
from speakerid.io.images import load_rgb
from speakerid.pipeline import annotate_video, load_models
from speakerid.settings import AnnotateSettings
from speakerid.timeline.tracks import box_iou

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
CUTS = (20, 82, 211)  # decode indices where the sample clip changes shot (segments.csv)


@pytest.fixture(scope="module")
def models():
    return load_models(AnnotateSettings())


@pytest.fixture(scope="module")
def gallery(models):
    return open_gallery(ROOT / "sample_videos" / "gallery", models.detector, models.embedder)


@pytest.fixture(scope="module")
def result(hamilton, gallery, models):
    return annotate_video(hamilton, gallery, AnnotateSettings(), models)


def test_detects_on_keyframes_and_embeds_only_the_best_faces(result):
    faces = sum(len(fr.faces) for fr in result.frames)
    assert result.settings["keyframes"] < 0.6 * len(result.frames)
    assert all(1 <= t.embedded <= 3 and t.embedded <= t.num_faces for t in result.tracks)
    assert sum(t.embedded for t in result.tracks) < 0.6 * faces  # most faces were never embedded
    assert sum(t.num_faces for t in result.tracks) == faces
    long = [t for t in result.tracks if t.num_faces >= 10]
    assert long, "the clip has faces followed for two seconds or more"


def test_every_face_of_a_track_carries_the_track_identity(result):
    identities = {t.id: t.identity for t in result.tracks}
    for fr in result.frames:
        for face in fr.faces:
            assert face.identity == identities[face.track]
            assert (face.detector_score is None) or 0.5 <= face.detector_score <= 1.0


def test_no_track_crosses_a_shot_cut(result):
    for track in result.tracks:
        for cut in CUTS:
            assert not (track.first_frame < cut <= track.last_frame), (track, cut)


def test_lin_manuel_medium_shot_and_small_wide_shot_named(result):
    named = {fr.index: {f.identity for f in fr.faces} for fr in result.frames}
    medium = [i for i in named if 82 <= i <= 210]
    wide = [i for i in named if i <= 19]
    assert medium and all("lin_manuel_miranda" in named[i] for i in medium)
    assert wide and sum("lin_manuel_miranda" in named[i] for i in wide) >= 0.8 * len(wide)
    assert any(s.speaker == "lin_manuel_miranda" and s.start < 4.0 and s.end > 7.5 for s in result.segments)


def test_mtcnn_detector_gives_the_same_speaker(hamilton):
    settings = AnnotateSettings(detector="mtcnn", start=3.6, end=7.8)
    models = load_models(settings)
    gallery = open_gallery(ROOT / "sample_videos" / "gallery", models.detector, models.embedder)
    res = annotate_video(hamilton, gallery, settings, models)
    assert len(res.frames) >= 15 and all(fr.speaker == "lin_manuel_miranda" for fr in res.frames)


def test_yunet_boxes_and_landmarks_follow_mtcnn_conventions(shared_data):
    yunet, mtcnn = load_detector("yunet"), load_detector("mtcnn")
    for path in sorted((shared_data / "gallery" / "obama").glob("*.jpg")):
        rgb = load_rgb(path)
        a, b = (
            main_face(yunet.detect(rgb[None])[0], *rgb.shape[:2]),
            main_face(mtcnn.detect(rgb[None])[0], *rgb.shape[:2]),
        )
        assert box_iou(a.box[None], b.box[None])[0, 0] > 0.65, path
        size = b.box[2] - b.box[0]
        assert np.abs(a.landmarks - b.landmarks).max() < 0.15 * size, path  # same points, same order


def test_memory_stays_flat_on_a_long_video(hamilton, gallery, models, tmp_path):
    """Python-side peak memory (numpy buffers included) of a 12x loop is that of a 3x loop."""

    def looped(times: int) -> Path:
        listing = tmp_path / f"list{times}.txt"
        listing.write_text("".join(f"file '{hamilton}'\n" for _ in range(times)))
        out = tmp_path / f"loop{times}.mp4"
        subprocess.run(
            ["ffmpeg", "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(listing), "-c", "copy", str(out)],
            check=True,
        )
        return out

    peaks = {}
    for times in (3, 12):
        video = looped(times)
        tracemalloc.start()
        res = annotate_video(video, gallery, AnnotateSettings(), models)
        peaks[times] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert len(res.frames) >= 40 * times
    assert peaks[12] < 1.25 * peaks[3], peaks


def test_a_folder_gallery_is_enrolled_once_until_a_photo_changes(models, tmp_path, caplog):
    import shutil

    folder = tmp_path / "gallery"
    shutil.copytree(ROOT / "sample_videos" / "gallery", folder)
    (folder / "obama" / "broken.jpg").write_bytes((folder / "biden" / "biden.jpg").read_bytes()[:64])
    calls = []
    detector = models.detector

    class Counting:  # the real detector, counted: a cached enrolment must not detect anything
        name, min_face_size, min_score = detector.name, detector.min_face_size, detector.min_score

        def detect(self, frames):
            calls.append(len(frames))
            return detector.detect(frames)

    first = open_gallery(folder, Counting(), models.embedder)
    n_first = len(calls)
    caplog.clear()
    again = open_gallery(folder, Counting(), models.embedder)
    assert n_first > 0 and len(calls) == n_first  # second time: from the cache, no detection
    assert "broken.jpg: not enrolled" in caplog.text  # its rejections are reported again
    assert again.names == first.names and again.threshold == first.threshold
    np.testing.assert_array_equal(again.embeddings, first.embeddings)
    key = enrolment_key(folder, Counting(), models.embedder)
    (folder / "rose_leslie" / "img2.jpg").unlink()  # a changed folder is enrolled again
    assert enrolment_key(folder, Counting(), models.embedder) != key
    changed = open_gallery(folder, Counting(), models.embedder)
    assert len(calls) > n_first and len(changed.embeddings) < len(first.embeddings)
