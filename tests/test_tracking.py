"""Fast unit tests of the track-first core on small arrays: tracker, shot cuts, quality, records."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from speakerid.faces.face import Face
from speakerid.faces.quality import face_quality, frontal_factor, sharpness_factor, size_factor
from speakerid.identity.tracks import TrackEvidence, identify
from speakerid.io.prefetch import prefetch
from speakerid.results import UNKNOWN, FaceTable, FrameSequence, TrackResult
from speakerid.timeline.shots import ShotCutDetector
from speakerid.timeline.speaker import smooth_labels
from speakerid.timeline.tracks import FaceTracker

pytestmark = pytest.mark.timeout(30)

RNG = np.random.default_rng(0)
_NOISE = cv2.GaussianBlur(RNG.random((240, 320)).astype(np.float32), (0, 0), 3)
TEXTURE = cv2.normalize(_NOISE, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)  # blobs at several scales


def shifted(dx: int, dy: int) -> np.ndarray:
    """The textured test image moved by (dx, dy) pixels (a camera pan)."""
    return np.roll(np.roll(TEXTURE, dy, axis=0), dx, axis=1)


def test_flow_follows_a_moving_box():
    tracker = FaceTracker()
    ids, ended = tracker.keyframe(0.0, shifted(0, 0), np.array([[100, 80, 160, 150]]))
    assert ids == [0] and ended == []
    ok, _ = tracker.follow(0.2, shifted(6, -4), scale=1.0)
    assert ok
    np.testing.assert_allclose(tracker.visible[0], [106, 76, 166, 146], atol=0.5)


def test_keyframe_links_by_overlap_and_starts_new_tracks():
    tracker = FaceTracker()
    tracker.keyframe(0.0, TEXTURE, np.array([[10, 10, 50, 50], [200, 10, 240, 50]]))
    ids, _ = tracker.keyframe(0.6, TEXTURE, np.array([[205, 12, 245, 52], [12, 11, 52, 51], [100, 100, 140, 140]]))
    assert ids == [1, 0, 2]


def test_lost_face_is_hidden_then_ends_after_max_gap():
    tracker = FaceTracker(max_gap=1.0)
    tracker.keyframe(0.0, TEXTURE, np.array([[10, 10, 50, 50]]))
    ids, ended = tracker.keyframe(0.6, TEXTURE, np.zeros((0, 4)))
    assert ids == [] and ended == [] and tracker.visible == {}
    ids, _ = tracker.keyframe(0.9, TEXTURE, np.array([[11, 10, 51, 50]]))
    assert ids == [0]  # re-detected within max_gap: the same track
    _, ended = tracker.keyframe(2.0, TEXTURE, np.zeros((0, 4)))
    assert ended == [0]


def test_flow_on_a_blank_frame_loses_the_face():
    tracker = FaceTracker()
    tracker.keyframe(0.0, TEXTURE, np.array([[100, 80, 160, 150]]))
    ok, _ = tracker.follow(0.2, np.zeros_like(TEXTURE), scale=1.0)
    assert not ok and tracker.visible == {}


def test_cut_ends_every_track():
    tracker = FaceTracker()
    tracker.keyframe(0.0, TEXTURE, np.array([[10, 10, 50, 50], [100, 100, 150, 150]]))
    assert sorted(tracker.cut()) == [0, 1] and tracker.visible == {}


def test_shot_cut_detector():
    shots = ShotCutDetector()
    assert not shots.is_cut(shifted(0, 0))
    assert not shots.is_cut(shifted(2, 1))  # a small pan continues the shot
    other = shifted(2, 1).T[:240, :240].copy()  # another picture
    assert shots.is_cut(other)
    assert not shots.is_cut(other)


def _face(box, score=0.9, landmarks=None) -> Face:
    x1, y1, x2, y2 = box
    if landmarks is None:  # a frontal layout inside the box
        w, h = x2 - x1, y2 - y1
        landmarks = np.array(
            [
                [x1 + 0.3 * w, y1 + 0.4 * h],
                [x1 + 0.7 * w, y1 + 0.4 * h],
                [x1 + 0.5 * w, y1 + 0.6 * h],
                [x1 + 0.35 * w, y1 + 0.8 * h],
                [x1 + 0.65 * w, y1 + 0.8 * h],
            ]
        )
    return Face(np.array(box, np.float32), score, np.asarray(landmarks, np.float32))


def test_quality_factors():
    assert size_factor(_face([0, 0, 40, 40])) == pytest.approx(0.5)
    assert size_factor(_face([0, 0, 200, 160])) == 1.0
    frontal = _face([0, 0, 100, 100]).landmarks
    profile = frontal.copy()
    profile[2, 0] = frontal[1, 0]  # nose under the right eye: turned away
    assert frontal_factor(frontal) == pytest.approx(1.0) and frontal_factor(profile) < 0.2
    checker = (np.indices((64, 64)).sum(0) // 8 % 2 * 255).astype(np.uint8)
    blurred = cv2.GaussianBlur(checker, (0, 0), 4)
    assert (
        sharpness_factor(checker)
        == 1.0
        > sharpness_factor(blurred)
        > sharpness_factor(np.full((64, 64), 128, np.uint8))
        == 0.0
    )
    frame = np.dstack([np.tile(checker, (4, 4))] * 3)
    big, small = _face([50, 50, 150, 150]), _face([50, 50, 70, 70])
    assert face_quality(frame, big) > face_quality(frame, small) > 0


class _ColourEmbedder:
    """A stand-in network for testing the averaging and matching logic: a crop's mean colour as
    its 3-d embedding (the embedder is not what these tests are about)."""

    name, version, dim = "colour", "1", 3

    def crop(self, frame, face):
        x1, y1, x2, y2 = face.box.astype(int)
        return frame[y1:y2, x1:x2][:8, :8]

    def embed(self, crops):
        v = np.asarray(crops, np.float32).mean(axis=(1, 2))
        return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_track_keeps_only_its_best_faces_and_averages_them(tmp_path):
    from speakerid.identity.gallery import Gallery
    from speakerid.settings import AnnotateSettings

    embedder = _ColourEmbedder()
    red = np.zeros((100, 100, 3), np.uint8)
    red[..., 0] = 200
    blue = red[..., ::-1].copy()
    track = TrackEvidence(7, max_faces=2)
    for i, (quality, frame) in enumerate([(0.9, red), (0.1, blue), (0.8, red), (0.2, blue)]):
        track.seen(i, i * 0.2)
        track.offer(quality, frame, _face([10, 10, 60, 60]), i, embedder)
    assert len(track.best) == 2 and sorted(c.frame for c in track.best) == [0, 2]  # the two red faces
    gallery = Gallery("colour", "1")
    gallery.add_person("ada", np.array([[1.0, 0.0, 0.0], [0.98, 0.2, 0.0]], np.float32), ["a.jpg", "b.jpg"])
    gallery.add_person("bob", np.array([[0.0, 0.0, 1.0], [0.0, 0.2, 0.98]], np.float32), ["c.jpg", "d.jpg"])
    [result] = identify([track], embedder, gallery, AnnotateSettings(threshold=0.5))
    assert result.identity == "ada" and result.num_faces == 4 and result.embedded == 2
    assert (result.start, result.end, result.best_frame) == (0.0, 0.6000000000000001, 0)
    np.testing.assert_allclose(result.embedding, [1, 0, 0], atol=1e-6)


def _table() -> tuple[FaceTable, dict[int, TrackResult]]:
    table = FaceTable()
    table.add_frame(0, 0.5)
    table.add_face(3, (0.1, 0.1, 0.2, 0.2), 0.9)
    table.add_face(4, (0.6, 0.1, 0.1, 0.1), None)
    table.add_frame(6, 0.7)
    table.add_frame(12, 0.9)
    table.add_face(4, (0.6, 0.1, 0.1, 0.1), 0.8)
    tracks = {
        t: TrackResult(t, name, name, 0.8, 0.6, 0.5, 0.9, 0, 12, 2, 1, None, 0, (0, 0, 1, 1))
        for t, name in ((3, "ada"), (4, UNKNOWN))
    }
    return table, tracks


def test_frame_sequence_builds_frames_from_the_table():
    table, tracks = _table()
    frames = FrameSequence(table, tracks)
    assert len(frames) == 3 and [f.index for f in frames] == [0, 6, 12]
    first = frames[0]
    assert [f.identity for f in first.faces] == ["ada", UNKNOWN]
    assert first.faces[0].detector_score == pytest.approx(0.9) and first.faces[1].detector_score is None
    assert first.faces[0].box == pytest.approx((0.1, 0.1, 0.2, 0.2))
    assert frames[1].faces == [] and frames[-1].faces[0].track == 4
    with pytest.raises(IndexError):
        frames[3]


def test_smooth_labels_removes_flickers_but_not_empty_frames():
    labels = ["a", "a", "b", "a", "a", None, "a", "a"]
    assert smooth_labels(labels, 5) == ["a", "a", "a", "a", "a", None, "a", "a"]
    assert smooth_labels(labels, 1) == labels


def test_prefetch_keeps_order_and_reraises():
    assert list(prefetch(range(50), depth=3)) == list(range(50))

    def broken():
        yield 1
        raise ValueError("bad frame")

    got = []
    with pytest.raises(ValueError, match="bad frame"):
        for item in prefetch(broken()):
            got.append(item)
    assert got == [1]


def test_prefetch_closes_its_source_when_abandoned():
    closed = []

    def source():
        try:
            yield from range(1000)
        finally:
            closed.append(True)

    items = prefetch(source(), depth=2)
    assert next(items) == 0
    items.close()
    assert closed == [True]
