"""Face records, and face detectors by name: ``load_detector("yunet" | "mtcnn")``.

Every detector returns, per frame, :class:`Face` records whose ``box`` follows MTCNN's
convention (a tight box from brow to chin) and whose five landmarks come in one order, so the
embedders crop the same region whichever detector found the face.
"""

from __future__ import annotations

import numpy as np

from speakerid.defaults import DEFAULT_DETECTOR
from speakerid.faces.align import ARCFACE_112
from speakerid.faces.face import Detector, Face

DETECTORS = ("yunet", "mtcnn")
# Where five landmarks sit inside a square face box (x, y as fractions of its side): the ArcFace
# template, and MTCNN's mean layout inside its own boxes (for boxes drawn without landmarks).
ARCFACE_LAYOUT = ARCFACE_112 / 112.0
MTCNN_LAYOUT = np.array([[0.31, 0.40], [0.69, 0.40], [0.50, 0.58], [0.35, 0.78], [0.65, 0.78]], np.float32)


def load_detector(name: str = DEFAULT_DETECTOR, min_face_size: int = 20, min_score: float | None = None) -> Detector:
    """A ready detector; ``min_score`` None keeps the detector's own default."""
    if name == "yunet":
        from speakerid.faces.yunet import YuNetDetector

        return YuNetDetector(min_face_size=min_face_size, min_score=min_score)
    if name == "mtcnn":
        from speakerid.faces.mtcnn import MTCNNDetector

        return MTCNNDetector(min_face_size=min_face_size, min_score=min_score)
    raise ValueError(f"unknown detector {name!r}; choose one of {', '.join(DETECTORS)}")


def main_face(faces: list[Face], height: int, width: int, centre_weight: float = 2.0) -> Face | None:
    """The subject of a portrait: largest box once its squared distance from the image centre,
    times ``centre_weight``, is subtracted (facenet-pytorch's "center_weighted_size"); None if none.

    Pure "largest" picks a bystander on ~1 in 8 LFW images, which costs SFace 5 points of AUC.
    """

    def weight(face: Face) -> float:
        cx, cy = (face.box[0] + face.box[2]) / 2 - width / 2, (face.box[1] + face.box[3]) / 2 - height / 2
        return face.area - centre_weight * float(cx * cx + cy * cy)

    return max(faces, key=weight, default=None)


def box_face(box: np.ndarray, score: float = 0.0, layout: np.ndarray = MTCNN_LAYOUT) -> Face:
    """A Face for a box found without landmarks: ``layout``'s landmark positions inside it."""
    box = np.asarray(box, np.float32)
    return Face(box=box, score=score, landmarks=(box[:2] + layout * (box[2:] - box[:2])).astype(np.float32))


def centre_face(height: int, width: int, fraction: float = 0.5, layout: np.ndarray = ARCFACE_LAYOUT) -> Face:
    """A stand-in for a centred portrait where nothing was detected: the central square (side
    ``fraction`` of the short side) with ``layout``'s landmarks, so any embedder can crop it."""
    side = fraction * min(height, width)
    x1, y1 = (width - side) / 2, (height - side) / 2
    return box_face(np.array([x1, y1, x1 + side, y1 + side]), 0.0, layout)
