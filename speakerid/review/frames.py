"""Face crops cut from the pictures the App shows (``labels.app_pictures``): thumbnails for the
panel, the member strip and naming."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from speakerid.identity.gallery import THUMB_PX
from speakerid.labels.app_pictures import app_picture


def crop_box(frame: np.ndarray, box: Iterable[float], margin: float = 0.25, size: int = THUMB_PX) -> np.ndarray:
    """A square ``size`` x ``size`` RGB crop around relative box (x, y, w, h), ``margin`` of the
    box's side added around it (a face with some context reads better as a thumbnail)."""
    from PIL import Image

    h, w = frame.shape[:2]
    x, y, bw, bh = (float(v) for v in box)
    cx, cy = (x + bw / 2) * w, (y + bh / 2) * h
    side = max(bw * w, bh * h) * (1 + 2 * margin)
    x1, y1 = int(round(cx - side / 2)), int(round(cy - side / 2))
    x2, y2 = x1 + max(int(round(side)), 1), y1 + max(int(round(side)), 1)
    padded = np.zeros((y2 - y1, x2 - x1, 3), np.uint8)  # outside the picture: black
    sx1, sy1, sx2, sy2 = max(x1, 0), max(y1, 0), min(x2, w), min(y2, h)
    if sx2 > sx1 and sy2 > sy1:
        padded[sy1 - y1 : sy2 - y1, sx1 - x1 : sx2 - x1] = frame[sy1:sy2, sx1:sx2]
    return np.asarray(Image.fromarray(padded).resize((size, size), Image.BILINEAR))


def track_crop(track: Any) -> np.ndarray:
    """The best face of a ``review.tracks.Track``, as a thumbnail-sized square crop."""
    return crop_box(app_picture(track.filepath, track.best_frame, track.frame_rate), track.best_box)


def crop_file(track: Any) -> Path:
    """A JPEG of ``track_crop`` in speakerid's cache (the App shows it through ``/media``)."""
    import io

    from PIL import Image

    from speakerid.cache import atomic_write_bytes, cache_dir

    path = cache_dir("crops") / f"{track.label_id}-{track.best_frame}.jpg"
    if not path.is_file():
        buf = io.BytesIO()
        Image.fromarray(track_crop(track)).save(buf, format="JPEG", quality=90)
        atomic_write_bytes(path, buf.getvalue())
    return path
