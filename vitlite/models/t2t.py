"""Tokens-to-Token ViT (Yuan et al., ICCV 2021): training vision transformers from scratch on ImageNet.

ViT's hard split cuts every edge that crosses a patch border and never looks inside a
patch again. T2T-ViT tokenises progressively instead:

    soft split:           overlapping k x k windows (nn.Unfold) become tokens, so every
                          pixel belongs to several neighbouring tokens;
    transformer layer:    tokens exchange information (single head, MLP ratio 1);
    re-structurization:   the tokens are laid back out as an image (B, C, H, W) ...
    ... and soft split again, shrinking the grid (strides 4, 2, 2 at 224: 56, 28, 14).

Then a deep-narrow ViT backbone (e.g. 14 blocks of width 384) with a fixed sinusoidal
position embedding classifies from the class token.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn

from vitlite.layers import (
    Block,
    Mlp,
    RecordsAttention,
    check_image,
    check_num_classes,
    init_weights,
    sincos_1d,
    square_size,
    trunc_normal_,
)
from vitlite.models import register_model

__all__ = [
    "soft_split_size",
    "restructurize",
    "soft_split_footprint",
    "TokenTransformer",
    "TokenPerformer",
    "TokenMLP",
    "T2TModule",
    "T2TViT",
]


def soft_split_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """Side of the token grid after a soft split: floor((size + 2 padding - kernel) / stride) + 1."""
    return (size + 2 * padding - kernel) // stride + 1


def restructurize(tokens: torch.Tensor, grid: tuple[int, int]) -> torch.Tensor:
    """Lay a token sequence back out as an image: (B, h*w, C) -> (B, C, h, w)."""
    return rearrange(tokens, "b (h w) c -> b c h w", h=grid[0], w=grid[1])


class TokenTransformer(RecordsAttention, nn.Module):
    """A single-head transformer layer that changes the width from ``dim`` to ``out_dim``.

    Because the input and output widths differ, the value (already ``out_dim`` wide) is the
    attention's skip connection: y = v + proj(softmax(q k^T * scale) v), then y + MLP(LN(y)).
    As in the official code, q, k and v have no bias and the scale is 1 / sqrt(dim), from the
    *input* width.
    """

    def __init__(self, dim: int, out_dim: int, mlp_ratio: float = 1.0):
        super().__init__()
        self.out_dim = out_dim
        self.scale = dim**-0.5
        self.norm1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * out_dim, bias=False)
        self.proj = nn.Linear(out_dim, out_dim)
        self.norm2 = nn.LayerNorm(out_dim)
        self.mlp = Mlp(out_dim, int(out_dim * mlp_ratio), out_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, N, dim) -> (B, N, out_dim)
        q, k, v = self.qkv(self.norm1(x)).chunk(3, dim=-1)  # each (B, N, out_dim)
        if self._record is not None:
            attn = (q @ k.transpose(-2, -1) * self.scale).softmax(-1)  # (B, N, N)
            self._emit(attn[:, None])
            mixed = attn @ v
        else:
            mixed = F.scaled_dot_product_attention(q[:, None], k[:, None], v[:, None], scale=self.scale)[:, 0]
        y = v + self.proj(mixed)
        return y + self.mlp(self.norm2(y))


class TokenPerformer(nn.Module):
    """The T2T layer with Performer attention: softmax(q k^T) approximated by positive random features,
    phi(x) = exp(w^T x - |x|^2 / 2) / sqrt(m), so the cost grows linearly with the number of tokens.
    The m random directions w are fixed at construction (orthogonal, scaled by sqrt(m)) and not trained."""

    def __init__(self, dim: int, out_dim: int, kernel_ratio: float = 0.5, mlp_ratio: float = 1.0):
        super().__init__()
        self.out_dim, self.m = out_dim, int(out_dim * kernel_ratio)
        self.norm1 = nn.LayerNorm(dim)
        self.kqv = nn.Linear(dim, 3 * out_dim)
        self.proj = nn.Linear(out_dim, out_dim)
        self.norm2 = nn.LayerNorm(out_dim)
        self.mlp = Mlp(out_dim, int(out_dim * mlp_ratio), out_dim)
        w = torch.empty(self.m, out_dim)
        if w.device.type != "meta":
            nn.init.orthogonal_(w)
        self.w = nn.Parameter(w * math.sqrt(self.m), requires_grad=False)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Positive random features: (B, N, d) -> (B, N, m)."""
        return torch.exp(x @ self.w.T - 0.5 * (x * x).sum(-1, keepdim=True)) / math.sqrt(self.m)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        k, q, v = self.kqv(self.norm1(x)).chunk(3, dim=-1)
        qp, kp = self.features(q), self.features(k)  # (B, N, m)
        normaliser = qp @ kp.sum(dim=1)[..., None]  # (B, N, 1): the softmax's denominator, approximated
        mixed = (qp @ (kp.transpose(1, 2) @ v)) / (normaliser + 1e-8)  # (B, N, out_dim), linear in N
        y = v + self.proj(mixed)
        return y + self.mlp(self.norm2(y))


class TokenMLP(nn.Module):
    """A token layer with the attention taken out (a course control, not the paper's): y = v, then
    y + MLP(LN(y)). Like TokenTransformer it changes the width from ``dim`` to ``out_dim`` through a value
    projection without bias, but every token is transformed on its own: nothing passes between tokens."""

    def __init__(self, dim: int, out_dim: int, mlp_ratio: float = 1.0):
        super().__init__()
        self.out_dim = out_dim
        self.norm1 = nn.LayerNorm(dim)
        self.v = nn.Linear(dim, out_dim, bias=False)
        self.norm2 = nn.LayerNorm(out_dim)
        self.mlp = Mlp(out_dim, int(out_dim * mlp_ratio), out_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, N, dim) -> (B, N, out_dim)
        y = self.v(self.norm1(x))
        return y + self.mlp(self.norm2(y))


class T2TModule(nn.Module):
    """Soft split, then (token layer, re-structurization, soft split) twice, then a projection.

    (B, C, H, W) -> (B, h*w, embed_dim). With the paper's kernels 7/3/3, strides 4/2/2 and paddings
    2/1/1, a 224 x 224 image becomes 56 x 56, then 28 x 28, then 14 x 14 tokens."""

    def __init__(
        self,
        img_size: int = 224,
        tokens_type: str = "transformer",
        in_chans: int = 3,
        embed_dim: int = 768,
        token_dim: int = 64,
        kernels: tuple[int, int, int] = (7, 3, 3),
        strides: tuple[int, int, int] = (4, 2, 2),
        paddings: tuple[int, int, int] = (2, 1, 1),
    ):
        super().__init__()
        if tokens_type not in ("transformer", "performer", "mlp"):
            raise ValueError(
                f"tokens_type must be 'transformer' or 'performer' (the paper's), or 'mlp' (token layers without attention, a course control), got {tokens_type!r}"
            )
        self.kernels, self.strides, self.paddings = kernels, strides, paddings
        self.splits = nn.ModuleList([nn.Unfold(k, stride=s, padding=p) for k, s, p in zip(kernels, strides, paddings)])
        layer = {"transformer": TokenTransformer, "performer": TokenPerformer, "mlp": TokenMLP}[tokens_type]
        widths = [in_chans * kernels[0] ** 2, token_dim * kernels[1] ** 2]
        self.attention1 = layer(widths[0], token_dim)
        self.attention2 = layer(widths[1], token_dim)
        self.project = nn.Linear(token_dim * kernels[2] ** 2, embed_dim)
        self.grids = self.grid_sizes(img_size)
        self.num_patches = self.grids[-1] ** 2

    def grid_sizes(self, size: int) -> list[int]:
        """Side of the token grid after each of the three soft splits."""
        sides = []
        for k, s, p in zip(self.kernels, self.strides, self.paddings):
            size = soft_split_size(size, k, s, p)
            sides.append(size)
        return sides

    def forward(
        self, x: torch.Tensor, return_stages: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, list[torch.Tensor]]:
        stages = []
        tokens = rearrange(self.splits[0](x), "b ckk n -> b n ckk")  # soft split 0: (B, N0, C*k*k)
        for attention, split in ((self.attention1, self.splits[1]), (self.attention2, self.splits[2])):
            tokens = attention(tokens)  # (B, N, token_dim)
            side = math.isqrt(tokens.shape[1])
            image = restructurize(tokens, (side, side))  # (B, token_dim, side, side)
            stages.append(image)
            tokens = rearrange(split(image), "b ckk n -> b n ckk")  # soft split: (B, N', token_dim*k*k)
        tokens = self.project(tokens)  # (B, N_final, embed_dim)
        return (tokens, stages) if return_stages else tokens


class T2TViT(nn.Module):
    """T2T module + class token + fixed sinusoidal position embedding + ViT blocks + head.

    As in the official code the position table is an ``nn.Parameter`` with ``requires_grad=False``:
    it is not trained but it is counted among the parameters. The backbone's blocks have no
    q/k/v bias and use LayerNorm's default epsilon.

    ``project_std`` (a course option, default off) re-draws the T2T module's last projection with
    that standard deviation instead of 0.02. Every linear layer starts at std 0.02 whatever its
    fan-in, so a split with a short unfolded vector (kernel 1 at the last step: token_dim inputs
    instead of token_dim * 9) gives tokens that start several times weaker against the fixed
    position table; chapter 03's controls use it to start as strong as T2T-ViT's tokens.

    ``pos_embed`` (a course option): ``"sincos"`` (the paper's fixed table, the default) or ``"learned"``,
    a trained table drawn at std 0.02 as the course ViT's, for controls that differ from the ViT only
    in their tokeniser."""

    def __init__(
        self,
        img_size: int = 224,
        tokens_type: str = "transformer",
        in_chans: int = 3,
        num_classes: int = 1000,
        embed_dim: int = 384,
        depth: int = 14,
        num_heads: int = 6,
        mlp_ratio: float = 3.0,
        qkv_bias: bool = False,
        token_dim: int = 64,
        kernels: tuple[int, int, int] = (7, 3, 3),
        strides: tuple[int, int, int] = (4, 2, 2),
        paddings: tuple[int, int, int] = (2, 1, 1),
        drop_rate: float = 0.0,
        drop_path_rate: float = 0.0,
        project_std: float | None = None,
        pos_embed: str = "sincos",
    ):
        super().__init__()
        img_size = square_size(img_size, "T2TViT")
        if pos_embed not in ("sincos", "learned"):
            raise ValueError(
                f"pos_embed must be 'sincos' (the paper's fixed table) or 'learned' (trained, as in the course ViT), got {pos_embed!r}"
            )
        check_num_classes(num_classes)
        self.img_size, self.in_chans, self.num_classes = img_size, in_chans, num_classes
        self.tokens_to_token = T2TModule(
            img_size, tokens_type, in_chans, embed_dim, token_dim, kernels, strides, paddings
        )
        n = self.tokens_to_token.num_patches
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        if pos_embed == "sincos":
            self.pos_embed = nn.Parameter(sincos_1d(n + 1, embed_dim)[None], requires_grad=False)
        else:
            self.pos_embed = nn.Parameter(trunc_normal_(torch.zeros(1, n + 1, embed_dim)))
        self.pos_drop = nn.Dropout(drop_rate)
        rates = [drop_path_rate * i / max(depth - 1, 1) for i in range(depth)]
        self.blocks = nn.ModuleList(
            [Block(embed_dim, num_heads, mlp_ratio, qkv_bias, drop_rate, 0.0, r, norm_eps=1e-5) for r in rates]
        )
        self.norm = nn.LayerNorm(embed_dim)
        self.head = nn.Linear(embed_dim, num_classes) if num_classes > 0 else nn.Identity()
        trunc_normal_(self.cls_token)
        self.apply(init_weights)
        if (
            project_std is not None
        ):  # a course option (not the paper's): the spread of the last projection's weights at init
            if not project_std > 0:
                raise ValueError(
                    f"project_std must be a positive standard deviation (the default init uses 0.02), got {project_std!r}"
                )
            trunc_normal_(self.tokens_to_token.project.weight, std=project_std)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) -> normalised tokens (B, 1 + N, D)."""
        check_image(x, self.in_chans, size=(self.img_size, self.img_size), model=self)
        tokens = self.tokens_to_token(x)
        tokens = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), tokens], dim=1)
        z = self.pos_drop(tokens + self.pos_embed)
        for block in self.blocks:
            z = block(z)
        return self.norm(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.forward_features(x)[:, 0])


def _t2t(defaults: dict, overrides: dict) -> T2TViT:
    return T2TViT(**{**defaults, **overrides})


_SIZES = {
    7: dict(embed_dim=256, depth=7, num_heads=4, mlp_ratio=2.0),
    14: dict(embed_dim=384, depth=14, num_heads=6, mlp_ratio=3.0),
    24: dict(embed_dim=512, depth=24, num_heads=8, mlp_ratio=3.0),
}


@register_model
def t2t_vit_7(**overrides) -> T2TViT:
    """T2T-ViT-7 (Performer token layers): width 256, depth 7, 4 heads. 4.3M parameters."""
    return _t2t(dict(tokens_type="performer", **_SIZES[7]), overrides)


@register_model
def t2t_vit_14(**overrides) -> T2TViT:
    """T2T-ViT-14 (Performer token layers): width 384, depth 14, 6 heads. 21.5M parameters."""
    return _t2t(dict(tokens_type="performer", **_SIZES[14]), overrides)


@register_model
def t2t_vit_24(**overrides) -> T2TViT:
    """T2T-ViT-24 (Performer token layers): width 512, depth 24, 8 heads. 64.1M parameters."""
    return _t2t(dict(tokens_type="performer", **_SIZES[24]), overrides)


@register_model
def t2t_vit_t_7(**overrides) -> T2TViT:
    """T2T-ViT_t-7: as T2T-ViT-7 with transformer token layers."""
    return _t2t(dict(tokens_type="transformer", **_SIZES[7]), overrides)


@register_model
def t2t_vit_t_14(**overrides) -> T2TViT:
    """T2T-ViT_t-14: as T2T-ViT-14 with transformer token layers. 21.5M parameters."""
    return _t2t(dict(tokens_type="transformer", **_SIZES[14]), overrides)


@register_model
def t2t_vit_t_24(**overrides) -> T2TViT:
    """T2T-ViT_t-24: as T2T-ViT-24 with transformer token layers. 64.1M parameters."""
    return _t2t(dict(tokens_type="transformer", **_SIZES[24]), overrides)


def soft_split_footprint(
    img_size: int,
    kernels: tuple[int, ...],
    strides: tuple[int, ...],
    paddings: tuple[int, ...],
    stage: int,
    row: int,
    col: int,
) -> torch.Tensor:
    """Which input pixels the soft splits gather into token (row, col) of ``stage`` (0, 1, 2): (H, W) counts.

    Only the unfolds are followed (not the attention between them), so this is what a token is
    *made of*: a count > 1 means a pixel reaches the token along several overlapping windows.
    Computed by back-propagating through the chain of unfolds, each window summed."""
    x = torch.zeros(1, 1, img_size, img_size, requires_grad=True)
    tokens, side = x, img_size
    for k, s, p in list(zip(kernels, strides, paddings))[: stage + 1]:
        windows = F.unfold(tokens, k, stride=s, padding=p).sum(1)  # (1, N): every window's sum
        side = soft_split_size(side, k, s, p)
        tokens = windows.reshape(1, 1, side, side)
    if not (0 <= row < side and 0 <= col < side):
        raise ValueError(f"token ({row}, {col}) is outside the {side}x{side} grid of stage {stage}")
    tokens[0, 0, row, col].backward()
    return x.grad[0, 0].detach()


@register_model
def t2t_vit_tiny_shapes(**overrides) -> T2TViT:
    """Course size for 32x32 ShapesWorld images: soft splits 5/3/3 with strides 2/2/1 (16x16, 8x8, 8x8
    tokens), token width 24, then a width-64 backbone of depth 3: the same final 8x8 grid as vit_tiny_shapes."""
    return _t2t(
        dict(
            img_size=32,
            tokens_type="transformer",
            num_classes=5,
            embed_dim=64,
            depth=3,
            num_heads=4,
            mlp_ratio=2.0,
            token_dim=24,
            kernels=(5, 3, 3),
            strides=(2, 2, 1),
            paddings=(2, 1, 1),
        ),
        overrides,
    )
