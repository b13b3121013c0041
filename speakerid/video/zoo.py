"""``speakerid/video2vec`` as a FiftyOne zoo model, so similarity indexes keep text search.

FiftyOne reloads an index's model by name whenever a text prompt arrives, so the model is
installed as a local zoo source (``speakerid.zoo_source``). Prompts are embedded by the
checkpoint's text encoder: the space video2vec embeddings live in.
"""

from __future__ import annotations

import fiftyone.core.models as fom
import numpy as np

from speakerid import zoo_source

ZOO_MODEL_NAME = "speakerid/video2vec"
SOURCE_DIR = "speakerid-video2vec"
MANIFEST = zoo_source.manifest(
    SOURCE_DIR,
    ZOO_MODEL_NAME,
    "speakerid-video2vec.json",
    "Apache-2.0",
    "speakerid.video (reference 004: Video2Vec)",
    "Video2Vec: two-stream CNN + RNN + MLP into the all-MiniLM-L6-v2 text space; embeds videos (with a checkpoint) "
    "and text prompts",
    ["embeddings", "video", "zero-shot", "torch"],
    ["torch", "sentence_transformers"],
    gpu=True,
)


def register_zoo_model(models_dir: str | None = None) -> str:
    """Install (or refresh) the local zoo source; returns the zoo model name."""
    zoo_source.install(SOURCE_DIR, MANIFEST, __name__, models_dir)
    return ZOO_MODEL_NAME


download_model = zoo_source.write_marker  # FiftyOne's zoo entry point: only the marker to write


def load_model(
    model_name: str, model_path: str, checkpoint: str | None = None, text_encoder: str | None = None, **kwargs
):
    """Zoo entry point: ``foz.load_zoo_model(ZOO_MODEL_NAME, checkpoint=...)``."""
    if model_name != ZOO_MODEL_NAME:
        raise ValueError(f"unsupported model {model_name!r}")
    return Video2VecModel(checkpoint, text_encoder)


class Video2VecModel(fom.Model, fom.EmbeddingsMixin, fom.PromptMixin):
    """Embeds text prompts (always) and videos (when built with a checkpoint)."""

    def __init__(self, checkpoint: str | None = None, text_encoder: str | None = None) -> None:
        from speakerid.video.text import DEFAULT_TEXT_ENCODER

        self.checkpoint = checkpoint
        self._videos = None
        if checkpoint is not None and text_encoder is None:
            text_encoder = self.videos.meta.text_encoder
        self.text_encoder = text_encoder or DEFAULT_TEXT_ENCODER
        self.config = {"checkpoint": checkpoint, "text_encoder": self.text_encoder}

    @property
    def videos(self):
        """The checkpoint's :class:`~speakerid.video.embedder.VideoEmbedder`, loaded on first use."""
        if self._videos is None:
            if self.checkpoint is None:
                raise ValueError("video2vec: embedding videos needs checkpoint=...")
            from speakerid.video.embedder import VideoEmbedder

            self._videos = VideoEmbedder(self.checkpoint)
        return self._videos

    @property
    def media_type(self) -> str:
        return "video"

    @property
    def ragged_batches(self) -> bool:
        return False

    @property
    def transforms(self):
        return None

    @property
    def preprocess(self) -> bool:
        return False

    @preprocess.setter
    def preprocess(self, value: bool) -> None:
        pass

    @property
    def has_embeddings(self) -> bool:
        return self.checkpoint is not None

    @property
    def can_embed_prompts(self) -> bool:
        return True

    def embed_prompt(self, arg: str) -> np.ndarray:
        return self.embed_prompts([arg])[0]

    def embed_prompts(self, args: list[str]) -> np.ndarray:
        from speakerid.video.text import get_text_encoder

        return get_text_encoder(self.text_encoder).encode(list(args))

    def embed(self, arg) -> np.ndarray:
        """``arg``: a FiftyOne video reader (its ``inpath``) or a video path."""
        res = self.videos.embed_path(str(getattr(arg, "inpath", arg)))
        return np.zeros(self.videos.model.config.embed_dim, np.float32) if res is None else res[0]

    def embed_all(self, args) -> np.ndarray:
        return np.stack([self.embed(a) for a in args])

    def predict(self, arg):
        """The checkpoint's class (softmax head, averaged over windows) as ``fo.Classification``."""
        import fiftyone as fo

        res = self.videos.embed_path(str(getattr(arg, "inpath", arg)))
        if res is None:
            return None
        logits = res[1]
        prob = np.exp(logits - logits.max())
        prob /= prob.sum()
        best = int(prob.argmax())
        return fo.Classification(label=self.videos.meta.labels[best], confidence=float(prob[best]))
