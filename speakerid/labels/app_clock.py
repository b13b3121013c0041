"""FiftyOne frame numbers on the App's clock, so every label is drawn on its own picture.

The App plays a video in the browser and maps frame number ``n`` to the time ``(n - 1) / fps``
counted from 0 (it seeks to ``(n - 1 + 0.01) / fps``); the browser then shows the picture with
the largest presentation time (PTS) at or before that time. A video whose first PTS is not 0
(cut or streamed files; the bundled sample starts at 0.852 s) would show a label stored by
decode index about ``start * fps`` frames too early. So the FiftyOne writer numbers frames by
PTS: the picture with PTS ``t`` gets the first App frame on which the App shows it. The JSON
export keeps ``frame_number`` = 1-based decode index and ``time`` = PTS.
"""

from __future__ import annotations

import math

# The App seeks to (n - 1 + APP_SEEK_EPSILON) / fps for frame n (FiftyOne 1.22 looker).
APP_SEEK_EPSILON = 0.01


def app_frame_number(time: float, fps: float) -> int:
    """The first App frame number on which the App shows the picture with PTS ``time`` (s)."""
    if not fps > 0:
        raise ValueError(f"frame rate must be positive, got {fps}")
    return max(1, math.ceil(time * fps - APP_SEEK_EPSILON) + 1)


def app_time(frame_number: int, fps: float) -> float:
    """The time (s) the App seeks to for ``frame_number``: where it shows that frame's labels."""
    return (frame_number - 1 + APP_SEEK_EPSILON) / fps


def frame_offset(time: float, index: int, fps: float) -> int:
    """App frame number minus 1-based decode number of the frame at decode ``index`` with PTS
    ``time``: constant over a constant-frame-rate video, it moves decode-based frame numbers
    (segments, tracks) onto the App's clock."""
    return app_frame_number(time, fps) - (int(index) + 1)


def app_counter(frame_number: int) -> int:
    """What the App's frame counter shows for ``frame_number`` (``#n``, counted from 0): the panel
    quotes frames this way so a user can find them with the counter."""
    return int(frame_number) - 1
