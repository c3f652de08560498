"""BiT's ResNet (Kolesnikov et al., ECCV 2020), as the hybrid ViTs use it: DPT-Hybrid's backbone.

It differs from chapter 07's ResNet-50 in three ways that matter for equality with trained models:
*weight standardisation* (each filter normalised to zero mean and unit variance before it is applied),
*group norm* (32 groups) instead of batch norm, and TensorFlow-style *"same" padding*, which pads
asymmetrically when a strided convolution or pooling needs it (more on the bottom and right). The
blocks are the post-activation bottleneck (conv-norm-ReLU twice, conv-norm, add, ReLU), v1.5 (stride on
the 3x3).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from vitlite.layers import check_image

__all__ = ["StdConv2d", "same_padding", "BiTBackbone"]


def same_padding(size: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """(before, after) padding that makes a strided layer's output ceil(size / stride) long, the extra pixel after."""
    total = max((math.ceil(size / stride) - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


def _pad_same(x: torch.Tensor, kernel: int, stride: int, dilation: int = 1, value: float = 0.0) -> torch.Tensor:
    top, bottom = same_padding(x.shape[-2], kernel, stride, dilation)
    left, right = same_padding(x.shape[-1], kernel, stride, dilation)
    return F.pad(x, (left, right, top, bottom), value=value) if top or bottom or left or right else x


class StdConv2d(nn.Conv2d):
    """A convolution whose weights are standardised per output filter (mean 0, variance 1, ``eps`` added
    to the variance) at every call, with "same" padding (static where it is symmetric, computed from the
    input otherwise)."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1, eps: float = 1e-8, bias: bool = False):
        symmetric = stride == 1 and (kernel - 1) % 2 == 0
        super().__init__(cin, cout, kernel, stride=stride, padding=(kernel - 1) // 2 if symmetric else 0, bias=bias)
        self.dynamic, self.eps = not symmetric, eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.dynamic:
            x = _pad_same(x, self.kernel_size[0], self.stride[0])
        w = self.weight.flatten(1)
        w = (w - w.mean(1, keepdim=True)) / torch.sqrt(w.var(1, unbiased=False, keepdim=True) + self.eps)
        return F.conv2d(x, w.view_as(self.weight), self.bias, self.stride, self.padding)


class _GroupNormAct(nn.GroupNorm):
    def __init__(self, channels: int, act: bool = True, groups: int = 32):
        super().__init__(groups, channels, eps=1e-5)
        self.act = act

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = super().forward(x)
        return F.relu(x) if self.act else x


class _Bottleneck(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, first: bool, groups: int = 32):
        super().__init__()
        mid = max(8, int(cout * 0.25 + 4) // 8 * 8)  # a quarter of the width, rounded to a multiple of 8 ...
        if mid < 0.9 * cout * 0.25:  # ... but never more than 10% below it
            mid += 8
        self.downsample = (
            nn.Sequential(StdConv2d(cin, cout, 1, stride), _GroupNormAct(cout, act=False, groups=groups))
            if first
            else None
        )
        self.conv1, self.norm1 = StdConv2d(cin, mid, 1), _GroupNormAct(mid, groups=groups)
        self.conv2, self.norm2 = StdConv2d(mid, mid, 3, stride), _GroupNormAct(mid, groups=groups)
        self.conv3, self.norm3 = StdConv2d(mid, cout, 1), _GroupNormAct(cout, act=False, groups=groups)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x if self.downsample is None else self.downsample(x)
        x = self.norm1(self.conv1(x))
        x = self.norm2(self.conv2(x))
        x = self.norm3(self.conv3(x))
        return F.relu(x + shortcut)


class BiTBackbone(nn.Module):
    """A 7x7 stride-2 weight-standardised stem with group norm and a "same"-padded 3x3 stride-2 max-pool,
    then bottleneck stages (the first keeps the stride, the others halve it). ``forward`` returns every
    stage's map. DPT-Hybrid uses three stages of 3, 4 and 9 blocks (256, 512, 1,024 channels; stride 16)."""

    def __init__(
        self,
        depths: tuple[int, ...] = (3, 4, 9),
        channels: tuple[int, ...] = (256, 512, 1024),
        stem_width: int = 64,
        groups: int = 32,
        in_chans: int = 3,
    ):
        super().__init__()
        if len(depths) != len(channels):
            raise ValueError(f"depths and channels need one entry per stage, got {len(depths)} and {len(channels)}")
        self.in_chans, self.channels = in_chans, tuple(channels)
        self.stem_conv, self.stem_norm = StdConv2d(in_chans, stem_width, 7, 2), _GroupNormAct(stem_width, groups=groups)
        stages, cin = [], stem_width
        for i, (n, cout) in enumerate(zip(depths, channels)):
            stride = 1 if i == 0 else 2
            stages.append(
                nn.Sequential(
                    *[
                        _Bottleneck(cin if j == 0 else cout, cout, stride if j == 0 else 1, first=j == 0, groups=groups)
                        for j in range(n)
                    ]
                )
            )
            cin = cout
        self.stages = nn.ModuleList(stages)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        check_image(x, self.in_chans, model=self)
        x = self.stem_norm(self.stem_conv(x))
        x = F.max_pool2d(_pad_same(x, 3, 2), 3, 2)
        outs = []
        for stage in self.stages:
            x = stage(x)
            outs.append(x)
        return outs
