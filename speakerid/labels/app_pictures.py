"""The pictures the App shows for FiftyOne frame numbers.

FiftyOne frame numbers written by speakerid are on the App's clock (``labels.app_clock``), so a
frame number is turned into a picture by its presentation time, never by decode index. Beside the
clock, below review and train, so both cut faces from the very picture a label was drawn on.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from speakerid.errors import VideoReadError
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
