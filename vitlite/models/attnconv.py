"""Self-attention that can be a convolution (Cordonnier, Loukas and Jaggi, ICLR 2020).

A head whose score depends only on where a key sits relative to its query,

    score_h(q, k) = -alpha_h * || (k - q) - shift_h ||^2        (the quadratic encoding)

puts its softmax mass around the pixel ``q + shift_h``; as ``alpha_h`` grows it looks
at that one pixel alone. Nine such heads with the shifts of a 3x3 window, followed by
a linear map that weighs each head by one kernel tap, compute a 3x3 convolution.

The classifier below follows the paper's CIFAR-10 model as the official code builds it:
pixels concatenated 2x2 and embedded, six BERT-style (post-norm) layers of nine
quadratic heads that attend over the hidden state itself (no value projection),
heads concatenated and projected, mean pooling, a linear head.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn

from vitlite.layers import RecordsAttention, check_image, check_num_classes, square_size
from vitlite.models import register_model

__all__ = [
    "relative_offsets",
    "conv_shifts",
    "QuadraticAttention",
    "head_attention_map",
    "effective_weights",
    "centered_maps",
    "window_mass",
    "attention_from_conv",
    "AttnConvNet",
    "PixelAttentionNet",
]


def relative_offsets(query_hw: tuple[int, int], key_hw: tuple[int, int], padding: int = 0) -> torch.Tensor:
    """delta[q, k] = position(k) - position(q) as (row, col), for queries on an H x W grid and
    keys on the same grid grown by ``padding`` on every side. Shape (Hq*Wq, Hk*Wk, 2)."""
    (hq, wq), (hk, wk) = query_hw, key_hw
    qy, qx = torch.meshgrid(torch.arange(hq), torch.arange(wq), indexing="ij")
    ky, kx = torch.meshgrid(torch.arange(hk) - padding, torch.arange(wk) - padding, indexing="ij")
    q = torch.stack([qy.flatten(), qx.flatten()], -1).float()  # (Q, 2)
    k = torch.stack([ky.flatten(), kx.flatten()], -1).float()  # (K, 2)
    return k[None, :, :] - q[:, None, :]


def conv_shifts(kernel_size: int = 3) -> torch.Tensor:
    """The (row, col) offsets of a kernel's taps in reading order: (-1,-1), (-1,0), ... for 3x3. (k*k, 2)."""
    r = torch.arange(kernel_size) - kernel_size // 2
    dy, dx = torch.meshgrid(r, r, indexing="ij")
    return torch.stack([dy.flatten(), dx.flatten()], -1).float()


def _axis_softmax(shift: torch.Tensor, alpha: torch.Tensor, n_query: int, padding: int) -> torch.Tensor:
    """softmax over keys of -alpha_h (d - shift_h)^2 along one axis: (heads, n_query, n_query + 2 padding)."""
    d = (torch.arange(n_query + 2 * padding) - padding)[None, :] - torch.arange(n_query)[:, None]
    d = d.to(shift)  # (n_query, n_key): key position minus query position
    return (-alpha[:, None, None] * (d[None] - shift[:, None, None]) ** 2).softmax(dim=-1)


class QuadraticAttention(RecordsAttention, nn.Module):
    """Multi-head self-attention on an image whose scores are the quadratic relative encoding.

    (B, C, H, W) -> (B, out_dim, H, W). Each head averages the *input* channels over its
    attention (as in the paper's code there is no value projection); the heads are
    concatenated and projected by ``proj``: Linear(num_heads * dim, out_dim).

    Args:
        dim: input channels.
        num_heads: number of heads (9 for a 3x3 kernel).
        out_dim: output channels (default ``dim``).
        padding: zero tokens added around the key grid, so that at the border a head
            pointing outside the image sees zeros, exactly like a zero-padded convolution.
        alpha: the initial sharpness of every head.
        shift_std: heads start at shifts drawn from N(0, shift_std^2) (0: all at the query).
    """

    def __init__(
        self,
        dim: int,
        num_heads: int = 9,
        out_dim: int | None = None,
        padding: int = 0,
        alpha: float = 1.0,
        shift_std: float = 2.0,
        bias: bool = True,
    ):
        super().__init__()
        self.dim, self.num_heads, self.padding = dim, num_heads, padding
        self.out_dim = out_dim or dim
        self.shift = nn.Parameter(torch.randn(num_heads, 2) * shift_std)  # Delta_h, in pixels (row, col)
        self.log_alpha = nn.Parameter(torch.full((num_heads,), math.log(alpha)))  # alpha_h > 0
        self.proj = nn.Linear(num_heads * dim, self.out_dim, bias=bias)

    @property
    def alpha(self) -> torch.Tensor:
        return self.log_alpha.exp()

    def scores(self, query_hw: tuple[int, int]) -> torch.Tensor:
        """score[h, q, k] = -alpha_h * ||delta_qk - shift_h||^2, shape (heads, Q, K)."""
        key_hw = (query_hw[0] + 2 * self.padding, query_hw[1] + 2 * self.padding)
        delta = relative_offsets(query_hw, key_hw, self.padding).to(self.shift)  # (Q, K, 2)
        dist2 = ((delta[None] - self.shift[:, None, None, :]) ** 2).sum(-1)  # (heads, Q, K)
        return -self.alpha[:, None, None] * dist2

    def attention(self, query_hw: tuple[int, int]) -> torch.Tensor:
        """The attention probabilities (heads, Q, K): the same for every image, they depend on position only."""
        return self.scores(query_hw).softmax(dim=-1)

    def axis_attention(self, n_query: int, axis: int) -> torch.Tensor:
        """The softmax along one axis (0: rows, 1: columns), (heads, n_query, n_query + 2 * padding).

        The quadratic score splits into a row term plus a column term, so over a full
        rectangle of keys its softmax is a row softmax times a column softmax:
        attention[h, (qy, qx), (ky, kx)] = rows[h, qy, ky] * cols[h, qx, kx].
        """
        return _axis_softmax(self.shift[:, axis], self.alpha, n_query, self.padding)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_image(x, self.dim, model=self)
        _, _, h, w = x.shape
        rows, cols = self.axis_attention(h, 0), self.axis_attention(w, 1)  # (heads, H, Hk), (heads, W, Wk)
        if self._record is not None:
            self._emit(torch.einsum("hai,hbj->habij", rows, cols).flatten(3).flatten(1, 2)[None])  # (1, heads, Q, K)
        keys = F.pad(x, [self.padding] * 4)  # zero tokens around the grid: (B, C, Hk, Wk)
        t = torch.einsum("hxj,bcij->bhcix", cols, keys)  # attend along the columns: (B, heads, C, Hk, W)
        t = torch.einsum("hyi,bhcix->byxhc", rows, t)  # then along the rows: (B, H, W, heads, C)
        out = self.proj(t.flatten(3))  # heads concatenated, (h c) order, then projected
        return rearrange(out, "b h w c -> b c h w")


@torch.no_grad()
def head_attention_map(layer: QuadraticAttention, query_hw: tuple[int, int], row: int, col: int) -> torch.Tensor:
    """Where each head of ``layer`` looks from query pixel (row, col): (heads, H + 2p, W + 2p)."""
    h, w = query_hw
    if not (0 <= row < h and 0 <= col < w):
        raise ValueError(f"query ({row}, {col}) is outside the {h}x{w} grid")
    rows, cols = layer.axis_attention(h, 0), layer.axis_attention(w, 1)
    return rows[:, row, :, None] * cols[:, col, None, :]


@torch.no_grad()
def effective_weights(layer: QuadraticAttention, query_hw: tuple[int, int], row: int, col: int) -> torch.Tensor:
    """How the layer's output at (row, col) weighs every input pixel: the attention maps
    weighted by each head's block of ``proj``. (out_dim, dim, H + 2p, W + 2p); for a layer built
    by :func:`attention_from_conv` it tends to the kernel placed around the query as alpha grows."""
    maps = head_attention_map(layer, query_hw, row, col)  # (heads, Hk, Wk)
    blocks = rearrange(layer.proj.weight, "o (h c) -> o h c", h=layer.num_heads)
    return torch.einsum("ohc,hyx->ocyx", blocks, maps)


@torch.no_grad()
def centered_maps(layer: QuadraticAttention, grid: int = 7) -> torch.Tensor:
    """Each head's attention from the middle pixel of a ``grid`` x ``grid`` image with no
    border effects (no padding): where the heads look, relative to their query. (heads, grid, grid)"""
    if grid % 2 == 0:
        raise ValueError(f"grid must be odd so the query sits in the middle, got {grid}")
    c = grid // 2
    rows = _axis_softmax(layer.shift[:, 0], layer.alpha, grid, padding=0)[:, c]  # (heads, grid)
    cols = _axis_softmax(layer.shift[:, 1], layer.alpha, grid, padding=0)[:, c]
    return rows[:, :, None] * cols[:, None, :]


def window_mass(layer: QuadraticAttention, radius: int = 1, grid: int = 21) -> torch.Tensor:
    """Per head, the attention mass a query puts inside its (2 radius + 1)^2 window: 1 for a head
    that acts like one tap of a 3x3 kernel (radius 1). (heads,)"""
    c = grid // 2
    return centered_maps(layer, grid)[:, c - radius : c + radius + 1, c - radius : c + radius + 1].sum((-1, -2))


@torch.no_grad()
def attention_from_conv(
    weight: torch.Tensor, bias: torch.Tensor | None = None, alpha: float = 20.0, padding: int | None = None
) -> QuadraticAttention:
    """Cordonnier et al.'s construction: a QuadraticAttention layer that approximates
    ``F.conv2d(x, weight, bias, padding=k//2)``, the better the larger ``alpha``.

    Head h sits at the h-th tap's offset; the projection's block for head h is that tap,
    ``weight[:, :, i, j]`` (out x in)."""
    out_ch, in_ch, kh, kw = weight.shape
    if kh != kw or kh % 2 == 0:
        raise ValueError(f"the construction needs an odd square kernel, got {kh}x{kw}")
    padding = kh // 2 if padding is None else padding
    layer = QuadraticAttention(
        in_ch, num_heads=kh * kw, out_dim=out_ch, padding=padding, alpha=alpha, shift_std=0.0, bias=bias is not None
    )
    layer = layer.to(dtype=weight.dtype, device=weight.device)
    layer.shift.copy_(conv_shifts(kh))
    taps = rearrange(weight, "o c i j -> o (i j) c")  # head index = tap index in reading order
    layer.proj.weight.copy_(rearrange(taps, "o h c -> o (h c)"))
    if bias is not None:
        layer.proj.bias.copy_(bias)
    return layer


class AttnConvLayer(nn.Module):
    """One BERT-style (post-norm) layer with quadratic attention, as in the paper's code:
    x = LN(x + Dense(Attn(x))), then x = LN(x + FFN(x))."""

    def __init__(
        self,
        dim: int,
        num_heads: int,
        mlp_hidden: int,
        dropout: float = 0.1,
        eps: float = 1e-12,
        shift_std: float = 2.0,
    ):
        super().__init__()
        self.attn = QuadraticAttention(dim, num_heads, shift_std=shift_std)
        self.dense = nn.Linear(dim, dim)  # the official code applies one more linear map after the heads' projection
        self.norm1 = nn.LayerNorm(dim, eps=eps)
        self.mlp = nn.Sequential(nn.Linear(dim, mlp_hidden), nn.GELU(), nn.Linear(mlp_hidden, dim))
        self.norm2 = nn.LayerNorm(dim, eps=eps)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, C, H, W)
        a = rearrange(self.attn(x), "b c h w -> b h w c")
        t = rearrange(x, "b c h w -> b h w c")
        t = self.norm1(t + self.drop(self.dense(a)))
        t = self.norm2(t + self.drop(self.mlp(t)))
        return rearrange(t, "b h w c -> b c h w")


class AttnConvNet(nn.Module):
    """An attention-only image classifier whose attention knows only relative position."""

    def __init__(
        self,
        img_size: int = 32,
        in_chans: int = 3,
        num_classes: int = 10,
        dim: int = 400,
        depth: int = 6,
        num_heads: int = 9,
        mlp_hidden: int = 512,
        pool: int = 2,
        dropout: float = 0.1,
        shift_std: float = 2.0,
    ):
        super().__init__()
        img_size = square_size(img_size, "AttnConvNet")
        if check_num_classes(num_classes) == 0:
            raise ValueError("AttnConvNet needs num_classes >= 1")
        self.img_size, self.in_chans, self.pool = img_size, in_chans, pool
        if img_size % pool:
            raise ValueError(f"img_size {img_size} must be divisible by pool {pool}")
        self.embed = nn.Linear(in_chans * pool * pool, dim)  # each pool x pool block of pixels becomes a token
        self.layers = nn.ModuleList(
            [AttnConvLayer(dim, num_heads, mlp_hidden, dropout, shift_std=shift_std) for _ in range(depth)]
        )
        self.head = nn.Linear(dim, num_classes)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        check_image(x, self.in_chans, multiple_of=self.pool, model=self)
        t = rearrange(x, "b c (h p1) (w p2) -> b h w (p1 p2 c)", p1=self.pool, p2=self.pool)
        x = rearrange(self.embed(t), "b h w d -> b d h w")
        for layer in self.layers:
            x = layer(x)
        return x  # (B, dim, H/pool, W/pool)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.forward_features(x).mean(dim=(-2, -1)))


@register_model
def attnconv_quadratic_cifar10(**overrides) -> AttnConvNet:
    """The paper's 'SA quadratic embedding' model on CIFAR-10 (Table 1): 6 layers, 9 heads, width 400."""
    return AttnConvNet(
        **{**dict(img_size=32, num_classes=10, dim=400, depth=6, num_heads=9, mlp_hidden=512, pool=2), **overrides}
    )


class PixelAttentionNet(nn.Module):
    """One QuadraticAttention layer on raw pixels and a per-pixel readout: (B, C, H, W) -> (B, outputs, H, W).

    The course-size model of chapter 01: its heads start at random shifts and must
    find, by gradient descent alone, where to look to outline the objects in a scene.
    """

    def __init__(
        self,
        in_chans: int = 3,
        num_heads: int = 9,
        hidden: int = 32,
        num_outputs: int = 1,
        padding: int = 3,
        alpha: float = 1.0,
        shift_std: float = 2.0,
    ):
        super().__init__()
        self.attn = QuadraticAttention(
            in_chans, num_heads, out_dim=hidden, padding=padding, alpha=alpha, shift_std=shift_std
        )
        self.act = nn.ReLU()
        self.readout = nn.Conv2d(hidden, num_outputs, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.readout(self.act(self.attn(x)))


@register_model
def attnconv_edges(**overrides) -> PixelAttentionNet:
    """Course size: nine quadratic heads on RGB pixels, 32 hidden channels, one edge logit per pixel."""
    return PixelAttentionNet(**overrides)
