"""ResNets (He et al., CVPR 2016): the convolutional baselines of the course.

``resnet18_cifar`` is the CIFAR variant (3x3 stem, no max-pool) that Cordonnier et al.
compare their attention models against. ``ResNetBackbone`` is DETR's ResNet-50/101 (frozen batch
norm, stride 32) and the small backbones of the course's detectors.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from vitlite.layers import check_image, check_num_classes
from vitlite.models import register_model

__all__ = [
    "BasicBlock",
    "ResNet",
    "FrozenBatchNorm2d",
    "Bottleneck",
    "Basic",
    "ResNetBackbone",
    "resnet50_backbone",
    "resnet101_backbone",
]


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with batch norm, plus the input (projected when the shape changes)."""

    expansion = 1

    def __init__(self, in_ch: int, out_ch: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_ch)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_ch)
        self.shortcut = nn.Identity()
        if stride != 1 or in_ch != out_ch:
            self.shortcut = nn.Sequential(nn.Conv2d(in_ch, out_ch, 1, stride, bias=False), nn.BatchNorm2d(out_ch))
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.act(self.bn1(self.conv1(x)))
        return self.act(self.bn2(self.conv2(out)) + self.shortcut(x))


class ResNet(nn.Module):
    """Four stages of residual blocks, global average pooling, a linear classifier."""

    def __init__(
        self,
        layers: tuple[int, ...] = (2, 2, 2, 2),
        widths: tuple[int, ...] = (64, 128, 256, 512),
        num_classes: int = 10,
        in_chans: int = 3,
        cifar_stem: bool = True,
        stem_stride: int = 1,
    ):
        super().__init__()
        if check_num_classes(num_classes) == 0:
            raise ValueError("ResNet needs num_classes >= 1")
        if len(layers) != len(widths):
            raise ValueError(f"layers {layers} and widths {widths} must have one entry per stage each")
        self.in_chans = in_chans
        if cifar_stem:  # a 3x3 stem (stride 1 for CIFAR; 2 halves the resolution first, a quarter of the compute)
            self.stem = nn.Sequential(
                nn.Conv2d(in_chans, widths[0], 3, stem_stride, 1, bias=False),
                nn.BatchNorm2d(widths[0]),
                nn.ReLU(inplace=True),
            )
        else:
            self.stem = nn.Sequential(
                nn.Conv2d(in_chans, widths[0], 7, 2, 3, bias=False),
                nn.BatchNorm2d(widths[0]),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(3, 2, 1),
            )
        stages, in_ch = [], widths[0]
        for i, (n, width) in enumerate(zip(layers, widths)):
            blocks = []
            for j in range(n):
                blocks.append(BasicBlock(in_ch, width, stride=2 if (i > 0 and j == 0) else 1))
                in_ch = width
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.Sequential(*stages)
        self.head = nn.Linear(in_ch, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_image(x, self.in_chans, model=self)
        return self.head(self.stages(self.stem(x)).mean(dim=(-2, -1)))


@register_model
def resnet18_cifar(**overrides) -> ResNet:
    """ResNet-18 for 32x32 images (3x3 stem, no max-pool): the CNN of Cordonnier et al.'s Table 1."""
    return ResNet(**{**dict(layers=(2, 2, 2, 2), num_classes=10), **overrides})


@register_model
def resnet_tiny_shapes(**overrides) -> ResNet:
    """Course size for 32x32 ShapesWorld images: a stride-2 stem, three stages of one basic block (22, 44, 88 channels)."""
    return ResNet(**{**dict(layers=(1, 1, 1), widths=(22, 44, 88), num_classes=5, stem_stride=2), **overrides})


# ---------------------------------------------------------------------- backbones for detection (chapters 07, 08)
class FrozenBatchNorm2d(nn.Module):
    """BatchNorm with fixed statistics and affine parameters, all buffers: y = (x - mean) / sqrt(var + eps) * w + b.

    Detection backbones use it because their batches are too small for batch statistics; none of its
    numbers is a parameter, so none is trained or counted."""

    def __init__(self, num_features: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.register_buffer("weight", torch.ones(num_features))
        self.register_buffer("bias", torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale = self.weight * (self.running_var + self.eps).rsqrt()
        shift = self.bias - self.running_mean * scale
        return x * scale[None, :, None, None] + shift[None, :, None, None]

    def extra_repr(self) -> str:
        return f"{self.weight.shape[0]}, eps={self.eps}"


def _norm(kind: str, channels: int) -> nn.Module:
    if kind == "frozen":
        return FrozenBatchNorm2d(channels)
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    raise ValueError(f"norm must be 'frozen' or 'batch', got {kind!r}")


class Bottleneck(nn.Module):
    """ResNet v1.5's bottleneck: 1x1 to width/4, 3x3 (carrying the stride), 1x1 back up, plus the input
    (projected by a strided 1x1 conv when the shape changes); torchvision's layout and names."""

    def __init__(self, in_ch: int, out_ch: int, stride: int = 1, norm: str = "frozen", expansion: int = 4):
        super().__init__()
        width = out_ch // expansion
        self.conv1 = nn.Conv2d(in_ch, width, 1, bias=False)
        self.bn1 = _norm(norm, width)
        self.conv2 = nn.Conv2d(width, width, 3, stride, 1, bias=False)
        self.bn2 = _norm(norm, width)
        self.conv3 = nn.Conv2d(width, out_ch, 1, bias=False)
        self.bn3 = _norm(norm, out_ch)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = (
            nn.Sequential(nn.Conv2d(in_ch, out_ch, 1, stride, bias=False), _norm(norm, out_ch))
            if stride != 1 or in_ch != out_ch
            else None
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + (self.downsample(x) if self.downsample is not None else x))


class Basic(nn.Module):
    """ResNet's basic block (two 3x3 convs), torchvision's names, for the small backbones."""

    def __init__(self, in_ch: int, out_ch: int, stride: int = 1, norm: str = "batch"):
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, stride, 1, bias=False)
        self.bn1 = _norm(norm, out_ch)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, 1, 1, bias=False)
        self.bn2 = _norm(norm, out_ch)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = (
            nn.Sequential(nn.Conv2d(in_ch, out_ch, 1, stride, bias=False), _norm(norm, out_ch))
            if stride != 1 or in_ch != out_ch
            else None
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + (self.downsample(x) if self.downsample is not None else x))


class ResNetBackbone(nn.Module):
    """A ResNet without its classifier, returning the feature maps of its stages (finest first).

    ``block="bottleneck"`` with frozen batch norm is DETR's ResNet-50/101 (a 7x7 stride-2 stem with
    max-pooling, four stages of which the last three halve the map: stride 32). ``block="basic"`` with
    ordinary batch norm and a 3x3 stem makes the course's small backbones. ``channels[i]`` is the
    output width of stage i; ``strides[i]`` its stride.
    """

    def __init__(
        self,
        layers: tuple[int, ...] = (3, 4, 6, 3),
        channels: tuple[int, ...] = (256, 512, 1024, 2048),
        strides: tuple[int, ...] = (1, 2, 2, 2),
        stem_width: int = 64,
        block: str = "bottleneck",
        norm: str = "frozen",
        stem: str = "7x7",
        in_chans: int = 3,
    ):
        super().__init__()
        if not len(layers) == len(channels) == len(strides):
            raise ValueError(
                f"layers, channels and strides need one entry per stage, got {len(layers)}, {len(channels)}, {len(strides)}"
            )
        if block not in ("bottleneck", "basic"):
            raise ValueError(f"block must be 'bottleneck' or 'basic', got {block!r}")
        if stem not in ("7x7", "3x3"):
            raise ValueError(f"stem must be '7x7' (with max-pooling, stride 4) or '3x3' (stride 2), got {stem!r}")
        self.in_chans, self.channels = in_chans, tuple(channels)
        if stem == "7x7":
            self.conv1 = nn.Conv2d(in_chans, stem_width, 7, 2, 3, bias=False)
            self.maxpool = nn.MaxPool2d(3, 2, 1)
        else:
            self.conv1 = nn.Conv2d(in_chans, stem_width, 3, 2, 1, bias=False)
            self.maxpool = nn.Identity()
        self.bn1 = _norm(norm, stem_width)
        self.relu = nn.ReLU(inplace=True)
        unit = Bottleneck if block == "bottleneck" else Basic
        in_ch, stages = stem_width, []
        for n, out_ch, stride in zip(layers, channels, strides):
            stages.append(
                nn.Sequential(
                    *[unit(in_ch if j == 0 else out_ch, out_ch, stride if j == 0 else 1, norm) for j in range(n)]
                )
            )
            in_ch = out_ch
        self.layers = nn.ModuleList(stages)
        self.stride = (4 if stem == "7x7" else 2) * math.prod(strides)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        check_image(x, self.in_chans, model=self)
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        outs = []
        for layer in self.layers:
            x = layer(x)
            outs.append(x)
        return outs

    def freeze_like_detr(self) -> "ResNetBackbone":
        """The official DETR rule: the stem and the first stage are not trained (``requires_grad=False``)."""
        for name, p in self.named_parameters():
            if not name.startswith(("layers.1.", "layers.2.", "layers.3.")):
                p.requires_grad_(False)
        return self


def resnet50_backbone(**overrides) -> ResNetBackbone:
    """ResNet-50 (v1.5) with frozen batch norm, as DETR uses it: 23.5M parameters."""
    return ResNetBackbone(**{**dict(layers=(3, 4, 6, 3)), **overrides})


def resnet101_backbone(**overrides) -> ResNetBackbone:
    """ResNet-101 (v1.5) with frozen batch norm: 42.5M parameters."""
    return ResNetBackbone(**{**dict(layers=(3, 4, 23, 3)), **overrides})
