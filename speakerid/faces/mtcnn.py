"""Batched face detection with facenet-pytorch's MTCNN (P/R/O-net weights ship in its wheel).

Slower than YuNet (about 120 ms per 720p frame on a laptop CPU against 30 ms) and it needs torch,
but it is the detector FaceNet's crops were defined with; ``--detector mtcnn`` selects it.
"""

from __future__ import annotations

import numpy as np

from speakerid.faces.face import Face, check_frames
from speakerid.weights import MTCNN

DEFAULT_MIN_SCORE = 0.90


class MTCNNDetector:
    """MTCNN over whole batches of same-size frames; keeps faces scoring at least ``min_score``.

    ``min_face_size`` (pixels) bounds the image pyramid: larger values are faster but miss small
    faces.
    """

    name = "mtcnn"

    def __init__(self, min_face_size: int = 20, min_score: float | None = None, device: str = "cpu") -> None:
        import torch
        from facenet_pytorch import MTCNN as FacenetMTCNN

        MTCNN.paths()  # the P/R/O-net files facenet-pytorch loads: present and the expected ones
        self.min_face_size = int(min_face_size)
        self.min_score = DEFAULT_MIN_SCORE if min_score is None else float(min_score)
        self._mtcnn = FacenetMTCNN(
            min_face_size=self.min_face_size,
            select_largest=False,
            keep_all=True,
            post_process=False,
            device=torch.device(device),
        )
        for net in (self._mtcnn.pnet, self._mtcnn.rnet, self._mtcnn.onet):
            net.to(memory_format=torch.channels_last)  # same boxes (1e-4 px); CPU max-pooling ~2x faster

    def detect(self, frames: np.ndarray) -> list[list[Face]]:
        """Faces per frame of ``frames`` (N,H,W,3) uint8 RGB, most confident first."""
        frames = check_frames(frames)
        if len(frames) == 0:
            return []
        boxes, probs, points = self._mtcnn.detect(frames, landmarks=True)
        out = []
        for frame_boxes, frame_probs, frame_points in zip(boxes, probs, points):
            faces = []
            if frame_boxes is not None:
                for box, prob, pts in zip(frame_boxes, frame_probs, frame_points):
                    if prob >= self.min_score:
                        faces.append(Face(np.asarray(box, np.float32), float(prob), np.asarray(pts, np.float32)))
            out.append(faces)
        return out
