"""Frozen two-stream features per window, cached on disk so later epochs never re-decode video.

The cache key is the video file (absolute path, size, mtime), the window's frame span and every
setting that changes the numbers (fps, CNN input size, backbone, flow method). Entries are
``.npz`` files read with ``allow_pickle=False`` under ``speakerid.cache.cache_dir("video2vec")``.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from speakerid.cache import atomic_write_bytes, cache_dir
from speakerid.video.clip_frames import iter_clip_frames
from speakerid.video.clips import ClipSpec

FEATURES_VERSION = 1


@dataclass(frozen=True)
class FeatureSettings:
    """Everything that decides a window's features (and so its cache key)."""

    fps: float = 10.0
    size: int = 112
    backbone: str = "mobilenet_v2"
    flow: str = "farneback"
    backend: str = "pyav"

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class ClipFeatures:
    """Per-frame features of one window: ``rgb`` and ``flow`` (T, D) float32."""

    rgb: np.ndarray
    flow: np.ndarray

    def __len__(self) -> int:
        return len(self.rgb)


class FeatureStore:
    """Window features from the disk cache, extracting (and caching) only the missing ones."""

    def __init__(self, settings: FeatureSettings, root: str | Path | None = None) -> None:
        self.settings = settings
        self.root = Path(root) if root is not None else cache_dir("video2vec", "features")
        self._extractor = None

    def key(self, clip: ClipSpec) -> str:
        """Content key of a window under the current settings."""
        path = os.path.abspath(clip.path)
        st = os.stat(path)
        blob = json.dumps(
            {
                "v": FEATURES_VERSION,
                "path": path,
                "size": st.st_size,
                "mtime_ns": st.st_mtime_ns,
                "span": [clip.first, clip.last],
                "settings": self.settings.to_dict(),
            },
            sort_keys=True,
        )
        return hashlib.sha1(blob.encode()).hexdigest()

    def _file(self, clip: ClipSpec) -> Path:
        key = self.key(clip)
        return self.root / key[:2] / f"{key}.npz"

    def load(self, clip: ClipSpec) -> ClipFeatures | None:
        """Cached features of ``clip``, or None."""
        path = self._file(clip)
        if not path.is_file():
            return None
        with np.load(path, allow_pickle=False) as data:
            return ClipFeatures(data["rgb"], data["flow"])

    def save(self, clip: ClipSpec, feats: ClipFeatures) -> None:
        buf = io.BytesIO()
        np.savez(buf, rgb=feats.rgb.astype(np.float32), flow=feats.flow.astype(np.float32))
        atomic_write_bytes(self._file(clip), buf.getvalue())

    @property
    def extractor(self):
        """The two CNN streams, built on first use only (cache hits need no model)."""
        if self._extractor is None:
            from speakerid.video.streams import TwoStreamExtractor

            self._extractor = TwoStreamExtractor(self.settings.backbone)
        return self._extractor

    def get_many(
        self, clips: list[ClipSpec], advance: Callable[[int], None] | None = None
    ) -> list[ClipFeatures | None]:
        """Features for every clip, in order; None for a window with no frame at this fps.

        Missing windows are decoded one video at a time, each video in as few reads as possible.
        """
        out: list[ClipFeatures | None] = [None] * len(clips)
        todo: dict[str, list[int]] = defaultdict(list)
        for i, clip in enumerate(clips):
            feats = self.load(clip)
            if feats is None:
                todo[clip.path].append(i)
            else:
                out[i] = feats
                if advance:
                    advance(1)
        for path, indices in todo.items():
            by_clip = defaultdict(list)
            for i in indices:
                by_clip[clips[i]].append(i)
            s = self.settings
            for clip, frames in iter_clip_frames(path, list(by_clip), s.fps, s.size, s.backend):
                feats = None
                if len(frames):
                    feats = ClipFeatures(*self.extractor(frames))
                    self.save(clip, feats)
                for i in by_clip[clip]:
                    out[i] = feats
                if advance:
                    advance(len(by_clip[clip]))
        return out
