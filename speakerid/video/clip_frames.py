"""Decode the frames of many windows of one video in one pass, small and square, at a fixed fps.

Frames come from the decoding layer (``speakerid.io.read_frames`` with ``start``/``end``), are
shrunk at once (OpenCV area resize + pytorchvideo ``uniform_crop``, so a 1080p video never
sits in memory at full size) and handed out window by window as soon as a window's last
frame has been decoded. Windows are matched to frames by decode index, so a stream whose first
PTS is not 0 (the Hamilton clip starts at 0.85 s) is handled exactly.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

import cv2
import numpy as np
import torch

from speakerid.imagenet import IMAGENET_MEAN, IMAGENET_STD
from speakerid.video.clips import ClipSpec, video_info
from speakerid.video.pytorchvideo_compat import pytorchvideo_module

# Windows further apart than this are decoded by separate (seeking) reads.
_MAX_GAP_S = 10.0


@lru_cache(maxsize=1024)
def first_pts(path: str, backend: str = "pyav") -> float:
    """Presentation time of the first frame: the origin of FiftyOne frame numbers."""
    from speakerid.io import read_frames

    for batch in read_frames(path, fps=None, batch_size=1, backend=backend):
        return float(batch.times[0])
    return 0.0


def shrink(frames: np.ndarray, size: int) -> np.ndarray:
    """(N,H,W,3) uint8 -> (N,size,size,3) uint8: short side to ``size``, then centre crop.

    The scaling is OpenCV's area filter on uint8: from 1080p to ~112 px a bilinear resize (what
    pytorchvideo's ``short_side_scale`` does) aliases badly, and the float copy of a full-size
    frame costs more than the rest of the pipeline. The crop is pytorchvideo's ``uniform_crop``.
    """
    fn = pytorchvideo_module("transforms.functional")
    out = []
    for frame in frames:
        h, w = frame.shape[:2]
        scale = size / min(h, w)
        small = cv2.resize(
            frame, (max(size, round(w * scale)), max(size, round(h * scale))), interpolation=cv2.INTER_AREA
        )
        video = torch.from_numpy(small).permute(2, 0, 1)[:, None]  # (C,1,H,W)
        out.append(fn.uniform_crop(video, size, spatial_idx=1)[:, 0].permute(1, 2, 0).numpy())
    return np.stack(out) if out else np.zeros((0, size, size, 3), np.uint8)


def normalize_rgb(frames: np.ndarray) -> torch.Tensor:
    """(T,S,S,3) uint8 -> (T,3,S,S) float, ImageNet-normalised (pytorchvideo ``Normalize``)."""
    transforms = pytorchvideo_module("transforms")
    video = torch.from_numpy(frames).permute(3, 0, 1, 2).float() / 255.0
    video = transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD)(video)
    return video.permute(1, 0, 2, 3).contiguous()


def _runs(clips: list[ClipSpec], fps: float) -> list[list[ClipSpec]]:
    """Clips sorted by (first, last) frame, grouped while each starts within ``_MAX_GAP_S`` of the
    group's end, so that one sequential read covers each group without long idle stretches."""
    gap = _MAX_GAP_S * fps
    groups: list[list[ClipSpec]] = []
    group_end = float("-inf")
    for clip in sorted(clips, key=lambda c: (c.first, c.last)):
        if groups and clip.first - group_end <= gap:
            groups[-1].append(clip)
            group_end = max(group_end, clip.last)
        else:
            groups.append([clip])
            group_end = clip.last
    return groups


def iter_clip_frames(
    path: str, clips: list[ClipSpec], fps: float, size: int, backend: str = "pyav"
) -> Iterator[tuple[ClipSpec, np.ndarray]]:
    """(clip, frames (T,size,size,3) uint8) for every clip of ``path``, in start order.

    Frames are sampled at ``fps`` on the decoding layer's stream-anchored grid, so a window has
    the same frames whether read alone or together with its neighbours.
    """
    from speakerid.io import read_frames

    info = video_info(path)
    t0 = first_pts(path, backend)
    for run in _runs(clips, info.fps):
        lo = min(c.first for c in run) - 1
        hi = max(c.last for c in run) - 1
        start = max(t0, t0 + (lo - 1) / info.fps)
        end = t0 + (hi + 1.5) / info.fps
        pending = list(run)
        kept_idx: list[np.ndarray] = []
        kept: list[np.ndarray] = []
        for batch in read_frames(path, fps=fps, start=start, end=end, batch_size=16, backend=backend):
            inside = (batch.indices >= lo) & (batch.indices <= hi)
            if inside.any():
                kept_idx.append(batch.indices[inside])
                kept.append(shrink(batch.frames[inside], size))
            done = int(batch.indices[-1])
            pending, kept_idx, kept = yield from _emit(pending, kept_idx, kept, done, size)
        yield from _emit(pending, kept_idx, kept, None, size)


def _emit(pending: list[ClipSpec], kept_idx: list[np.ndarray], kept: list[np.ndarray], done: int | None, size: int):
    """Yield the pending clips whose last frame is decoded; drop frames no clip still needs."""
    if not kept:
        idx, frames = np.zeros(0, np.int64), np.zeros((0, size, size, 3), np.uint8)
    else:
        idx, frames = np.concatenate(kept_idx), np.concatenate(kept)
    still = []
    for clip in pending:
        if done is None or clip.last - 1 <= done:
            sel = (idx >= clip.first - 1) & (idx <= clip.last - 1)
            yield clip, frames[sel]
        else:
            still.append(clip)
    if still:
        keep = idx >= min(c.first for c in still) - 1
        return still, [idx[keep]], [frames[keep]]
    return still, [], []
