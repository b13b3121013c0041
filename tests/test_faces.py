"""MTCNN detection and five-point alignment on real photos and real video frames."""

from __future__ import annotations

import numpy as np
import pytest

from speakerid.faces.align import ARCFACE_112, align, similarity_to_template
from speakerid.faces.detect import main_face
from speakerid.faces.face import Face
from speakerid.faces.mtcnn import MTCNNDetector
from speakerid.io.images import load_rgb

pytestmark = pytest.mark.slow  # MTCNN on real photos and video frames


@pytest.fixture(scope="module")
def detector() -> MTCNNDetector:
    return MTCNNDetector()


@pytest.fixture(scope="module")
def multiface(shared_data) -> np.ndarray:
    return load_rgb(shared_data / "photos" / "multiface.jpg")


def _check_face(face: Face, height: int, width: int) -> None:
    x1, y1, x2, y2 = face.box
    assert face.box.dtype == np.float32 and face.landmarks.dtype == np.float32
    assert face.landmarks.shape == (5, 2) and 0.9 <= face.score <= 1.0
    assert -5 <= x1 < x2 <= width + 5 and -5 <= y1 < y2 <= height + 5
    # landmarks inside the box, eyes above the mouth, left eye left of the right eye
    lm = face.landmarks
    assert np.all((lm[:, 0] > x1) & (lm[:, 0] < x2) & (lm[:, 1] > y1) & (lm[:, 1] < y2))
    assert lm[0, 0] < lm[1, 0] and lm[3, 0] < lm[4, 0] and max(lm[0, 1], lm[1, 1]) < min(lm[3, 1], lm[4, 1])


def test_one_face_per_obama_gallery_photo(shared_data, detector):
    photos = sorted((shared_data / "gallery" / "obama").glob("*.jpg"))
    assert photos
    for path in photos:
        rgb = load_rgb(path)
        faces = detector.detect(rgb[None])[0]
        assert len(faces) == 1, path
        _check_face(faces[0], *rgb.shape[:2])


def test_several_faces_in_group_photo(detector, multiface):
    faces = detector.detect(multiface[None])[0]
    assert len(faces) >= 4
    for face in faces:
        _check_face(face, *multiface.shape[:2])
    assert [f.score for f in faces] == sorted((f.score for f in faces), reverse=True)


def test_batch_equals_one_by_one_on_video_frames(hamilton, detector):
    from speakerid.io import read_frames

    frames = next(iter(read_frames(hamilton, fps=2.0, batch_size=4))).frames
    batched = detector.detect(frames)
    assert len(batched) == len(frames) and sum(map(len, batched)) >= 1
    for frame, faces in zip(frames, batched):
        single = detector.detect(frame[None])[0]
        assert len(single) == len(faces)
        for a, b in zip(single, faces):
            np.testing.assert_allclose(a.box, b.box, atol=1e-2)
            np.testing.assert_allclose(a.landmarks, b.landmarks, atol=1e-2)


def test_min_face_size_skips_small_faces(multiface):
    small = multiface[::2, ::2].copy()  # halve the faces' size
    found = MTCNNDetector(min_face_size=20).detect(small[None])[0]
    big_only = MTCNNDetector(min_face_size=120).detect(small[None])[0]
    assert len(found) >= 4 and len(big_only) < len(found)  # a coarser pyramid misses small faces


def test_detect_input_checks(detector, multiface):
    assert detector.detect(np.zeros((0, 64, 64, 3), np.uint8)) == []
    with pytest.raises(ValueError):
        detector.detect(multiface.astype(np.float32)[None])
    with pytest.raises(ValueError):
        detector.detect(multiface)  # one frame without the batch axis


def test_main_face_prefers_central_subject(detector, multiface):
    h, w = multiface.shape[:2]
    faces = detector.detect(multiface[None])[0]
    chosen = main_face(faces, h, w)
    centre = np.array([w / 2, h / 2])
    dist = lambda f: np.linalg.norm((f.box[:2] + f.box[2:]) / 2 - centre)  # noqa: E731
    assert chosen in faces and main_face([], h, w) is None
    # nothing both larger and closer to the centre than the chosen face
    assert not any(f.area > chosen.area and dist(f) < dist(chosen) for f in faces)


def test_alignment_maps_landmarks_onto_template(shared_data, detector):
    rgb = load_rgb(shared_data / "gallery" / "obama" / "obama.jpg")
    face = detector.detect(rgb[None])[0][0]
    matrix = similarity_to_template(face.landmarks)
    mapped = face.landmarks @ matrix[:, :2].T + matrix[:, 2]
    assert np.abs(mapped - ARCFACE_112).max() < 6  # a similarity fits 5 real landmarks to a few px
    crop = align(rgb, face.landmarks)
    assert crop.shape == (112, 112, 3) and crop.dtype == np.uint8
    # the aligned crop is itself a frontal face whose landmarks land near the template
    again = MTCNNDetector(min_face_size=40).detect(np.ascontiguousarray(crop)[None])[0]
    assert again and np.abs(again[0].landmarks - ARCFACE_112).max() < 8
