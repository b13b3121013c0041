"""The pictures the App shows for FiftyOne frame numbers, and face crops cut from them.

FiftyOne frame numbers written by speakerid are on the App's clock (``labels.app_clock``), so a
frame number is turned into a picture by its presentation time, never by decode index.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from speakerid.errors import VideoReadError
from speakerid.identity.gallery import THUMB_PX
from speakerid.labels.app_clock import app_frame_number, app_time


def app_pictures(path: str | Path, frame_numbers: Iterable[int], fps: float) -> Iterator[tuple[int, np.ndarray]]:
    """(frame number, RGB picture the App shows on it) for each of ``frame_numbers``, in order.

    One decoding pass from the first to the last wanted frame (a seek to the first); a frame
    number's picture is the last one whose App frame number is not after it (before the first
    picture, the browser shows the first picture).
    """
    from speakerid.io import read_frames

    wanted = sorted({int(n) for n in frame_numbers})
    if not wanted:
        return
    start = max(app_time(wanted[0], fps) - 1.0, 0.0)
    end = app_time(wanted[-1], fps) + 2.0 / fps
    previous: np.ndarray | None = None
    k = 0
    for batch in read_frames(path, fps=None, start=start, end=end, batch_size=8):
        for time, frame in zip(batch.times, batch.frames):
            number = app_frame_number(float(time), fps)
            while k < len(wanted) and number > wanted[k]:
                yield wanted[k], frame if previous is None else previous
                k += 1
            if k == len(wanted):
                return
            previous = frame
    if previous is not None:
        while k < len(wanted):  # past the last picture: the App keeps showing it
            yield wanted[k], previous
            k += 1
    if k < len(wanted):
        raise VideoReadError(str(path), f"frame {wanted[k]} could not be decoded")


def app_picture(path: str | Path, frame_number: int, fps: float) -> np.ndarray:
    """The RGB picture the App shows on FiftyOne frame ``frame_number`` of a video."""
    return next(app_pictures(path, [frame_number], fps))[1]


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
