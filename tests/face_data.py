"""Fixtures shared by the face training, explanation and robustness tests (import them by name)."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """One torch thread: on a shared 2-core machine two spin-waiting threads are ~10x slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def face_models():
    """MTCNN with the training loader's face size and the default facenet embedder."""
    from speakerid.faces.embedders import get_embedder
    from speakerid.faces.mtcnn import MTCNNDetector
    from speakerid.train.specs import TRAIN_MIN_FACE

    return MTCNNDetector(min_face_size=TRAIN_MIN_FACE), get_embedder("facenet")
