"""Face-track crops in the form Light-ASD was trained on: 112x112 grey mouth-centred faces.

The reference pipeline smooths the track (median over 13 frames at 25 fps, i.e. +-0.24 s), cuts
a square of side 2.8 x the half box size around the face (shifted down, padded with grey 110),
resizes it to 224x224 and keeps the centre 112x112. The centre of that square is the region
``[cx - 0.7 s, cx + 0.7 s] x [cy - 0.3 s, cy + 1.1 s]`` (``s`` = half the larger box side), so we
warp exactly that region of the grey frame to 112x112 in one step: same pixels, one resize
instead of two, and grey from the start (the decoder's luma plane, no colour conversion).
"""

from __future__ import annotations

import cv2
import numpy as np

CROP_SIZE = 112
PAD_VALUE = 110  # grey level the reference pipeline pads out-of-frame regions with
SMOOTH_HALF_SECONDS = 6 / 25  # the reference median filter: 13 frames at 25 fps, +-6 frames
_HALF_WIDTH, _TOP = 0.7, -0.3  # crop region (left edge, top edge) in units of the half box size


def box_geometry(boxes: np.ndarray) -> np.ndarray:
    """(N,4) x1,y1,x2,y2 boxes -> (N,3) centre x, centre y, half of the larger side."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    half = np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]) / 2
    return np.stack([(boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2, half], 1)


def median_geometry(times: np.ndarray, geometry: np.ndarray, at: float) -> np.ndarray:
    """Median (3,) of the keyframes within +-0.24 s of ``at``, whatever the keyframe rate.

    Why: detector jitter moves the crop, and the network reads crop motion as lip motion. A
    window in seconds (not in keyframes) gives the reference's 13-frame filter at 25 fps and
    3 keyframes at 5 fps; at a track's ends it shrinks instead of padding with zeros.
    """
    times = np.asarray(times, np.float64)
    near = np.abs(times - at) <= SMOOTH_HALF_SECONDS + 1e-6
    return np.median(np.asarray(geometry, np.float64)[near], axis=0)


def smooth_geometry(times: np.ndarray, geometry: np.ndarray) -> np.ndarray:
    """:func:`median_geometry` at every keyframe of a track."""
    return np.array([median_geometry(times, geometry, t) for t in times]).reshape(-1, 3)


def interpolate_geometry(key_times: np.ndarray, key_geometry: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Geometry at ``times`` by linear interpolation between keyframes (held at the ends)."""
    return np.stack([np.interp(times, key_times, key_geometry[:, i]) for i in range(3)], 1)


def face_crop(grey: np.ndarray, geometry: np.ndarray) -> np.ndarray:
    """One (H,W) uint8 grey frame and (cx, cy, s) -> (112,112) uint8 network input."""
    cx, cy, s = (float(v) for v in geometry)
    s = max(s, 1.0)
    scale = CROP_SIZE / (2 * _HALF_WIDTH * s)
    # region edges in pixel-edge coordinates; sample at output pixel centres, as cv2.resize does
    x0 = cx - _HALF_WIDTH * s + 0.5 / scale - 0.5
    y0 = cy + _TOP * s + 0.5 / scale - 0.5
    to_source = np.array([[1 / scale, 0.0, x0], [0.0, 1 / scale, y0]])
    return cv2.warpAffine(
        grey,
        to_source,
        (CROP_SIZE, CROP_SIZE),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=PAD_VALUE,
    )
