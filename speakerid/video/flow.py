"""Dense optical flow between consecutive sampled frames (OpenCV Farnebäck), as CNN input.

Farnebäck needs no weights, so the flow stream works offline; torchvision's RAFT would be
sharper but its weights are not shipped with any installed package.
"""

from __future__ import annotations

import cv2
import numpy as np

# Displacements are clipped to +-FLOW_BOUND px (at the CNN input size) and scaled to [-1, 1],
# the TSN convention, so the flow input has a range like that of normalised RGB.
FLOW_BOUND = 16.0


def farneback_flow(frames: np.ndarray) -> np.ndarray:
    """(T,H,W,3) uint8 RGB -> (T,2,H,W) float32 flow in [-1, 1].

    Flow ``t`` goes from frame ``t`` to ``t+1``; the last one repeats the one before, so the
    flow and RGB sequences align frame by frame. A single frame gives zero flow.
    """
    t, h, w = frames.shape[:3]
    out = np.zeros((t, 2, h, w), np.float32)
    gray = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in frames]
    for i in range(t - 1):
        flow = cv2.calcOpticalFlowFarneback(
            gray[i],
            gray[i + 1],
            None,
            pyr_scale=0.5,
            levels=3,
            winsize=15,
            iterations=3,
            poly_n=5,
            poly_sigma=1.2,
            flags=0,
        )
        out[i] = np.clip(flow / FLOW_BOUND, -1.0, 1.0).transpose(2, 0, 1)
    if t > 1:
        out[t - 1] = out[t - 2]
    return out
