"""Face-track crops in the form Light-ASD was trained on: 112x112 grey mouth-centred faces.

The reference pipeline smooths the track (median over 13 frames at 25 fps), cuts a square of
side 2.8 x the half box size around the face (shifted down, padded with grey 110), resizes it to
224x224 and keeps the centre 112x112. The centre of that square is the region
``[cx - 0.7 s, cx + 0.7 s] x [cy - 0.3 s, cy + 1.1 s]`` (``s`` = half the larger box side), so we
warp exactly that region to 112x112 in one step: same pixels, one resize instead of two.
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy.signal import medfilt

CROP_SIZE = 112
PAD_VALUE = 110  # grey level the reference pipeline pads out-of-frame regions with
SMOOTH_SECONDS = 13 / 25  # the reference median filter: 13 frames at 25 fps
_HALF_WIDTH, _TOP, _BOTTOM = 0.7, -0.3, 1.1  # crop region in units of the half box size


def box_geometry(boxes: np.ndarray) -> np.ndarray:
    """(N,4) x1,y1,x2,y2 boxes -> (N,3) centre x, centre y, half of the larger side."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    half = np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]) / 2
    return np.stack([(boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2, half], 1)


def smooth_geometry(times: np.ndarray, geometry: np.ndarray) -> np.ndarray:
    """Median-filter a track's (N,3) geometry over ~0.52 s, whatever the track's sampling rate.

    Why: detector jitter moves the crop, and the network reads crop motion as lip motion.
    """
    times = np.asarray(times, dtype=np.float64)
    if len(times) < 3:
        return geometry.copy()
    step = float(np.median(np.diff(times))) or 1 / 25
    kernel = int(round(SMOOTH_SECONDS / step)) | 1  # odd
    kernel = min(kernel, len(times) - (1 - len(times) % 2))  # odd and <= N
    if kernel < 3:
        return geometry.copy()
    return np.stack([medfilt(geometry[:, i], kernel) for i in range(3)], 1)


def interpolate_geometry(key_times: np.ndarray, key_geometry: np.ndarray,
                         times: np.ndarray) -> np.ndarray:
    """Geometry at ``times`` by linear interpolation between keyframes (held at the ends)."""
    return np.stack([np.interp(times, key_times, key_geometry[:, i]) for i in range(3)], 1)


def face_crop(frame: np.ndarray, geometry: np.ndarray) -> np.ndarray:
    """One (H,W,3) uint8 RGB frame and (cx, cy, s) -> (112,112) uint8 grey network input."""
    cx, cy, s = (float(v) for v in geometry)
    s = max(s, 1.0)
    scale = CROP_SIZE / (2 * _HALF_WIDTH * s)
    # region edges in pixel-edge coordinates; sample at output pixel centres, as cv2.resize does
    x0 = cx - _HALF_WIDTH * s + 0.5 / scale - 0.5
    y0 = cy + _TOP * s + 0.5 / scale - 0.5
    to_source = np.array([[1 / scale, 0.0, x0], [0.0, 1 / scale, y0]])
    crop = cv2.warpAffine(frame, to_source, (CROP_SIZE, CROP_SIZE),
                          flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=(PAD_VALUE,) * 3)
    return cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)


def face_crops(frames: np.ndarray, boxes: np.ndarray, times: np.ndarray | None = None) -> np.ndarray:
    """Crops for a face track given as full frames (N,H,W,3) RGB and their boxes (N,4).

    ``times`` (s) enables the reference temporal smoothing; without it boxes are used as given.
    """
    geometry = box_geometry(boxes)
    if times is not None:
        geometry = smooth_geometry(times, geometry)
    return np.stack([face_crop(f, g) for f, g in zip(frames, geometry)]) if len(geometry) else \
        np.zeros((0, CROP_SIZE, CROP_SIZE), np.uint8)
