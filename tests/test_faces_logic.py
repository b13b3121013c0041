"""Face geometry without a detector: stand-in faces, the main face of a photo, box overlap,
photo shrinking, YuNet's MTCNN-style boxes, batching photos by size, and the bounded caches."""

from __future__ import annotations

import numpy as np
import pytest

from speakerid.faces.align import ARCFACE_112, similarity_to_template
from speakerid.faces.boxes import box_iou
from speakerid.faces.detect import MTCNN_LAYOUT, box_face, centre_face, main_face
from speakerid.faces.face import Face
from speakerid.faces.photos import detect_photos
from speakerid.io.images import fit_within
from speakerid.lru import LRU
from speakerid.video.text import encode_cached

pytestmark = pytest.mark.timeout(20)


def test_centre_face_is_a_central_square_with_template_landmarks():
    face = centre_face(150, 200)
    x1, y1, x2, y2 = face.box
    assert x2 - x1 == pytest.approx(75) and y2 - y1 == pytest.approx(75)
    assert (x1 + x2) / 2 == pytest.approx(100) and (y1 + y2) / 2 == pytest.approx(75)
    matrix = similarity_to_template(face.landmarks)  # the crop is the square itself, scaled to 112
    np.testing.assert_allclose(matrix[:, :2], np.eye(2) * 112 / 75, atol=1e-3)
    np.testing.assert_allclose(face.landmarks, ARCFACE_112 / 112 * 75 + [x1, y1], atol=1e-4)


def test_box_face_places_a_layout_inside_the_box():
    face = box_face(np.array([10, 20, 110, 220]), 0.7)
    assert face.score == 0.7 and face.box.dtype == face.landmarks.dtype == np.float32
    np.testing.assert_allclose(face.landmarks, [10, 20] + MTCNN_LAYOUT * [100, 200])
    training = centre_face(100, 100, 0.45, MTCNN_LAYOUT)  # the training loader's fallback
    np.testing.assert_allclose(training.box, [27.5, 27.5, 72.5, 72.5])


def test_main_face_prefers_large_and_central():
    h, w = 200, 400
    centre = box_face(np.array([180, 80, 220, 120]))  # 40 px, at the centre
    corner_big = box_face(np.array([0, 0, 60, 60]))  # 60 px, far away
    assert main_face([corner_big, centre], h, w) is centre
    assert main_face([corner_big, centre], h, w, centre_weight=0.0) is corner_big
    assert main_face([], h, w) is None


def test_box_iou():
    a = np.array([[0, 0, 10, 10]])
    np.testing.assert_allclose(
        box_iou(a, np.array([[0, 0, 10, 10], [5, 0, 15, 10], [20, 20, 30, 30]])), [[1.0, 1 / 3, 0.0]]
    )
    assert box_iou(np.array([0, 0, 10, 10]), np.zeros((0, 4))).shape == (1, 0)
    assert box_iou(np.array([[5, 5, 5, 5]]), np.array([[5, 5, 5, 5]]))[0, 0] == 0.0  # no area, no overlap


def test_fit_within_shrinks_only_large_photos():
    photo = np.zeros((300, 600, 3), np.uint8)
    small, scale = fit_within(photo, 200)
    assert small.shape == (100, 200, 3) and scale == pytest.approx(1 / 3)
    same, one = fit_within(photo, 600)
    assert same is photo and one == 1.0


class _Sizes:
    """A detector stand-in that records its batches and returns one face per photo."""

    def __init__(self) -> None:
        self.batches: list[tuple[int, ...]] = []

    def detect(self, frames: np.ndarray) -> list[list[Face]]:
        self.batches.append(frames.shape)
        return [[box_face(np.array([0, 0, f.shape[1], f.shape[0]]))] for f in frames]


def test_detect_photos_batches_same_size_photos_in_order():
    photos = [np.zeros(s, np.uint8) for s in ((10, 20, 3), (30, 30, 3), (10, 20, 3), (10, 20, 3), (30, 30, 3))]
    detector = _Sizes()
    out = list(detect_photos(detector, photos, batch_size=2))
    assert [idx for idx, _ in out] == [[0, 2], [3], [1, 4]]
    assert detector.batches == [(2, 10, 20, 3), (1, 10, 20, 3), (2, 30, 30, 3)]
    for idx, faces in out:
        for i, found in zip(idx, faces):
            assert found[0].box[2] == photos[i].shape[1]


def test_lru_keeps_the_most_recently_used():
    cache: LRU[str, int] = LRU(maxsize=2)
    cache["a"], cache["b"] = 1, 2
    assert cache["a"] == 1  # "a" is now the most recent
    cache["c"] = 3
    assert "b" not in cache and "a" in cache and len(cache) == 2
    calls = []
    assert cache.get_or_make("d", lambda: calls.append(1) or 4) == 4 == cache.get_or_make("d", lambda: 5)
    assert calls == [1]


def test_encode_cached_encodes_each_text_once():
    class Counting:
        name, dim = "counting-encoder", 2
        seen: list[list[str]] = []

        def encode(self, texts: list[str]) -> np.ndarray:
            self.seen.append(list(texts))
            return np.array([[len(t), 1.0] for t in texts], np.float32).reshape(-1, 2)

    enc = Counting()
    first = encode_cached(enc, ["ada", "bob", "ada"])
    again = encode_cached(enc, ["bob", "carol"])
    assert enc.seen == [["ada", "bob"], ["carol"]]
    np.testing.assert_array_equal(first[:, 0], [3, 3, 3])
    np.testing.assert_array_equal(again[:, 0], [3, 5])
    assert encode_cached(enc, []).shape == (0, 2)
