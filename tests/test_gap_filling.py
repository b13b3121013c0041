"""No silent gaps: a face the whole-frame detector misses on a keyframe is found again near its last box.

Real frames of the Friends wide shot out34 (``../shared/data/videos_dev``, faces of 18-30 px):
the detector finds a small face on the first analysed frame and misses it on the next one,
five frames later; a detection on the enlarged crop around the last box finds it again.
"""

from __future__ import annotations

import numpy as np
import pytest

from speakerid.faces.detect import load_detector
from speakerid.faces.local import detect_near
from speakerid.io import read_frames


@pytest.fixture(scope="module")
def two_frames(shared_data):
    frames = {}
    for batch in read_frames(shared_data / "videos_dev" / "out34.mp4", fps=5, end=0.5):
        frames.update({int(i): f for i, f in zip(batch.indices, batch.frames)})
    return frames[0], frames[5]


def _near(boxes: np.ndarray, box: np.ndarray) -> np.ndarray:
    side = max(box[2] - box[0], box[3] - box[1])
    centres = (boxes[:, :2] + boxes[:, 2:]) / 2
    return np.linalg.norm(centres - (box[:2] + box[2:]) / 2, axis=1) < side


def test_a_small_face_missed_on_the_whole_frame_is_found_near_its_last_box(two_frames):
    detector = load_detector("yunet")
    first, second = two_frames
    before = np.array([f.box for f in detector.detect(first[None])[0]]).reshape(-1, 4)
    after = np.array([f.box for f in detector.detect(second[None])[0]]).reshape(-1, 4)
    lost = [b for b in before if not _near(after, b).any()]
    assert lost, "every face of the first frame was detected again: nothing to look for"
    found = [detect_near(detector, second, b, after) for b in lost]
    rescued = [(b, f) for b, f in zip(lost, found) if f is not None]
    assert rescued
    for box, face in rescued:
        assert max(face.box[2] - face.box[0], face.box[3] - face.box[1]) < 40  # the small face, full-frame pixels
        assert _near(face.box[None], box).all() and face.landmarks.shape == (5, 2)
        assert (face.landmarks >= face.box[:2] - 5).all() and (face.landmarks <= face.box[2:] + 5).all()
        # a face already detected on the frame is not taken twice
        assert detect_near(detector, second, box, np.vstack([after, face.box[None]])) is None


def test_a_track_found_again_stays_the_same_track():
    from speakerid.timeline.tracks import FaceTracker

    grey = np.zeros((90, 160), np.uint8)
    tracker = FaceTracker(max_gap=0.3)
    ids, _ = tracker.keyframe(0.0, grey, np.array([[10, 10, 30, 34]], np.float32))
    asked = []

    def look_again(tid: int, box: np.ndarray) -> np.ndarray | None:
        asked.append(tid)
        return box + 3

    assert tracker.keyframe(0.2, grey, np.zeros((0, 4)), look_again) == ([], [])
    assert asked == ids and tracker.visible[ids[0]].tolist() == [13, 13, 33, 37]
    # at 0.6 s it has been found 0.4 s ago (> max_gap): not found now, it ends
    assert tracker.keyframe(0.6, grey, np.zeros((0, 4)), lambda tid, box: None) == ([], ids)
