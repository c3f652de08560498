"""SETR (Zheng et al., CVPR 2021): semantic segmentation as sequence-to-sequence prediction.

A plain ViT encodes the image as a sequence of patch tokens at one resolution (1/16 for 16x16
patches, no downsampling stages); a decoder turns tokens back into a dense class map::

    image -> ViT (position embeddings interpolated to the input's grid) -> tokens of layer(s) ->
      Naive: LayerNorm, 1x1 conv, BN, ReLU, 1x1 conv to classes, bilinear upsampling to the image
      PUP:   LayerNorm, then log2(patch) stages of 3x3 conv, BN, ReLU, 2x upsampling; 1x1 conv to classes
      MLA:   four evenly spaced layers, each LayerNorm and 1x1 conv; top-down sums; 3x3 conv each; a
             head per stream (two 3x3 convs, 4x upsampling); concatenation; 3x3 conv to classes

Auxiliary heads (``aux_layers``): the official configurations train extra heads on earlier layers beside
the decoder, each a Naive head (LayerNorm, two 1x1 convolutions, bilinear upsampling) whose cross-entropy
is added with weight 0.4 (MMSegmentation's SETR-Naive: three of them, on blocks 10, 15 and 20 of 24). They
are used in training only; :func:`vitlite.train.segmentation_loss` adds their losses.

As in the official code, the encoder has no final LayerNorm (each decoder normalises what it reads),
and the class token goes through the blocks and is dropped by the decoder. (The official MLA backbone
drops it before the blocks instead; that changes no parameter count, and here the three decoders share
one encoder so that only the decoder differs.)
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from vitlite.layers import check_num_classes, check_positive
from vitlite.models import register_model
from vitlite.models.vit import VisionTransformer

__all__ = ["SETR", "NaiveHead", "PUPHead", "MLAHead", "evenly_spaced_layers"]


def _conv_bn_relu(cin: int, cout: int, k: int, bias: bool = True) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, k, padding=k // 2, bias=bias), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


def evenly_spaced_layers(depth: int, count: int = 4) -> tuple[int, ...]:
    """The 0-based indices of ``count`` evenly spaced blocks ending with the last: (5, 11, 17, 23) for 24."""
    if depth % count:
        raise ValueError(f"a depth of {depth} does not split into {count} equal parts; choose layers by hand")
    return tuple(depth // count * (k + 1) - 1 for k in range(count))


class NaiveHead(nn.Module):
    """SETR-Naive: LayerNorm on the last layer's tokens, then a two-layer 1x1 convolution per token
    (the first with BN and ReLU) and bilinear upsampling to the image."""

    def __init__(self, dim: int, num_classes: int, channels: int = 256):
        super().__init__()
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.conv_0, self.bn_0 = nn.Conv2d(dim, channels, 1), nn.BatchNorm2d(channels)
        self.conv_1 = nn.Conv2d(channels, num_classes, 1)

    def forward(self, maps: list[torch.Tensor], size: tuple[int, int]) -> torch.Tensor:
        x = maps[-1]
        x = self.conv_1(F.relu(self.bn_0(self.conv_0(x))))
        return F.interpolate(x, size=size, mode="bilinear", align_corners=False)


class PUPHead(nn.Module):
    """SETR-PUP (progressive upsampling): ``stages`` times a 3x3 conv, BN, ReLU and a 2x bilinear
    upsampling (the last upsampling after the 1x1 classifier, as in the official code)."""

    def __init__(self, dim: int, num_classes: int, channels: int = 256, stages: int = 4):
        super().__init__()
        check_positive("stages", stages)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.convs = nn.ModuleList(
            nn.Conv2d(dim if i == 0 else channels, channels, 3, padding=1) for i in range(stages)
        )
        self.bns = nn.ModuleList(nn.BatchNorm2d(channels) for _ in range(stages))
        self.cls = nn.Conv2d(channels, num_classes, 1)

    def forward(self, maps: list[torch.Tensor], size: tuple[int, int]) -> torch.Tensor:
        x = maps[-1]
        last = len(self.convs) - 1
        for i, (conv, bn) in enumerate(zip(self.convs, self.bns)):
            x = F.relu(bn(conv(x)))
            if i < last:
                x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        x = F.interpolate(self.cls(x), scale_factor=2, mode="bilinear", align_corners=False)
        return (
            x
            if tuple(x.shape[-2:]) == tuple(size)
            else F.interpolate(x, size=size, mode="bilinear", align_corners=False)
        )


class MLAHead(nn.Module):
    """SETR-MLA (multi-level feature aggregation) on four streams, shallowest first."""

    def __init__(self, dim: int, num_classes: int, mla_channels: int = 256, head_channels: int = 128, streams: int = 4):
        super().__init__()
        self.norms = nn.ModuleList(nn.LayerNorm(dim, eps=1e-6) for _ in range(streams))
        self.lateral = nn.ModuleList(
            nn.Sequential(*_conv_bn_relu(dim, mla_channels, 1, bias=False)) for _ in range(streams)
        )
        self.smooth = nn.ModuleList(
            nn.Sequential(*_conv_bn_relu(mla_channels, mla_channels, 3, bias=False)) for _ in range(streams)
        )
        self.heads = nn.ModuleList(
            nn.Sequential(
                *_conv_bn_relu(mla_channels, head_channels, 3, bias=False),
                *_conv_bn_relu(head_channels, head_channels, 3, bias=False),
            )
            for _ in range(streams)
        )
        self.cls = nn.Conv2d(streams * head_channels, num_classes, 3, padding=1)

    def forward(self, maps: list[torch.Tensor], size: tuple[int, int]) -> torch.Tensor:
        lateral = [conv(m) for conv, m in zip(self.lateral, maps)]
        summed, running = [None] * len(maps), None
        for i in reversed(range(len(maps))):  # top-down: the deepest stream first, each adds the ones above
            running = lateral[i] if running is None else running + lateral[i]
            summed[i] = running
        outs = []
        for smooth, head, x in zip(self.smooth, self.heads, summed):
            y = head(smooth(x))
            outs.append(F.interpolate(y, scale_factor=4, mode="bilinear", align_corners=True))
        x = self.cls(torch.cat(outs, dim=1))
        return F.interpolate(x, size=size, mode="bilinear", align_corners=False)


class SETR(nn.Module):
    """A ViT encoder (``vitlite.models.vit.VisionTransformer`` without its final norm and head) and one
    of the three decoders. ``forward(images)`` returns class scores (B, K, H, W) at the input's size;
    inputs of another size than ``img_size`` (divisible by the patch size) get position embeddings
    interpolated bilinearly to their grid."""

    def __init__(
        self,
        decoder: str = "naive",
        img_size: int = 768,
        patch_size: int = 16,
        num_classes: int = 19,
        embed_dim: int = 1024,
        depth: int = 24,
        num_heads: int = 16,
        mlp_ratio: float = 4.0,
        channels: int = 256,
        mla_channels: int = 256,
        head_channels: int = 128,
        layers: tuple[int, ...] | None = None,
        drop_rate: float = 0.0,
        in_chans: int = 3,
        aux_layers: tuple[int, ...] = (),
        aux_weight: float = 0.4,
    ):
        super().__init__()
        check_num_classes(num_classes)
        if decoder not in ("naive", "pup", "mla"):
            raise ValueError(f"decoder must be 'naive', 'pup' or 'mla', got {decoder!r}")
        self.decoder_name, self.num_classes, self.in_chans = decoder, num_classes, in_chans
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
            drop_rate=drop_rate,
        )
        self.encoder.norm = nn.Identity()  # no final norm: each decoder normalises the layers it reads
        self.encoder.pos_interp = "bilinear"  # the official code interpolates position embeddings bilinearly
        if decoder == "mla":
            self.layers = tuple(layers) if layers is not None else evenly_spaced_layers(depth)
            self.decoder = MLAHead(embed_dim, num_classes, mla_channels, head_channels, streams=len(self.layers))
        else:
            self.layers = tuple(layers) if layers is not None else (depth - 1,)
            if decoder == "naive":
                self.decoder = NaiveHead(embed_dim, num_classes, channels)
            else:
                stages = int(round(math.log2(patch_size)))
                if 2**stages != patch_size:
                    raise ValueError(
                        f"PUP upsamples by 2 per stage: the patch size must be a power of two, got {patch_size}"
                    )
                self.decoder = PUPHead(embed_dim, num_classes, channels, stages)
        if any(not 0 <= i < depth for i in self.layers):
            raise ValueError(f"layers must be block indices in [0, {depth - 1}], got {self.layers}")
        self.aux_layers, self.aux_weight = tuple(aux_layers), float(aux_weight)
        if any(not 0 <= i < depth for i in self.aux_layers):
            raise ValueError(f"aux_layers must be block indices in [0, {depth - 1}], got {self.aux_layers}")
        if self.aux_layers and not self.aux_weight > 0:
            raise ValueError(f"aux_weight must be positive when there are auxiliary heads, got {aux_weight}")
        self.aux_heads = nn.ModuleList(NaiveHead(embed_dim, num_classes, channels) for _ in self.aux_layers)

    def _blocks(self, images: torch.Tensor, wanted: tuple[int, ...]) -> dict[int, torch.Tensor]:
        """Block index -> that block's patch tokens (B, N, D), for the blocks in ``wanted``."""
        x = self.encoder.embed(images)
        out = {}
        for i, block in enumerate(self.encoder.blocks[: max(wanted) + 1]):
            x = block(x)
            if i in wanted:
                out[i] = x[:, self.encoder.num_prefix_tokens :]
        return out

    def _as_maps(self, tokens: list[torch.Tensor], norms: list[nn.Module], images: torch.Tensor) -> list[torch.Tensor]:
        grid = (images.shape[-2] // self.encoder.patch_size, images.shape[-1] // self.encoder.patch_size)
        return [norm(t).transpose(1, 2).reshape(t.shape[0], t.shape[-1], *grid) for norm, t in zip(norms, tokens)]

    def _decoder_norms(self) -> list[nn.Module]:
        return list(self.decoder.norms) if isinstance(self.decoder, MLAHead) else [self.decoder.norm]

    def token_maps(self, images: torch.Tensor) -> list[torch.Tensor]:
        """The chosen layers' patch tokens, each normalised by its decoder LayerNorm, as maps (B, D, h, w)."""
        picked = self._blocks(images, self.layers)
        return self._as_maps([picked[i] for i in self.layers], self._decoder_norms(), images)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.token_maps(images), tuple(images.shape[-2:]))

    def forward_aux(self, images: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """The decoder's class scores and each auxiliary head's (all (B, K, H, W)), from one pass of the encoder."""
        picked = self._blocks(images, self.layers + self.aux_layers)
        size = tuple(images.shape[-2:])
        main = self.decoder(self._as_maps([picked[i] for i in self.layers], self._decoder_norms(), images), size)
        aux_maps = self._as_maps([picked[i] for i in self.aux_layers], [h.norm for h in self.aux_heads], images)
        return main, [head([m], size) for head, m in zip(self.aux_heads, aux_maps)]


def _large(decoder: str, overrides: dict) -> SETR:
    return SETR(decoder, **overrides)


@register_model
def setr_naive_vit_large(**overrides) -> SETR:
    """SETR-Naive on ViT-L/16 at 768x768, 19 classes (Cityscapes): 305.7M parameters."""
    return _large("naive", overrides)


@register_model
def setr_pup_vit_large(**overrides) -> SETR:
    """SETR-PUP on ViT-L/16 at 768x768, 19 classes: 309.6M parameters."""
    return _large("pup", overrides)


@register_model
def setr_mla_vit_large(**overrides) -> SETR:
    """SETR-MLA on ViT-L/16 at 768x768, 19 classes: 310.7M parameters."""
    return _large("mla", overrides)


_TINY = dict(
    img_size=64,
    patch_size=8,
    num_classes=6,
    embed_dim=128,
    depth=8,
    num_heads=4,
    mlp_ratio=2.0,
    channels=64,
    mla_channels=64,
    head_channels=32,
)


@register_model
def setr_naive_tiny_shapes(**overrides) -> SETR:
    """Course size for 64x64 ShapesWorld segmentation (background + 5 shapes): 8x8 patches (an 8x8
    token grid), width 128, depth 8, 4 heads; the Naive decoder."""
    return SETR("naive", **{**_TINY, **overrides})


@register_model
def setr_pup_tiny_shapes(**overrides) -> SETR:
    """The same encoder with the PUP decoder (three 2x stages for 8x8 patches)."""
    return SETR("pup", **{**_TINY, **overrides})


@register_model
def setr_mla_tiny_shapes(**overrides) -> SETR:
    """The same encoder with the MLA decoder on blocks 2, 4, 6 and 8."""
    return SETR("mla", **{**_TINY, **overrides})
