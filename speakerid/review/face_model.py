"""speakerid's face embedder as a FiftyOne zoo model, so face similarity indexes name their model.

FiftyOne stores an index's model by *name* and reloads it (``foz.load_zoo_model``) whenever it
must embed something new (a patch added to the index, ``compute_similarity(model=...)``). We
install a local zoo source (``speakerid.zoo_source``, as ``speakerid.video.zoo`` does for video2vec).

The model embeds *face patches* (FiftyOne crops each box, ``alpha`` adds context): the face is
re-detected inside the patch for the landmarks and crop the embedder was trained on; a patch
where no face is found is embedded as a face filling it.
"""

from __future__ import annotations

from typing import Any

import fiftyone.core.models as fom
import numpy as np

from speakerid import zoo_source

FACE_MODEL = "speakerid/face-embedder"
SOURCE_DIR = "speakerid-faces"
_MARKER = "speakerid-face-embedder.json"
# A face re-detected in a patch stands for the patch's face if it covers this share of it.
MIN_PATCH_SHARE = 0.2

MANIFEST = zoo_source.manifest(
    SOURCE_DIR,
    FACE_MODEL,
    _MARKER,
    "see speakerid docs/models.md (facenet: non-commercial research; sface: Apache-2.0)",
    "speakerid.faces.embedders",
    "speakerid's face embedder (FaceNet by default, embedder='sface' for SFace) on face "
    "patches: re-detected, cropped as at enrolment, unit-length identity vectors",
    ["embeddings", "faces", "onnx"],
    ["onnxruntime", "opencv-python-headless"],
    gpu=False,
)


def register_face_model(models_dir: str | None = None) -> str:
    """Install (or refresh) the local zoo source; returns the zoo model name."""
    zoo_source.install(SOURCE_DIR, MANIFEST, __name__, models_dir)
    return FACE_MODEL


download_model = zoo_source.write_marker  # FiftyOne's zoo entry point: only the marker to write


def load_model(
    model_name: str, model_path: str, embedder: str = "facenet", detector: str = "yunet", **kwargs: Any
) -> FacePatchModel:
    """Zoo entry point: ``foz.load_zoo_model(FACE_MODEL, embedder="facenet")``."""
    if model_name != FACE_MODEL:
        raise ValueError(f"unsupported model {model_name!r}")
    return FacePatchModel(embedder, detector)


class FacePatchModel(fom.Model, fom.EmbeddingsMixin):
    """Unit identity embeddings of face patches (RGB uint8 arrays)."""

    def __init__(self, embedder: str = "facenet", detector: str = "yunet") -> None:
        from speakerid.pipeline import models_for
        from speakerid.settings import AnnotateSettings

        models = models_for(AnnotateSettings(embedder=embedder, detector=detector))
        self.detector, self.embedder = models.detector, models.embedder
        self.config = {"embedder": embedder, "detector": detector}

    @property
    def media_type(self) -> str:
        return "image"

    @property
    def ragged_batches(self) -> bool:
        return True

    @property
    def transforms(self) -> None:
        return None

    @property
    def preprocess(self) -> bool:
        return False

    @preprocess.setter
    def preprocess(self, value: bool) -> None:
        pass

    @property
    def has_embeddings(self) -> bool:
        return True

    def crop(self, patch: np.ndarray) -> np.ndarray:
        """The embedder's input for one face patch."""
        from speakerid.faces.align import ARCFACE_112
        from speakerid.faces.face import Face

        patch = np.ascontiguousarray(np.asarray(patch)[..., :3], np.uint8)
        h, w = patch.shape[:2]
        faces = [f for f in self.detector.detect(patch[None])[0] if f.area >= MIN_PATCH_SHARE * h * w]
        if faces:
            return self.embedder.crop(patch, max(faces, key=lambda f: f.area))
        landmarks = ARCFACE_112 / 112.0 * np.array([w, h], np.float32)  # a face filling the patch
        return self.embedder.crop(patch, Face(np.array([0, 0, w, h], np.float32), 0.0, landmarks))

    def embed(self, arg: np.ndarray) -> np.ndarray:
        return self.embed_all([arg])[0]

    def embed_all(self, args: Any) -> np.ndarray:
        return self.embedder.embed(np.stack([self.crop(a) for a in args]))

    def predict(self, arg: np.ndarray) -> np.ndarray:
        return self.embed(arg)

    def predict_all(self, args: Any) -> np.ndarray:
        return self.embed_all(args)
