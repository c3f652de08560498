"""MobileViT v2 (Mehta and Rastegari, 2022): separable self-attention, linear in the number of tokens;
and MobileViT v3 (Wadekar and Chaurasia, 2022): a simpler, residual fusion of local and global features.

Separable self-attention replaces the N x N attention matrix with one score per token. A 1x1
projection makes 1 + 2d channels: a query channel whose softmax over the N tokens gives the
*context scores*, keys and values. The context vector is the score-weighted sum of the keys, one
d-vector for the whole sequence; every token's ReLU(value) is multiplied by it, and an output
projection follows::

    scores = softmax_N(x W_I)                       (P, N, 1)
    context = sum_N scores * (x W_K)                (P, 1, d)
    out = (ReLU(x W_V) * context) W_O               (P, N, d)

so the cost is O(N d), not O(N^2 d). Tokens are laid out as a (B, d, P, N) image and every
projection is a 1x1 convolution; normalisation is GroupNorm with one group (a LayerNorm over d,
P and N together). The v2 block keeps v1's local representation (with a depthwise 3x3) and drops
its fusion: a 1x1 projection back to C is the output.

MobileViT v3 changes the fusion of both versions: v1-based, a 1x1 convolution (instead of 3x3)
fuses the *local* features (instead of the block's input) with the global ones, and the block's
input is added to the result; v2-based, the projection takes the global and local features
together, and the input is added. Configurations follow the v3 authors' code.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from vitlite.layers import RecordsAttention, check_positive
from vitlite.models import register_model
from vitlite.models.mobilevit import ConvNormAct, MobileViT, make_divisible

__all__ = [
    "SeparableSelfAttention",
    "LinformerAttention",
    "LinearTransformerLayer",
    "MobileViTv2Block",
    "mobilevitv2",
    "v2_widths",
    "MOBILEVITV3_CONFIGS",
    "unfold_2d",
    "fold_2d",
    "context_scores",
]


def unfold_2d(x: torch.Tensor, patch_size: int = 2) -> torch.Tensor:
    """(B, d, H, W) -> (B, d, P, N): v2's layout of v1's unfolding (P = pixels of a patch, N = patches)."""
    b, d, h, w = x.shape
    p = patch_size
    return x.reshape(b, d, h // p, p, w // p, p).permute(0, 1, 3, 5, 2, 4).reshape(b, d, p * p, (h // p) * (w // p))


def fold_2d(x: torch.Tensor, grid: tuple[int, int], patch_size: int = 2) -> torch.Tensor:
    """The inverse of :func:`unfold_2d`: (B, d, P, N) -> (B, d, H, W) for a grid of (H / p, W / p) patches."""
    b, d = x.shape[:2]
    p, (nh, nw) = patch_size, grid
    return x.reshape(b, d, p, p, nh, nw).permute(0, 1, 4, 2, 5, 3).reshape(b, d, nh * p, nw * p)


class SeparableSelfAttention(RecordsAttention, nn.Module):
    """Separable self-attention on (B, d, P, N) tokens: context scores over N, one context vector per
    sequence, values gated by it. :func:`vitlite.layers.attention_maps` records the context scores
    (B, P, N)."""

    def __init__(self, dim: int, attn_drop: float = 0.0):
        super().__init__()
        self.dim = check_positive("dim", dim)
        self.qkv_proj = nn.Conv2d(dim, 1 + 2 * dim, 1)  # query (1 channel), keys (d), values (d)
        self.attn_drop = nn.Dropout(attn_drop)
        self.out_proj = nn.Conv2d(dim, dim, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        query, key, value = self.qkv_proj(x).split([1, self.dim, self.dim], dim=1)
        scores = query.softmax(dim=-1)  # (B, 1, P, N): one weight per token, summing to 1 over N
        self._emit(scores[:, 0])
        context = (key * self.attn_drop(scores)).sum(dim=-1, keepdim=True)  # (B, d, P, 1)
        return self.out_proj(F.relu(value) * context)


class LinformerAttention(nn.Module):
    """Linformer's self-attention (Wang et al., 2020), one head: keys and values are projected along the
    sequence, from N tokens to a fixed k, so the scores are N x k: linear in N for a fixed k. On
    (B, N, d) tokens; only for chapter 06's cost comparison."""

    def __init__(self, dim: int, seq_len: int, k: int = 64):
        super().__init__()
        self.scale = dim**-0.5
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj_k = nn.Linear(seq_len, min(k, seq_len), bias=False)  # E: (k, N)
        self.proj_v = nn.Linear(seq_len, min(k, seq_len), bias=False)  # F: (k, N)
        self.out = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q, key, value = self.qkv(x).chunk(3, dim=-1)  # (B, N, d) each
        key = self.proj_k(key.transpose(1, 2)).transpose(1, 2)  # (B, k, d)
        value = self.proj_v(value.transpose(1, 2)).transpose(1, 2)
        scores = (q * self.scale) @ key.transpose(1, 2)  # (B, N, k)
        return self.out(scores.softmax(-1) @ value)


class LinearTransformerLayer(nn.Module):
    """x + Attn(GN(x)), then x + FFN(GN(x)); the FFN is 1x1 conv, SiLU, 1x1 conv (with biases)."""

    def __init__(self, dim: int, ffn_dim: int, attn_drop: float = 0.0, drop: float = 0.0):
        super().__init__()
        self.norm1 = nn.GroupNorm(1, dim, eps=1e-5)
        self.attn = SeparableSelfAttention(dim, attn_drop)
        self.norm2 = nn.GroupNorm(1, dim, eps=1e-5)
        self.ffn = nn.Sequential(
            nn.Conv2d(dim, ffn_dim, 1), nn.SiLU(), nn.Dropout(drop), nn.Conv2d(ffn_dim, dim, 1), nn.Dropout(drop)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.ffn(self.norm2(x))


class MobileViTv2Block(nn.Module):
    """Depthwise 3x3 and 1x1 to ``dim`` (local); unfold, ``depth`` separable-attention layers and
    GroupNorm, fold (global); a 1x1 projection with BatchNorm back to ``channels``.

    ``fusion="v3"`` is MobileViT v3's change: the projection sees the global and the local features
    concatenated (2d channels), and the block's input is added (unless ``input_residual=False``).
    A block input whose sides are not multiples of the patch is resized up to the next multiples
    (bilinear, align_corners=True) before the local convolution, and the block's output keeps that size,
    as ml-cvnets' v2 does (a 7x7 map leaves the block 8x8).
    """

    def __init__(
        self,
        channels: int,
        dim: int,
        depth: int = 2,
        ffn_multiplier: float = 2.0,
        patch_size: int = 2,
        dilation: int = 1,
        fusion: str = "none",
        input_residual: bool = True,
        drop: float = 0.0,
    ):
        super().__init__()
        if fusion not in ("none", "v3"):
            raise ValueError(f"fusion must be 'none' (v2) or 'v3', got {fusion!r}")
        self.patch_size, self.fusion, self.input_residual = (
            check_positive("patch_size", patch_size),
            fusion,
            input_residual,
        )
        self.conv_kxk = ConvNormAct(channels, channels, 3, groups=channels, dilation=dilation)
        self.conv_1x1 = ConvNormAct(channels, dim, 1, norm=False, act=None)
        ffn_dim = int(ffn_multiplier * dim // 16 * 16)
        self.transformer = nn.ModuleList(LinearTransformerLayer(dim, ffn_dim, drop=drop) for _ in range(depth))
        self.norm = nn.GroupNorm(1, dim, eps=1e-5)
        self.conv_proj = ConvNormAct(2 * dim if fusion == "v3" else dim, channels, 1, act=None)

    def resize_input(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) -> (B, C, p*ceil(H/p), p*ceil(W/p)): the block input, bilinearly resized up to sides
        that the patch divides (unchanged when it already does)."""
        h, w = x.shape[-2:]
        p = self.patch_size
        size = (math.ceil(h / p) * p, math.ceil(w / p) * p)
        return x if size == (h, w) else F.interpolate(x, size=size, mode="bilinear", align_corners=True)

    def global_representation(self, x: torch.Tensor) -> torch.Tensor:
        """(B, d, H, W) -> (B, d, H, W), H and W multiples of the patch: unfold to (B, d, P, N), attention
        layers, GroupNorm, fold."""
        h, w = x.shape[-2:]
        p = self.patch_size
        if h % p or w % p:
            raise ValueError(
                f"the map ({h}x{w}) must have sides divisible by the patch size {p}; resize_input makes them so"
            )
        tokens = unfold_2d(x, p)
        for layer in self.transformer:
            tokens = layer(tokens)
        return fold_2d(self.norm(tokens), (h // p, w // p), p)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.resize_input(x)
        local = self.conv_1x1(self.conv_kxk(x))
        global_ = self.global_representation(local)
        if self.fusion == "none":
            return self.conv_proj(global_)
        out = self.conv_proj(torch.cat([global_, local], dim=1))
        return x + out if self.input_residual else out


def v2_widths(width_multiplier: float) -> dict:
    """MobileViT v2's channels and attention widths for a width multiplier (0.5 ... 2.0)."""
    a = width_multiplier
    stem = make_divisible(min(max(32 * a, 16), 64), 8, min_value=16)
    channels = (stem, make_divisible(64 * a, 16)) + tuple(make_divisible(c * a) for c in (128, 256, 384, 512))
    dims = tuple(make_divisible(c * a) for c in (128, 192, 256))
    return {"channels": channels, "dims": dims}


def context_scores(model: nn.Module, image: torch.Tensor, block: int) -> torch.Tensor:
    """The context scores of a v2 block's last separable-attention layer for one image (C, H, W), laid
    out on the block's feature map (h, w): every pixel's weight in the context vector of its sequence
    (the pixels at its place in the 2x2 patches); each sequence's scores sum to 1."""
    from vitlite.layers import attention_maps

    blocks = [m for m in model.modules() if isinstance(m, MobileViTv2Block)]
    if not blocks:
        raise ValueError(f"{type(model).__name__} has no MobileViT v2 or v3 (v2-based) blocks")
    if not 0 <= block < len(blocks):
        raise ValueError(f"block must be in [0, {len(blocks) - 1}], got {block}")
    target = blocks[block]
    grid: list[tuple[int, int]] = []
    handle = target.conv_1x1.register_forward_hook(lambda _m, _i, out: grid.append(tuple(out.shape[-2:])))
    try:
        with torch.no_grad(), attention_maps(target) as maps:
            model.eval()(image[None])
    finally:
        handle.remove()
    (h, w), p = grid[0], target.patch_size
    if h % p or w % p:
        raise ValueError(
            f"the block's {h}x{w} map is not a multiple of its {p}x{p} patches; use an image size that keeps it even"
        )
    scores = maps[f"transformer.{len(target.transformer) - 1}.attn"][0]  # (P, N)
    return fold_2d(scores[None, None], (h // p, w // p), p)[0, 0]


# ---------------------------------------------------------------------- configurations
def mobilevitv2(width_multiplier: float = 1.0, block: str = "v2", **overrides) -> MobileViT:
    """MobileViT v2 (or, with ``block="v3-v2"``, v3) at a width multiplier: v1's network with v2 blocks,
    two inverted residuals in the second stage, no final expansion conv."""
    return MobileViT(
        **{
            **v2_widths(width_multiplier),
            "ir_blocks": (1, 2),
            "exp_channels": 0,
            "expand_ratio": 2.0,
            "drop_rate": 0.0,
            "block": block,
            **overrides,
        }
    )


def _register(tag: str, width: float, block: str, count: str) -> None:
    def build(**overrides) -> MobileViT:
        return mobilevitv2(width, block, **overrides)

    build.__name__ = f"mobilevit{'v3' if block == 'v3-v2' else 'v2'}_{tag}"
    build.__doc__ = f"MobileViT {'v3 (v2-based)' if block == 'v3-v2' else 'v2'} with width multiplier {width}: {count} parameters with the ImageNet head."
    register_model(build)


for _tag, _width, _count in (
    ("050", 0.5, "1.4M"),
    ("075", 0.75, "2.9M"),
    ("100", 1.0, "4.9M"),
    ("125", 1.25, "7.5M"),
    ("150", 1.5, "10.6M"),
    ("175", 1.75, "14.3M"),
    ("200", 2.0, "18.4M"),
):
    _register(_tag, _width, "v2", _count)
for _tag, _width, _count in (("050", 0.5, "1.4M"), ("075", 0.75, "3.0M"), ("100", 1.0, "5.1M")):
    _register(_tag, _width, "v3-v2", _count)


# MobileViT v3 on v1's layout: new stage widths, a final expansion of min(4 * C5, 960) channels.
MOBILEVITV3_CONFIGS: dict[str, dict] = {
    "xxs": dict(channels=(16, 16, 24, 64, 80, 128), dims=(64, 80, 96), exp_channels=512, expand_ratio=2.0),
    "xs": dict(channels=(16, 32, 48, 96, 160, 160), dims=(96, 120, 144), exp_channels=640, expand_ratio=4.0),
    "s": dict(channels=(16, 32, 64, 128, 256, 320), dims=(144, 192, 240), exp_channels=960, expand_ratio=4.0),
}


@register_model
def mobilevitv3_xxs(**overrides) -> MobileViT:
    """MobileViT v3-XXS (v1-based): 1.2M parameters."""
    return MobileViT(**{**MOBILEVITV3_CONFIGS["xxs"], "block": "v3", **overrides})


@register_model
def mobilevitv3_xs(**overrides) -> MobileViT:
    """MobileViT v3-XS (v1-based): 2.5M parameters."""
    return MobileViT(**{**MOBILEVITV3_CONFIGS["xs"], "block": "v3", **overrides})


@register_model
def mobilevitv3_s(**overrides) -> MobileViT:
    """MobileViT v3-S (v1-based): 5.8M parameters."""
    return MobileViT(**{**MOBILEVITV3_CONFIGS["s"], "block": "v3", **overrides})
