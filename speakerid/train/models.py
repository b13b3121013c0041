"""Trainable face networks: the reference CNNs and two transfer-learned backbones.

Every network takes float RGB in [0, 1] at its own ``input_size`` (normalisation is inside the
network), returns logits from ``forward`` and an embedding from ``embed``. One input convention
for all models lets the trainer, the explanations (captum) and the pixel-budget attacks treat
every architecture alike.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from speakerid.errors import ModelUnavailableError
from speakerid.imagenet import IMAGENET_MEAN, IMAGENET_STD
from speakerid.train.specs import ARCHITECTURES

# facenet-pytorch's fixed_image_standardization: (x * 255 - 127.5) / 128
FACENET_MEAN = (127.5 / 255,) * 3
FACENET_STD = (128 / 255,) * 3


class Normalize(nn.Module):
    """Per-channel standardisation as the first layer, so inputs stay plain [0, 1] pixels."""

    def __init__(self, mean: tuple[float, ...], std: tuple[float, ...]) -> None:
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std).view(1, 3, 1, 1), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std


def small_cnn(emb_dim: int = 64) -> nn.Sequential:
    """Reference 000's 4-layer CNN (3 conv 3x3 + max-pool, dense 64 + dropout), for 64x64 crops."""
    return nn.Sequential(
        Normalize((0.5,) * 3, (0.25,) * 3),
        nn.Conv2d(3, 32, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 32, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64 * 6 * 6, emb_dim),
        nn.ReLU(),
        nn.Dropout(0.5),
    )


def _vgg_block(cin: int, cout: int, bn: bool) -> list[nn.Module]:
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(), nn.Conv2d(cout, cout, 3, padding=1)]
    layers += [nn.BatchNorm2d(cout)] if bn else []
    return layers + [nn.ReLU(), nn.MaxPool2d(2)]


def vgg_style(emb_dim: int = 128) -> nn.Sequential:
    """Reference 001's VGG-like net on 64x64 crops: stacked 3x3 convs, two batch-norms, dropout 0.35.

    Widths are cut (32-64-128 instead of 64-128) so it trains on a CPU in seconds.
    """
    return nn.Sequential(
        Normalize((0.5,) * 3, (0.25,) * 3),
        *_vgg_block(3, 32, bn=False),
        *_vgg_block(32, 64, bn=True),
        *_vgg_block(64, 128, bn=True),
        nn.Flatten(),
        nn.Linear(128 * 8 * 8, 256),
        nn.ReLU(),
        nn.Dropout(0.35),
        nn.Linear(256, emb_dim),
        nn.ReLU(),
    )


def _freeze_all_but(model: nn.Module, trainable: list[nn.Module]) -> None:
    model.requires_grad_(False)
    for m in trainable:
        m.requires_grad_(True)


def mobilenet(emb_dim: int = 128, train_blocks: int = 4) -> nn.Sequential:
    """ImageNet MobileNetV2 (offline weights package), last ``train_blocks`` blocks fine-tuned."""
    from speakerid.weights import load_mobilenet_v2

    features = load_mobilenet_v2().features
    embed = nn.Linear(1280, emb_dim)
    model = nn.Sequential(
        Normalize(IMAGENET_MEAN, IMAGENET_STD), features, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2), embed
    )
    _freeze_all_but(model, list(features[-train_blocks:]) + [embed])
    return model


def inception(embedder_module: nn.Module) -> nn.Sequential:
    """The face embedder's InceptionResnetV1 (CASIA-WebFace), its last block and bottleneck fine-tuned."""
    net = copy.deepcopy(embedder_module).float()
    if not hasattr(net, "block8"):
        raise ModelUnavailableError("transfer learning needs the facenet embedder's InceptionResnetV1")
    net.classify = False  # forward returns the L2-normalised 512-d embedding
    _freeze_all_but(net, [net.block8, net.last_linear, net.last_bn])
    return nn.Sequential(Normalize(FACENET_MEAN, FACENET_STD), net)


def build_backbone(arch: str, embedder_module: nn.Module | None = None) -> nn.Sequential:
    """Image [0,1] -> embedding network for ``arch``; pretrained parts come from their packages."""
    if arch not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {arch!r}; choose from {', '.join(ARCHITECTURES)}")
    dim = ARCHITECTURES[arch].emb_dim
    if arch == "cnn":
        return small_cnn(dim)
    if arch == "vgg":
        return vgg_style(dim)
    if arch == "mobilenet":
        return mobilenet(dim)
    if embedder_module is None:
        raise ModelUnavailableError("the inception architecture needs the facenet embedder's network")
    return inception(embedder_module)


class FaceNet(nn.Module):
    """Backbone (image -> embedding) plus a head (embedding -> logits over ``n`` identities)."""

    def __init__(self, arch: str, backbone: nn.Module, head: nn.Module) -> None:
        super().__init__()
        self.arch = arch
        self.input_size = ARCHITECTURES[arch].input_size
        self.backbone = backbone
        self.head = head

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Embedding of (N,3,S,S) float [0,1] images."""
        return self.backbone(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.embed(x))

    def train(self, mode: bool = True) -> FaceNet:
        """Frozen pretrained blocks keep their batch-norm statistics even while training."""
        super().train(mode)
        for m in self.backbone.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm) and not any(p.requires_grad for p in m.parameters()):
                m.eval()
        return self

    def cam_layer(self) -> nn.Module:
        """The last convolutional stage, whose activations Grad-CAM weighs."""
        if self.arch == "inception":
            return self.backbone[1].repeat_2  # 8x8 cells at 160 px (repeat_3 has only 3x3)
        if self.arch == "mobilenet":
            return self.backbone[1][-1]
        convs = [m for m in self.backbone if isinstance(m, nn.Conv2d)]
        return convs[-1]

    def conv_layers(self) -> dict[str, nn.Conv2d]:
        """Named convolution layers (for filter visualisation)."""
        return {f"backbone.{name}": m for name, m in self.backbone.named_modules() if isinstance(m, nn.Conv2d)}

    def trainable_state(self) -> dict[str, torch.Tensor]:
        """Weights that training changed: everything for nets from scratch, the tuned tail otherwise."""
        keep = set()
        for mname, module in self.named_modules():
            own = list(module.named_parameters(recurse=False))
            if any(p.requires_grad for _, p in own):
                prefix = f"{mname}." if mname else ""
                keep |= {prefix + n for n, _ in own} | {prefix + n for n, _ in module.named_buffers(recurse=False)}
        keep |= {k for k in self.state_dict() if k.startswith("head.")}  # centroid heads hold buffers only
        return {k: v.detach().contiguous() for k, v in self.state_dict().items() if k in keep}
