"""DPT (Ranftl, Bochkovskiy, Koltun, ICCV 2021): vision transformers for dense prediction.

A ViT keeps one resolution throughout (1/16 for 16x16 patches) and a global receptive field from its
first layer. DPT reads the tokens of four evenly spaced layers and *reassembles* each into an image-like
map at its own resolution, then fuses them from coarse to fine, like a convolutional decoder::

    image -> ViT -> tokens of layers l1..l4 (B, 1 + N, D) each
      reassemble: readout (ignore / add / project the class token), tokens -> (D, H/p, W/p),
        1x1 conv to D_i, resample by s_i (transposed conv for 4x and 2x, identity, 3x3 stride-2 conv)
      3x3 conv (no bias) to the fusion width F
      fusion, deepest first: + residual conv unit(skip), residual conv unit, 2x bilinear, 1x1 conv
      head: depth (3x3 conv to F/2, 2x, 3x3 conv to 32, ReLU, 1x1 conv to 1, ReLU) or segmentation
        (3x3 conv, BN, ReLU, dropout, 1x1 conv to classes, 2x)

The hooks read raw block outputs, before the ViT's final LayerNorm (which the official models keep but
never use; it is kept here too, so that parameter counts match).
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from vitlite.layers import check_num_classes
from vitlite.models import register_model
from vitlite.models.vit import VisionTransformer

__all__ = ["DPT", "ResidualConvUnit", "FusionBlock", "reassemble_shapes"]


class Readout(nn.Module):
    """What to do with the class token: ``ignore`` it, ``add`` it to every patch token, or ``project``
    the concatenation [patch token, class token] back to width D (Linear + GELU)."""

    def __init__(self, mode: str, dim: int):
        super().__init__()
        if mode not in ("ignore", "add", "project"):
            raise ValueError(f"readout must be 'ignore', 'add' or 'project', got {mode!r}")
        self.mode = mode
        self.project = nn.Sequential(nn.Linear(2 * dim, dim), nn.GELU()) if mode == "project" else None

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        cls, patches = tokens[:, :1], tokens[:, 1:]
        if self.mode == "add":
            return patches + cls
        if self.mode == "project":
            return self.project(torch.cat([patches, cls.expand_as(patches)], -1))
        return patches


class Reassemble(nn.Module):
    """Tokens (B, 1 + h*w, D) -> map (B, D_i, h*s, w*s): readout, reshape, 1x1 conv, resample by ``factor``."""

    def __init__(self, dim: int, channels: int, factor: float, readout: str):
        super().__init__()
        self.readout = Readout(readout, dim)
        self.factor = factor
        self.projection = nn.Conv2d(dim, channels, 1)
        if factor > 1:
            if factor != int(factor):
                raise ValueError(f"an upsampling factor must be a whole number, got {factor}")
            self.resize = nn.ConvTranspose2d(channels, channels, int(factor), stride=int(factor))
        elif factor == 1:
            self.resize = nn.Identity()
        else:
            stride = round(1 / factor)
            if abs(stride * factor - 1) > 1e-9:
                raise ValueError(f"a downsampling factor must be 1/n, got {factor}")
            self.resize = nn.Conv2d(channels, channels, 3, stride=stride, padding=1)

    def forward(self, tokens: torch.Tensor, grid: tuple[int, int]) -> torch.Tensor:
        x = self.readout(tokens)
        x = x.transpose(1, 2).reshape(x.shape[0], x.shape[-1], *grid)
        return self.resize(self.projection(x))


class ResidualConvUnit(nn.Module):
    """x + conv(ReLU(conv(ReLU(x)))), 3x3 convolutions with bias (pre-activation)."""

    def __init__(self, channels: int):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv2(F.relu(self.conv1(F.relu(x))))


class FusionBlock(nn.Module):
    """(previous, skip) -> previous + RCU1(skip) -> RCU2 -> 2x bilinear (align_corners) -> 1x1 conv.
    The deepest block has no previous input and uses RCU2 only (its RCU1 exists, unused, as in the
    official models)."""

    def __init__(self, channels: int):
        super().__init__()
        self.rcu1, self.rcu2 = ResidualConvUnit(channels), ResidualConvUnit(channels)
        self.projection = nn.Conv2d(channels, channels, 1)

    def forward(self, x: torch.Tensor, skip: torch.Tensor | None = None) -> torch.Tensor:
        if skip is not None:
            if skip.shape != x.shape:
                skip = F.interpolate(skip, size=x.shape[-2:], mode="bilinear", align_corners=False)
            x = x + self.rcu1(skip)
        x = F.interpolate(self.rcu2(x), scale_factor=2, mode="bilinear", align_corners=True)
        return self.projection(x)


def reassemble_shapes(
    img_size: tuple[int, int], patch_size: int, factors: tuple[float, ...], channels: tuple[int, ...]
) -> list[tuple[int, int, int]]:
    """The (channels, height, width) of each reassembled map for an input size (a 3x3 stride-2
    convolution with padding 1 halves a side rounding up)."""
    h, w = img_size[0] // patch_size, img_size[1] // patch_size
    out = []
    for f, c in zip(factors, channels):
        if f >= 1:
            out.append((c, int(h * f), int(w * f)))
        else:
            s = round(1 / f)
            out.append((c, (h - 1) // s + 1, (w - 1) // s + 1))
    return out


class DPT(nn.Module):
    """ViT encoder, four reassemble stages, 3x3 convs to the fusion width, four fusion blocks and a head.

    ``forward(images)`` returns depth (B, H, W) (``head="depth"``) or class scores (B, K, H, W)
    (``head="segmentation"``), at the input's size when the patch grid divides by the coarsest stage's
    stride (2 for the paper's factors, 4 for the course's); otherwise a little larger, as in the
    official models (each fusion step doubles the coarser map).
    ``features(images)`` returns the reassembled maps and the fused maps for looking inside.
    """

    def __init__(
        self,
        img_size: int = 384,
        patch_size: int = 16,
        embed_dim: int = 768,
        depth: int = 12,
        num_heads: int = 12,
        mlp_ratio: float = 4.0,
        hooks: tuple[int, ...] = (2, 5, 8, 11),
        readout: str = "project",
        factors: tuple[float, ...] = (4, 2, 1, 0.5),
        neck_channels: tuple[int, ...] = (96, 192, 384, 768),
        fusion_channels: int = 256,
        head: str = "depth",
        num_classes: int = 150,
        norm_eps: float = 1e-12,
        dropout: float = 0.1,
        in_chans: int = 3,
        hybrid: bool = False,
        bit_depths: tuple[int, ...] = (3, 4, 9),
        bit_channels: tuple[int, ...] = (256, 512, 1024),
        bit_stem: int = 64,
        bit_groups: int = 32,
    ):
        super().__init__()
        if not len(hooks) == len(factors) == len(neck_channels):
            raise ValueError(
                f"hooks, factors and neck_channels need one entry per stage, got {len(hooks)}, {len(factors)}, {len(neck_channels)}"
            )
        if any(not 0 <= i < depth for i in hooks):
            raise ValueError(f"hooks must be block indices in [0, {depth - 1}], got {hooks}")
        if head not in ("depth", "segmentation"):
            raise ValueError(f"head must be 'depth' or 'segmentation', got {head!r}")
        self.hooks, self.head_kind, self.in_chans = tuple(hooks), head, in_chans
        self.encoder = VisionTransformer(
            img_size=img_size,
            patch_size=patch_size,
            in_chans=in_chans,
            num_classes=0,
            embed_dim=embed_dim,
            depth=depth,
            num_heads=num_heads,
            mlp_ratio=mlp_ratio,
            dynamic_img_size=True,
            norm_eps=norm_eps,
        )
        self.encoder.pos_interp = "bilinear"
        self.hybrid = hybrid
        if (
            hybrid
        ):  # DPT-Hybrid: a BiT ResNet makes the tokens (stride 16) and its first two stages are the two finest maps
            from vitlite.models.bit import BiTBackbone

            if patch_size != 16 or len(hooks) != 4:
                raise ValueError(
                    "the hybrid reads BiT's stride-16 map as 16x16 patches and needs four stages (two from BiT, two hooks)"
                )
            self.bit = BiTBackbone(bit_depths, bit_channels, bit_stem, bit_groups, in_chans=in_chans)
            self.bit_projection = nn.Conv2d(self.bit.channels[-1], embed_dim, 1)
            del self.encoder.patch_embed
            self.hooks = tuple(hooks[2:])
            stages = [nn.Identity(), nn.Identity()] + [
                Reassemble(embed_dim, c, f, readout) for c, f in zip(neck_channels[2:], factors[2:])
            ]
            self.reassemble = nn.ModuleList(stages)
        else:
            self.reassemble = nn.ModuleList(
                Reassemble(embed_dim, c, f, readout) for c, f in zip(neck_channels, factors)
            )
        self.convs = nn.ModuleList(nn.Conv2d(c, fusion_channels, 3, padding=1, bias=False) for c in neck_channels)
        self.fusion = nn.ModuleList(FusionBlock(fusion_channels) for _ in neck_channels)
        if head == "depth":
            self.head = nn.Sequential(
                nn.Conv2d(fusion_channels, fusion_channels // 2, 3, padding=1),
                nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True),
                nn.Conv2d(fusion_channels // 2, 32, 3, padding=1),
                nn.ReLU(),
                nn.Conv2d(32, 1, 1),
                nn.ReLU(),
            )
            # At initialisation the head's output is nearly the same at every pixel and its sign is the
            # last bias's: where that bias is drawn negative the final ReLU outputs zero everywhere and no
            # gradient ever flows (7 of 12 seeds of the course model). Keep the default draw, with its sign
            # made positive, so that the ReLU starts open; loaded weights replace it.
            with torch.no_grad():
                self.head[4].bias.abs_()
        else:
            check_num_classes(num_classes)
            self.head = nn.Sequential(
                nn.Conv2d(fusion_channels, fusion_channels, 3, padding=1, bias=False),
                nn.BatchNorm2d(fusion_channels),
                nn.ReLU(),
                nn.Dropout(dropout),
                nn.Conv2d(fusion_channels, num_classes, 1),
                nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True),
            )

    def _embed(self, images: torch.Tensor) -> tuple[torch.Tensor, tuple[int, int], list[torch.Tensor]]:
        """(tokens with class token and positions, the token grid, the hybrid's two BiT maps or [])."""
        if not self.hybrid:
            p = self.encoder.patch_size
            return self.encoder.embed(images), (images.shape[-2] // p, images.shape[-1] // p), []
        from vitlite.models.vit import resample_pos_embed

        maps = self.bit(images)
        grid = (maps[-1].shape[-2], maps[-1].shape[-1])
        tokens = self.bit_projection(maps[-1]).flatten(2).transpose(1, 2)
        side = math.isqrt(self.encoder.pos_embed.shape[1] - 1)
        pos = resample_pos_embed(self.encoder.pos_embed, grid, (side, side), 1, mode="bilinear")
        return torch.cat([self.encoder.cls_token.expand(len(images), -1, -1), tokens], 1) + pos, grid, maps[:2]

    def _tokens(self, x: torch.Tensor) -> list[torch.Tensor]:
        out = []
        for i, block in enumerate(self.encoder.blocks):
            x = block(x)
            if i in self.hooks:
                out.append(x)
            if i >= max(self.hooks):
                break
        return out

    def features(self, images: torch.Tensor) -> dict[str, list[torch.Tensor]]:
        """``reassembled``: the four maps, finest first; ``fused``: the fusion blocks' outputs, coarsest first."""
        x, grid, finest = self._embed(images)
        stages = self.reassemble[len(finest) :]
        maps = list(finest) + [stage(t, grid) for stage, t in zip(stages, self._tokens(x))]
        feats = [conv(m) for conv, m in zip(self.convs, maps)]
        fused, y = [], None
        for block, f in zip(self.fusion, reversed(feats)):
            y = block(f) if y is None else block(y, f)
            fused.append(y)
        return {"reassembled": maps, "fused": fused}

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        out = self.head(self.features(images)["fused"][-1])
        return out[:, 0] if self.head_kind == "depth" else out


def _dpt(defaults: dict[str, Any], overrides: dict[str, Any]) -> DPT:
    return DPT(**{**defaults, **overrides})


_BASE = dict(
    img_size=384,
    patch_size=16,
    embed_dim=768,
    depth=12,
    num_heads=12,
    hooks=(2, 5, 8, 11),
    neck_channels=(96, 192, 384, 768),
)
_LARGE = dict(
    img_size=384,
    patch_size=16,
    embed_dim=1024,
    depth=24,
    num_heads=16,
    hooks=(5, 11, 17, 23),
    neck_channels=(256, 512, 1024, 1024),
)


@register_model
def dpt_base(**overrides) -> DPT:
    """DPT-Base for depth: ViT-B/16 at 384, hooks at blocks 3, 6, 9, 12, project readout: 110.9M parameters."""
    return _dpt(_BASE, overrides)


@register_model
def dpt_hybrid(**overrides) -> DPT:
    """DPT-Hybrid for depth: a BiT ResNet-50 (three stages, stride 16) makes the tokens of a ViT-B
    (12 blocks); BiT's first two stages and blocks 9 and 12 are the four maps: 122.4M parameters."""
    return _dpt(
        {
            **_BASE,
            "hooks": (0, 1, 8, 11),
            "factors": (1, 1, 1, 0.5),
            "neck_channels": (256, 512, 768, 768),
            "hybrid": True,
        },
        overrides,
    )


@register_model
def dpt_large(**overrides) -> DPT:
    """DPT-Large for depth: ViT-L/16 at 384, hooks at blocks 6, 12, 18, 24: 343.0M parameters."""
    return _dpt(_LARGE, overrides)


# With 8x8 patches the factors are halved (the paper's 4, 2, 1, 1/2 are for 16x16): the four maps are
# then at 1/4 ... 1/32 of the image, as in the paper, and the output comes back at the input's size.
_TINY = dict(
    img_size=64,
    patch_size=8,
    embed_dim=128,
    depth=8,
    num_heads=4,
    mlp_ratio=2.0,
    hooks=(1, 3, 5, 7),
    factors=(2, 1, 0.5, 0.25),
    neck_channels=(32, 64, 128, 128),
    fusion_channels=64,
    norm_eps=1e-6,
)


@register_model
def dpt_depth_tiny_shapes(**overrides) -> DPT:
    """Course size for 64x64 ShapesWorld depth: chapter 09's SETR encoder (8x8 patches, width 128,
    depth 8), hooks at blocks 2, 4, 6, 8, maps of 16, 8, 4 and 2 pixels a side, fusion width 64."""
    return _dpt({**_TINY, "head": "depth"}, overrides)


@register_model
def dpt_segmentation_tiny_shapes(**overrides) -> DPT:
    """The same DPT with a segmentation head for ShapesWorld's six classes."""
    return _dpt({**_TINY, "head": "segmentation", "num_classes": 6}, overrides)
