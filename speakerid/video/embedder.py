"""Video2Vec embeddings of spans: a whole video or one temporal detection.

A span is cut into the checkpoint's windows; its embedding is the re-normalised mean of the
window embeddings (the model was trained on windows, so it is never run on sequences longer than
it has seen).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np

from speakerid.threads import limited
from speakerid.video.clips import Span, num_frames, window_clips
from speakerid.video.features import FeatureSettings, FeatureStore
from speakerid.video.model import load_checkpoint, predict, resolve_checkpoint


class VideoEmbedder:
    """A trained checkpoint plus its feature pipeline: spans -> (embedding, class logits)."""

    def __init__(self, checkpoint: str | Path, cache_root: str | Path | None = None, threads: int | None = 1) -> None:
        self.checkpoint = resolve_checkpoint(checkpoint)
        self.model, self.meta = load_checkpoint(self.checkpoint)
        self.store = FeatureStore(FeatureSettings(**self.meta.features), cache_root)
        self.threads = threads

    def embed_spans(
        self,
        spans: list[Span],
        advance: Callable[[int], None] | None = None,
    ) -> list[tuple[np.ndarray, np.ndarray] | None]:
        """Per span: (unit embedding (D,), mean logits (C,)), or None if no window had frames."""
        clips = window_clips(spans, self.meta.window_s)
        feats = self.store.get_many(clips, advance)
        ok = [i for i, f in enumerate(feats) if f is not None]
        with limited(self.threads):
            logits, embs = predict(self.model, [feats[i] for i in ok])
        groups: dict[tuple, list[int]] = defaultdict(list)
        for row, i in enumerate(ok):
            c = clips[i]
            groups[(c.path, c.sample_id, c.clip_id, c.label)].append(row)
        out: list[tuple[np.ndarray, np.ndarray] | None] = []
        for span in spans:
            rows = groups.get((span.path, span.sample_id, span.clip_id, span.label))
            if not rows:
                out.append(None)
                continue
            mean = embs[rows].mean(axis=0)
            out.append((mean / max(np.linalg.norm(mean), 1e-12), logits[rows].mean(axis=0)))
        return out

    def embed_path(self, path: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(embedding, mean logits) of one whole video file, None if it yields no window."""
        return self.embed_spans([Span(path, None, 1, num_frames(path), path)])[0]
