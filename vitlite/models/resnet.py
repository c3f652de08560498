"""ResNets (He et al., CVPR 2016): the convolutional baselines of the course.

``resnet18_cifar`` is the CIFAR variant (3x3 stem, no max-pool) that Cordonnier et al.
compare their attention models against; DETR's backbone will join it here.
"""

from __future__ import annotations

import torch
from torch import nn

from vitlite.layers import check_image, check_num_classes
from vitlite.models import register_model

__all__ = ["BasicBlock", "ResNet"]


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

    def __init__(self, layers: tuple[int, ...] = (2, 2, 2, 2), widths: tuple[int, ...] = (64, 128, 256, 512), num_classes: int = 10, in_chans: int = 3, cifar_stem: bool = True, stem_stride: int = 1):
        super().__init__()
        if check_num_classes(num_classes) == 0:
            raise ValueError("ResNet needs num_classes >= 1")
        if len(layers) != len(widths):
            raise ValueError(f"layers {layers} and widths {widths} must have one entry per stage each")
        self.in_chans = in_chans
        if cifar_stem:  # a 3x3 stem (stride 1 for CIFAR; 2 halves the resolution first, a quarter of the compute)
            self.stem = nn.Sequential(nn.Conv2d(in_chans, widths[0], 3, stem_stride, 1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU(inplace=True))
        else:
            self.stem = nn.Sequential(nn.Conv2d(in_chans, widths[0], 7, 2, 3, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1))
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
