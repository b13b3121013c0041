"""Attribution heatmaps of one face in its photo, with the background the model is shown.

The model is given a *context window*: a square around the detected face, ``context`` times
the face's size (default 1.5: the face box covers 44 % of it, against 83 % in the embedder's
own crop), so hair, clothes and scenery compete with the face for attribution. Wider windows
shrink the face below what the networks were trained on and their predictions fall apart.
``inside`` measures how much of the positive attribution mass falls inside the face box: a
model that looks at faces scores high, one that learned the background (reference 000's
full-image CNN) scores low. Maps are also placed back into the
photo's pixel grid for ``fo.Heatmap``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
import torch

from speakerid.explain.gradcam import gradcam_map
from speakerid.explain.model import Explainable
from speakerid.explain.occlusion import occlusion_map
from speakerid.explain.saliency import saliency_map
from speakerid.explain.specs import DEFAULT_CONTEXT
from speakerid.explain.specs import HEATMAP_METHODS as METHODS
from speakerid.train.inputs import to_input


@dataclass
class FaceExplanation:
    """Heatmaps of one face: on the model's input window and how concentrated on the face they are."""

    box: np.ndarray  # face box in photo pixels
    window: np.ndarray  # context window in photo pixels (may reach outside the photo)
    target: int
    target_name: str
    probability: float  # softmax probability of the target on the window
    window_winner: str  # the identity the model names on the window
    window_image: np.ndarray  # (S,S,3) uint8, what the model saw
    maps: dict[str, np.ndarray] = field(default_factory=dict)  # (S,S) per method
    inside: dict[str, float] = field(default_factory=dict)  # positive mass share inside the box

    def box_in_window(self) -> np.ndarray:
        """The face box in window-image pixels."""
        scale = self.window_image.shape[0] / (self.window[2] - self.window[0])
        return (self.box - np.tile(self.window[:2], 2)) * scale


def context_window(box: np.ndarray, context: float = DEFAULT_CONTEXT) -> np.ndarray:
    """Square of side ``context`` x the box's longer side, centred on the box."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    half = context * max(box[2] - box[0], box[3] - box[1]) / 2
    return np.array([cx - half, cy - half, cx + half, cy + half], np.float32)


def _window_matrix(window: np.ndarray, size: int) -> np.ndarray:
    s = size / (window[2] - window[0])
    return np.array([[s, 0, -window[0] * s], [0, s, -window[1] * s]], np.float32)


def window_image(rgb: np.ndarray, window: np.ndarray, size: int) -> np.ndarray:
    """The window resampled to (size,size,3); beyond the photo edge its border pixels repeat."""
    return cv2.warpAffine(
        rgb, _window_matrix(window, size), (size, size), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE
    )


def in_photo(attr: np.ndarray, window: np.ndarray, height: int, width: int) -> np.ndarray:
    """A window-sized map placed into the photo's (height, width) grid, scaled to [0, 1]."""
    pos = np.clip(attr, 0, None).astype(np.float32)
    m = _window_matrix(window, attr.shape[0])
    out = cv2.warpAffine(pos, m, (width, height), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderValue=0)
    return out / max(float(out.max()), 1e-12)


def mass_inside(attr: np.ndarray, box: np.ndarray) -> float:
    """Share of the positive attribution mass inside ``box`` (pixels of ``attr``'s grid)."""
    pos = np.clip(attr, 0, None)
    total = float(pos.sum())
    if total <= 0:
        return 0.0
    h, w = attr.shape
    x1, y1 = max(int(np.floor(box[0])), 0), max(int(np.floor(box[1])), 0)
    x2, y2 = min(int(np.ceil(box[2])), w), min(int(np.ceil(box[3])), h)
    return float(pos[y1:y2, x1:x2].sum()) / total


def attribution(model: Explainable, method: str, x: torch.Tensor, target: int) -> np.ndarray:
    """One method's (S,S) map for input ``x`` (1,3,S,S) and class ``target``."""
    if method == "saliency":
        return saliency_map(model.module, x, target)
    if method == "occlusion":
        return occlusion_map(model.module, x, target)
    if method == "gradcam":
        return gradcam_map(model.module, model.cam_layer, x, target)
    raise ValueError(f"unknown explanation method {method!r}; choose from {', '.join(METHODS)}")


def explain_face(
    model: Explainable,
    rgb: np.ndarray,
    box: np.ndarray,
    target: int,
    methods: tuple[str, ...] = METHODS,
    context: float = DEFAULT_CONTEXT,
) -> FaceExplanation:
    """Heatmaps of why ``model`` sees class ``target`` in the face at ``box`` of photo ``rgb``."""
    window = context_window(np.asarray(box, np.float32), context)
    img = window_image(rgb, window, model.input_size)
    x = to_input(img[None], model.input_size)
    with torch.no_grad():
        probs = torch.softmax(model.module(x), 1)[0]
    winner = model.classes[int(probs.argmax())]
    out = FaceExplanation(
        np.asarray(box, np.float32), window, target, model.classes[target], float(probs[target]), winner, img
    )
    inner = out.box_in_window()
    for method in methods:
        out.maps[method] = attribution(model, method, x, target)
        out.inside[method] = mass_inside(out.maps[method], inner)
    return out
