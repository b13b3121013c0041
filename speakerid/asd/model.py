"""Light-ASD network (Liao et al., CVPR 2023), rebuilt so the published state dicts load strictly.

Module and tensor names follow the released checkpoints (``model.visualEncoder``,
``model.audioEncoder``, ``model.GRU``, ``lossAV.FC``, ``lossV.FC``) so the original weights load
with ``strict=True``; the layout of the code is ours.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

EMBED_DIM = 128
AUDIO_ROWS_PER_FRAME = 4  # 100 MFCC rows per second against 25 video frames per second
_GREY_MEAN, _GREY_STD = 0.4161, 0.1688  # grey-level statistics the network was trained with


class FactorisedBlock(nn.Module):
    """Two parallel factorised conv branches (kernel 3 and 5) summed and mixed by a 1x1 conv.

    Each branch is a conv over the "content" axes (``s``: image H,W for video; ``m``: MFCC axis
    for audio) followed by a conv over time (``t``); splitting the 3D/2D kernel this way is what
    keeps Light-ASD small.
    """

    def __init__(self, cin: int, cout: int, *, video: bool, downsample: bool = False) -> None:
        super().__init__()
        conv, norm = (nn.Conv3d, nn.BatchNorm3d) if video else (nn.Conv2d, nn.BatchNorm2d)
        self._first = "s" if video else "m"
        for k in (3, 5):
            p = k // 2
            if video:  # input (B, C, T, H, W)
                first = conv(cin, cout, (1, k, k), stride=(1, 2, 2) if downsample else 1, padding=(0, p, p), bias=False)
                temporal = conv(cout, cout, (k, 1, 1), padding=(p, 0, 0), bias=False)
            else:  # input (B, C, MFCC, time)
                first = conv(cin, cout, (k, 1), padding=(p, 0), bias=False)
                temporal = conv(cout, cout, (1, k), padding=(0, p), bias=False)
            self.add_module(f"{self._first}_{k}", first)
            self.add_module(f"bn_{self._first}_{k}", norm(cout, momentum=0.01, eps=0.001))
            self.add_module(f"t_{k}", temporal)
            self.add_module(f"bn_t_{k}", norm(cout, momentum=0.01, eps=0.001))
        self.last = conv(cout, cout, 1, bias=False)
        self.bn_last = norm(cout, momentum=0.01, eps=0.001)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        conv = _factorised_conv3d if isinstance(self.last, nn.Conv3d) else _plain_conv
        out = 0
        for k in (3, 5):
            y = getattr(self, f"bn_{self._first}_{k}")(conv(getattr(self, f"{self._first}_{k}"), x))
            y = getattr(self, f"bn_t_{k}")(conv(getattr(self, f"t_{k}"), F.relu(y)))
            out = out + F.relu(y)
        return F.relu(self.bn_last(conv(self.last, out)))


def _plain_conv(conv: nn.Module, x: torch.Tensor) -> torch.Tensor:
    return conv(x)


def _factorised_conv3d(conv: nn.Conv3d, x: torch.Tensor) -> torch.Tensor:
    """A (1,k,k) or (k,1,1) Conv3d computed as the equivalent 2D conv (same result, ~20 % less
    CPU for the whole network: PyTorch's CPU conv3d is slower than conv2d for these shapes)."""
    b, c, t, h, w = x.shape
    if conv.kernel_size[0] == 1:  # spatial: frames become batch items
        y = F.conv2d(
            x.transpose(1, 2).reshape(b * t, c, h, w),
            conv.weight[:, :, 0],
            stride=conv.stride[1:],
            padding=conv.padding[1:],
        )
        return y.reshape(b, t, *y.shape[1:]).transpose(1, 2)
    y = F.conv2d(x.reshape(b, c, t, h * w), conv.weight[..., 0], padding=(conv.padding[0], 0))
    return y.reshape(b, -1, t, h, w)  # temporal: pixels become the conv's width


class VisualEncoder(nn.Module):
    """(B, 1, T, 112, 112) normalised grey faces -> (B, T, 128): one embedding per video frame."""

    def __init__(self) -> None:
        super().__init__()
        self.block1 = FactorisedBlock(1, 32, video=True, downsample=True)
        self.block2 = FactorisedBlock(32, 64, video=True)
        self.block3 = FactorisedBlock(64, 128, video=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pool = dict(kernel_size=(1, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1))
        x = F.max_pool3d(self.block1(x), **pool)
        x = F.max_pool3d(self.block2(x), **pool)
        x = self.block3(x)  # (B, 128, T, 7, 7)
        return x.amax(dim=(3, 4)).transpose(1, 2)


class AudioEncoder(nn.Module):
    """(B, 1, 13, 4T) MFCCs -> (B, T, 128): two stride-2 time poolings bring 100 Hz to 25 Hz."""

    def __init__(self) -> None:
        super().__init__()
        self.block1 = FactorisedBlock(1, 32, video=False)
        self.block2 = FactorisedBlock(32, 64, video=False)
        self.block3 = FactorisedBlock(64, 128, video=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pool = dict(kernel_size=(1, 3), stride=(1, 2), padding=(0, 1))
        x = F.max_pool2d(self.block1(x), **pool)
        x = F.max_pool2d(self.block2(x), **pool)
        x = self.block3(x)  # (B, 128, 13, T)
        return x.mean(dim=2).transpose(1, 2)


class BidirectionalGRU(nn.Module):
    """Two single-direction GRUs run one after the other (forward, then backward over its output).

    Not ``nn.GRU(bidirectional=True)``: the backward pass consumes the forward pass's output,
    with a GELU in between, which is how the weights were trained.
    """

    def __init__(self, dim: int = EMBED_DIM) -> None:
        super().__init__()
        self.gru_forward = nn.GRU(dim, dim, num_layers=1, batch_first=True)
        self.gru_backward = nn.GRU(dim, dim, num_layers=1, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.gelu(self.gru_forward(x)[0])
        x = self.gru_backward(torch.flip(x, dims=[1]))[0]
        return F.gelu(torch.flip(x, dims=[1]))


class _Backbone(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.visualEncoder = VisualEncoder()
        self.audioEncoder = AudioEncoder()
        self.GRU = BidirectionalGRU()


class _Head(nn.Module):
    """Two-class (silent, speaking) linear head; named after the loss modules that held it."""

    def __init__(self) -> None:
        super().__init__()
        self.FC = nn.Linear(EMBED_DIM, 2)


class LightASD(nn.Module):
    """Audio-visual active speaker detector: P(speaking) for every video frame of a face track.

    ``lossV`` (the visual-only auxiliary head used in training) is kept only so checkpoints load
    strictly; scoring uses the audio-visual head ``lossAV``.
    """

    def __init__(self) -> None:
        super().__init__()
        self.model = _Backbone()
        self.lossAV = _Head()
        self.lossV = _Head()

    def forward(self, mfcc: torch.Tensor, faces: torch.Tensor) -> torch.Tensor:
        """``mfcc`` (B, 4T, 13) float, ``faces`` (B, T, 112, 112) grey 0..255 -> (B, T) in 0..1."""
        if mfcc.shape[1] != AUDIO_ROWS_PER_FRAME * faces.shape[1]:
            raise ValueError(
                f"need {AUDIO_ROWS_PER_FRAME} MFCC rows per face frame, got "
                f"{mfcc.shape[1]} rows for {faces.shape[1]} frames"
            )
        video = (faces.float().unsqueeze(1) / 255.0 - _GREY_MEAN) / _GREY_STD
        v = self.model.visualEncoder(video)
        a = self.model.audioEncoder(mfcc.float().unsqueeze(1).transpose(2, 3))
        fused = self.model.GRU(a + v)
        return torch.softmax(self.lossAV.FC(fused), dim=-1)[..., 1]
