"""Swin Transformer (Liu et al., ICCV 2021): hierarchical vision transformer using shifted windows.

Global attention over h x w tokens costs Omega(MSA) = 4 h w C^2 + 2 (h w)^2 C; attention inside
M x M windows costs Omega(W-MSA) = 4 h w C^2 + 2 M^2 h w C, linear in the number of tokens.
Windows never talk to each other, so every other block shifts the window grid by M / 2:

    z'  = W-MSA(LN(z)) + z,        z  = MLP(LN(z')) + z'          (regular windows)
    z'' = SW-MSA(LN(z)) + z,       z  = MLP(LN(z'')) + z''        (shifted windows)

The shift is done by rolling the feature map (torch.roll) so the windows stay M x M, with a mask
that keeps apart the regions the roll brought together. Patch merging (2 x 2 neighbours
concatenated, LayerNorm, Linear 4C -> 2C) halves the resolution between four stages, which gives
the hierarchy of feature maps dense prediction needs.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn

from vitlite.layers import (
    DropPath,
    Mlp,
    RecordsAttention,
    check_image,
    check_num_classes,
    check_positive,
    init_weights,
    square_size,
    trunc_normal_,
)
from vitlite.models import register_model

__all__ = [
    "window_partition",
    "window_reverse",
    "relative_position_index",
    "shifted_window_mask",
    "WindowAttention",
    "shifted_windows_by_padding",
    "SwinBlock",
    "PatchMerging",
    "SwinTransformer",
    "msa_flops",
    "wmsa_flops",
    "token_reach",
    "window_groups",
]

MASK_VALUE = -100.0  # what the official code (and Hugging Face) add to the scores of pairs the shift brought together


def window_partition(x: torch.Tensor, window_size: int) -> torch.Tensor:
    """(B, H, W, C) -> (B * num_windows, M*M, C): the windows in reading order, each flattened."""
    check_positive("window_size", window_size)
    if x.ndim != 4 or x.shape[1] % window_size or x.shape[2] % window_size:
        raise ValueError(
            f"window_partition expects a channels-last map (B, H, W, C) with H and W divisible by window_size {window_size}; got shape {tuple(x.shape)}"
        )
    return rearrange(x, "b (nh m1) (nw m2) c -> (b nh nw) (m1 m2) c", m1=window_size, m2=window_size)


def window_reverse(windows: torch.Tensor, window_size: int, height: int, width: int) -> torch.Tensor:
    """The inverse of :func:`window_partition`: (B * num_windows, M*M, C) -> (B, H, W, C)."""
    return rearrange(
        windows,
        "(b nh nw) (m1 m2) c -> b (nh m1) (nw m2) c",
        nh=height // window_size,
        nw=width // window_size,
        m1=window_size,
    )


def relative_position_index(window_size: int) -> torch.Tensor:
    """(M*M, M*M): for tokens i, j of a window, the row of the bias table for their offset.

    Offsets (dy, dx) range over [-(M-1), M-1], so there are (2M - 1)^2 of them: the table has
    (2M - 1)^2 rows, and index = (dy + M - 1) * (2M - 1) + (dx + M - 1)."""
    coords = torch.stack(torch.meshgrid(torch.arange(window_size), torch.arange(window_size), indexing="ij")).flatten(
        1
    )  # (2, M*M)
    offsets = coords[:, :, None] - coords[:, None, :]  # (2, M*M, M*M): position(i) - position(j)
    return (offsets[0] + window_size - 1) * (2 * window_size - 1) + (offsets[1] + window_size - 1)


def shifted_window_mask(height: int, width: int, window_size: int, shift_size: int) -> torch.Tensor:
    """(num_windows, M*M, M*M): 0 where two tokens of a window came from the same region before the
    cyclic shift, MASK_VALUE where the roll brought them together from different regions.

    Along each axis the rolled map has three regions: [0, H - M), [H - M, H - s) and [H - s, H)."""
    check_positive("window_size", window_size)
    if isinstance(shift_size, bool) or not isinstance(shift_size, int) or not 0 < shift_size < window_size:
        raise ValueError(
            f"shift_size must be an int with 0 < shift_size < window_size ({window_size}), got {shift_size!r}; Swin shifts by window_size // 2"
        )
    if height % window_size or width % window_size:
        raise ValueError(f"the map ({height}x{width}) must be divisible by window_size {window_size}")

    def regions(n: int) -> torch.Tensor:
        index = torch.arange(n)
        return (index >= n - window_size).long() + (index >= n - shift_size).long()

    label = (regions(height)[:, None] * 3 + regions(width)[None, :]).float()  # (H, W): one of 9 regions
    windows = window_partition(label[None, :, :, None], window_size)[..., 0]  # (num_windows, M*M)
    different = windows[:, :, None] != windows[:, None, :]
    return torch.zeros(different.shape).masked_fill(different, MASK_VALUE)


class WindowAttention(RecordsAttention, nn.Module):
    """Multi-head self-attention inside each window, plus a learned relative position bias per head.

    ``forward(windows, mask)``: windows (B * num_windows, M*M, C); mask (num_windows, M*M, M*M) or None."""

    def __init__(
        self,
        dim: int,
        window_size: int,
        num_heads: int,
        qkv_bias: bool = True,
        attn_drop: float = 0.0,
        proj_drop: float = 0.0,
    ):
        super().__init__()
        self.dim, self.window_size, self.num_heads = dim, window_size, num_heads
        self.scale = (dim // num_heads) ** -0.5
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * window_size - 1) ** 2, num_heads))
        self.register_buffer("relative_position_index", relative_position_index(window_size), persistent=False)
        self.qkv = nn.Linear(dim, 3 * dim, bias=qkv_bias)
        self.attn_drop = nn.Dropout(attn_drop)
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)
        trunc_normal_(self.relative_position_bias_table)

    def relative_position_bias(self) -> torch.Tensor:
        """(heads, M*M, M*M): the bias each head adds to the score of every pair in a window."""
        n = self.window_size**2
        return rearrange(
            self.relative_position_bias_table[self.relative_position_index.flatten()], "(i j) h -> h i j", i=n
        )

    def forward(self, windows: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        bw, n, _ = windows.shape
        q, k, v = rearrange(self.qkv(windows), "bw n (three h d) -> three bw h n d", three=3, h=self.num_heads)
        bias = self.relative_position_bias()[None]  # (1, heads, N, N)
        if mask is not None:
            bias = bias + mask.repeat(bw // mask.shape[0], 1, 1)[:, None]  # windows of all images: (B*nW, 1, N, N)
        if self._record is not None:
            attn = ((q * self.scale) @ k.transpose(-2, -1) + bias).softmax(-1)
            self._emit(attn)
            out = self.attn_drop(attn) @ v
        else:
            out = F.scaled_dot_product_attention(
                q,
                k,
                v,
                attn_mask=bias.to(q.dtype),
                dropout_p=self.attn_drop.p if self.training else 0.0,
                scale=self.scale,
            )
        return self.proj_drop(self.proj(rearrange(out, "bw h n d -> bw n (h d)")))


def shifted_windows_by_padding(x: torch.Tensor, attn: WindowAttention, shift_size: int) -> torch.Tensor:
    """Shifted-window attention the slow, obvious way: (B, H, W, C) -> (B, H, W, C).

    Shifting the windows by s moves the window grid s tokens down and right: its lines fall on
    rows and columns s, s + M, s + 2M, ... and the first windows are cut short. So pad the map with
    M - s rows and columns on the top and left (and enough on the bottom and right), cut whole
    windows, and let each real token attend only to the real tokens of its window. The cyclic shift
    with its mask computes the same thing with fewer, full windows."""
    _, h, w, _ = x.shape
    m, s = attn.window_size, shift_size
    top = (m - s) % m
    pad_bottom, pad_right = (-(h + top)) % m, (-(w + top)) % m
    padding = (0, 0, top, pad_right, top, pad_bottom)
    real = (
        window_partition(F.pad(torch.ones(1, h, w, 1, device=x.device), padding), m)[..., 0] > 0
    )  # (num_windows, M*M)
    mask = torch.zeros(real.shape[0], m * m, m * m, device=x.device).masked_fill(
        ~real[:, None, :], -1e9
    )  # padding keys: never
    windows = attn(window_partition(F.pad(x, padding), m), mask)
    out = window_reverse(windows, m, h + top + pad_bottom, w + top + pad_right)
    return out[:, top : top + h, top : top + w]


class SwinBlock(nn.Module):
    """A Swin block at a fixed resolution: (shifted) window attention and an MLP, both pre-norm.

    The official rule for small stages: if the resolution is not larger than the window, the window
    shrinks to the resolution and the shift is dropped (a single window sees everything anyway)."""

    def __init__(
        self,
        dim: int,
        resolution: tuple[int, int],
        num_heads: int,
        window_size: int = 7,
        shift_size: int = 0,
        mlp_ratio: float = 4.0,
        qkv_bias: bool = True,
        drop: float = 0.0,
        attn_drop: float = 0.0,
        drop_path: float = 0.0,
        norm_eps: float = 1e-5,
    ):
        super().__init__()
        self.resolution = resolution
        if min(resolution) <= window_size:
            window_size, shift_size = min(resolution), 0
        if not 0 <= shift_size < window_size:
            raise ValueError(f"shift_size must be in [0, window_size), got {shift_size} with window {window_size}")
        self.window_size, self.shift_size = window_size, shift_size
        self.norm1 = nn.LayerNorm(dim, eps=norm_eps)
        self.attn = WindowAttention(dim, window_size, num_heads, qkv_bias, attn_drop, drop)
        self.drop_path = DropPath(drop_path)
        self.norm2 = nn.LayerNorm(dim, eps=norm_eps)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), drop=drop)
        # Pad (right and bottom, with zeros) to whole windows, as Hugging Face does for such sizes.
        m = window_size
        self.padded = ((resolution[0] + m - 1) // m * m, (resolution[1] + m - 1) // m * m)
        mask = shifted_window_mask(*self.padded, m, shift_size) if shift_size else None
        self.register_buffer("attn_mask", mask, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, H*W, C)
        h, w = self.resolution
        hp, wp = self.padded
        m, s = self.window_size, self.shift_size
        shortcut = x
        x = rearrange(self.norm1(x), "b (h w) c -> b h w c", h=h)
        x = F.pad(x, (0, 0, 0, wp - w, 0, hp - h))
        if s:
            x = torch.roll(x, shifts=(-s, -s), dims=(1, 2))  # cyclic shift: the window grid moves by s
        windows = self.attn(window_partition(x, m), self.attn_mask)
        x = window_reverse(windows, m, hp, wp)
        if s:
            x = torch.roll(x, shifts=(s, s), dims=(1, 2))
        x = rearrange(x[:, :h, :w], "b h w c -> b (h w) c")
        x = shortcut + self.drop_path(x)
        return x + self.drop_path(self.mlp(self.norm2(x)))


class PatchMerging(nn.Module):
    """Halve the resolution, double the width: each 2 x 2 group of tokens is concatenated (4C),
    normalised and mapped to 2C by a linear layer without bias. (B, H*W, C) -> (B, H/2*W/2, 2C).

    The concatenation order is the official one: (0, 0), (1, 0), (0, 1), (1, 1) as (row, col)."""

    def __init__(self, dim: int, resolution: tuple[int, int], norm_eps: float = 1e-5):
        super().__init__()
        self.resolution = resolution
        self.norm = nn.LayerNorm(4 * dim, eps=norm_eps)
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = self.resolution
        x = rearrange(x, "b (h w) c -> b h w c", h=h)
        x = F.pad(x, (0, 0, 0, w % 2, 0, h % 2))  # odd sizes: one row/column of zeros
        x = rearrange(x, "b (h p1) (w p2) c -> b (h w) (p2 p1 c)", p1=2, p2=2)  # column-major 2x2 order
        return self.reduction(self.norm(x))


class SwinTransformer(nn.Module):
    """Patch partition and linear embedding, four stages of Swin blocks with patch merging between them,
    LayerNorm, average pooling and a linear head. ``shift=False`` keeps every block on the regular window
    grid (the paper's ablation of shifted windows, its Table 4).

    Two switches that are not the paper's, for chapter 04's tries on small objects: ``stem_width`` > 0 puts
    two 3x3 convolutions (BatchNorm, ReLU; that many channels, full resolution) before the patch embedding,
    and ``global_pool="max"`` takes the maximum over the last stage's tokens instead of their mean."""

    def __init__(
        self,
        img_size: int = 224,
        patch_size: int = 4,
        in_chans: int = 3,
        num_classes: int = 1000,
        embed_dim: int = 96,
        depths: tuple[int, ...] = (2, 2, 6, 2),
        num_heads: tuple[int, ...] = (3, 6, 12, 24),
        window_size: int = 7,
        mlp_ratio: float = 4.0,
        qkv_bias: bool = True,
        drop_rate: float = 0.0,
        attn_drop_rate: float = 0.0,
        drop_path_rate: float = 0.1,
        norm_eps: float = 1e-5,
        shift: bool = True,
        stem_width: int = 0,
        global_pool: str = "avg",
    ):
        super().__init__()
        img_size = square_size(img_size, "SwinTransformer")
        if global_pool not in ("avg", "max"):
            raise ValueError(f"global_pool must be 'avg' (the paper's average pooling) or 'max', got {global_pool!r}")
        if isinstance(stem_width, bool) or not isinstance(stem_width, int) or stem_width < 0:
            raise ValueError(
                f"stem_width must be 0 (no stem, the paper's patch embedding only) or a positive int of channels, got {stem_width!r}"
            )
        self.global_pool, self.stem_width = global_pool, stem_width
        if not isinstance(shift, bool):
            raise ValueError(
                f"shift must be True (every second block shifts its windows) or False (the paper's ablation without shifts), got {shift!r}"
            )
        self.shift = shift
        check_num_classes(num_classes)
        for name, value in (("depths", depths), ("num_heads", num_heads)):
            if (
                not isinstance(value, (tuple, list))
                or not value
                or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)
            ):
                raise ValueError(f"{name} must give one positive int per stage, e.g. {name}=(2, 4); got {value!r}")
        depths, num_heads = tuple(depths), tuple(num_heads)
        if len(depths) != len(num_heads):
            raise ValueError(f"depths {depths} and num_heads {num_heads} must have the same length")
        if img_size % patch_size:
            raise ValueError(f"img_size {img_size} must be divisible by patch_size {patch_size}")
        self.img_size, self.patch_size, self.in_chans, self.num_classes = img_size, patch_size, in_chans, num_classes
        self.stem = None
        if stem_width:
            layers, width = [], in_chans
            for _ in range(2):
                layers += [
                    nn.Conv2d(width, stem_width, 3, 1, 1, bias=False),
                    nn.BatchNorm2d(stem_width),
                    nn.ReLU(inplace=True),
                ]
                width = stem_width
            self.stem = nn.Sequential(*layers)
        self.patch_embed = nn.Conv2d(
            stem_width or in_chans, embed_dim, patch_size, patch_size
        )  # patch partition + linear embedding
        self.patch_norm = nn.LayerNorm(embed_dim, eps=norm_eps)
        self.pos_drop = nn.Dropout(drop_rate)
        rates = [drop_path_rate * i / max(sum(depths) - 1, 1) for i in range(sum(depths))]
        side = img_size // patch_size
        resolution, dim, stages = (side, side), embed_dim, []
        self.resolutions, self.dims = [], []
        for i, (depth, heads) in enumerate(zip(depths, num_heads)):
            blocks = [
                SwinBlock(
                    dim,
                    resolution,
                    heads,
                    window_size,
                    window_size // 2 if shift and j % 2 else 0,
                    mlp_ratio,
                    qkv_bias,
                    drop_rate,
                    attn_drop_rate,
                    rates[sum(depths[:i]) + j],
                    norm_eps,
                )
                for j in range(depth)
            ]
            stage = nn.Module()
            stage.blocks = nn.ModuleList(blocks)
            stage.downsample = PatchMerging(dim, resolution, norm_eps) if i < len(depths) - 1 else None
            stages.append(stage)
            self.resolutions.append(resolution)
            self.dims.append(dim)
            if i < len(depths) - 1:
                resolution, dim = ((resolution[0] + 1) // 2, (resolution[1] + 1) // 2), dim * 2
        self.stages = nn.ModuleList(stages)
        self.num_features = dim
        self.norm = nn.LayerNorm(dim, eps=norm_eps)
        self.head = nn.Linear(dim, num_classes) if num_classes > 0 else nn.Identity()
        self.apply(init_weights)

    def forward_features(
        self, x: torch.Tensor, return_hidden_states: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, list[torch.Tensor]]:
        """(B, C, H, W) -> normalised tokens of the last stage (B, h*w, C_last).

        With ``return_hidden_states``, also [embeddings, stage 1, ..., stage L] as token sequences,
        each stage's taken after its patch merging (as Hugging Face's ``hidden_states``)."""
        check_image(x, self.in_chans, size=(self.img_size, self.img_size), model=self)
        if self.stem is not None:
            x = self.stem(x)
        x = rearrange(self.patch_embed(x), "b c h w -> b (h w) c")
        x = self.pos_drop(self.patch_norm(x))
        hidden = [x]
        for stage in self.stages:
            for block in stage.blocks:
                x = block(x)
            if stage.downsample is not None:
                x = stage.downsample(x)
            hidden.append(x)
        x = self.norm(x)
        return (x, hidden) if return_hidden_states else x

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        x = x.amax(dim=1) if self.global_pool == "max" else x.mean(dim=1)  # pooling over the last stage's tokens
        return x if pre_logits else self.head(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(x))


def window_groups(size: int, window: int, shift: int) -> torch.Tensor:
    """The window each of a size x size map's tokens attends within, for a block shifted by ``shift``
    (0: regular windows), as an (size, size) map of window ids. With the cyclic roll and its mask, a
    shifted block's windows are, in the map's own coordinates, the row and column bands [0, s), [s, s + M),
    [s + M, s + 2M), ..., the last one cut at the border: the roll wraps it round, the mask keeps its two
    parts apart."""
    index = torch.arange(size)
    band = index // window if shift == 0 else torch.where(index < shift, 0, 1 + (index - shift) // window)
    return band[:, None] * (size + 1) + band[None, :]


def token_reach(shifts: tuple[int, ...], size: int = 16, window: int = 4, row: int = 5, col: int = 5) -> torch.Tensor:
    """Which input tokens of a size x size map can change output token (row, col) after a stack of Swin
    blocks with ``window`` x ``window`` windows, one block per entry of ``shifts`` (0: regular windows):
    an (size, size) bool map, computed from the window geometry (attention mixes tokens within a window;
    everything else in a block acts on one token at a time), so exactly, with no threshold."""
    reach = torch.zeros(size, size, dtype=torch.bool)
    reach[row, col] = True
    for shift in reversed(shifts):  # from the output back to the input
        groups = window_groups(size, window, shift)
        reach = torch.isin(groups, groups[reach])
    return reach


def msa_flops(h: int, w: int, c: int) -> int:
    """The paper's Omega(MSA) = 4 h w C^2 + 2 (h w)^2 C (multiply-adds of global attention, softmax excluded)."""
    return 4 * h * w * c * c + 2 * (h * w) ** 2 * c


def wmsa_flops(h: int, w: int, c: int, window_size: int) -> int:
    """The paper's Omega(W-MSA) = 4 h w C^2 + 2 M^2 h w C (window attention)."""
    return 4 * h * w * c * c + 2 * window_size**2 * h * w * c


def _swin(defaults: dict, overrides: dict) -> SwinTransformer:
    return SwinTransformer(**{**defaults, **overrides})


@register_model
def swin_tiny_patch4_window7_224(**overrides) -> SwinTransformer:
    """Swin-T: C = 96, depths (2, 2, 6, 2), heads (3, 6, 12, 24). 28.3M parameters."""
    return _swin(dict(embed_dim=96, depths=(2, 2, 6, 2), num_heads=(3, 6, 12, 24), drop_path_rate=0.2), overrides)


@register_model
def swin_small_patch4_window7_224(**overrides) -> SwinTransformer:
    """Swin-S: C = 96, depths (2, 2, 18, 2), heads (3, 6, 12, 24). 49.6M parameters."""
    return _swin(dict(embed_dim=96, depths=(2, 2, 18, 2), num_heads=(3, 6, 12, 24), drop_path_rate=0.3), overrides)


@register_model
def swin_base_patch4_window7_224(**overrides) -> SwinTransformer:
    """Swin-B: C = 128, depths (2, 2, 18, 2), heads (4, 8, 16, 32). 87.8M parameters."""
    return _swin(dict(embed_dim=128, depths=(2, 2, 18, 2), num_heads=(4, 8, 16, 32), drop_path_rate=0.5), overrides)


@register_model
def swin_tiny_shapes(**overrides) -> SwinTransformer:
    """Course size: 2x2 patches, windows of 4x4 tokens, two stages (C = 32, 64), for ShapesWorld images."""
    return _swin(
        dict(
            img_size=64,
            patch_size=2,
            num_classes=5,
            embed_dim=32,
            depths=(2, 2),
            num_heads=(2, 4),
            window_size=4,
            mlp_ratio=2.0,
            drop_path_rate=0.0,
        ),
        overrides,
    )
