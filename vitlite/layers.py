"""The transformer's parts: patch embedding, attention, MLP, block, position embeddings.

Attention runs through ``torch.nn.functional.scaled_dot_product_attention`` (the fused
kernel) unless someone asks for the attention maps, either per call
(``return_attention=True``) or for a whole model at once::

    with attention_maps(model) as maps:
        model(images)
    maps["blocks.0.attn"]  # (B, heads, N, N)
"""

from __future__ import annotations

import contextlib
from typing import Any, Callable, Iterator

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn

__all__ = [
    "multi_scale_deformable_attention",
    "check_image",
    "check_positive",
    "check_num_classes",
    "square_size",
    "check_heads",
    "PatchEmbed",
    "RecordsAttention",
    "attention_maps",
    "Attention",
    "Mlp",
    "DropPath",
    "Block",
    "sincos_1d",
    "sincos_2d",
    "trunc_normal_",
    "init_weights",
    "effective_receptive_field",
    "count_parameters",
]


def check_image(
    x: torch.Tensor,
    channels: int,
    *,
    multiple_of: int | tuple[int, int] = 1,
    size: tuple[int, int] | None = None,
    model: str | nn.Module = "model",
) -> None:
    """Raise a ValueError naming the expected and received input unless ``x`` is (B, C, H, W) as required.

    Given the model itself (``model=self``), also check that ``x`` matches its weights: a
    floating-point tensor of the same dtype, on the same device, and not a real tensor fed to
    a model built on the meta device.
    """
    name = model if isinstance(model, str) else type(model).__name__
    mh, mw = (multiple_of, multiple_of) if isinstance(multiple_of, int) else multiple_of
    want = f"(B, {channels}, H, W)"
    if size is not None:
        want = f"(B, {channels}, {size[0]}, {size[1]})"
    elif mh > 1 or mw > 1:
        want += f" with H divisible by {mh} and W by {mw}"
    if not isinstance(x, torch.Tensor):
        raise ValueError(
            f"{name} expects a torch.Tensor of images {want}; got {type(x).__name__} (convert with torch.as_tensor)"
        )
    got = tuple(x.shape)
    if x.ndim != 4:
        hint = " (a single image? add the batch axis with x[None])" if x.ndim == 3 else ""
        raise ValueError(
            f"{name} expects a batch of images {want}; got a tensor of rank {x.ndim} with shape {got}{hint}"
        )
    if x.shape[1] != channels:
        hint = " (channels last? use x.permute(0, 3, 1, 2))" if x.shape[-1] == channels else ""
        raise ValueError(f"{name} expects {want}; got {x.shape[1]} channels in shape {got}{hint}")
    if size is not None and tuple(x.shape[-2:]) != tuple(size):
        raise ValueError(f"{name} expects {want}; got shape {got}")
    if x.shape[2] % mh or x.shape[3] % mw:
        raise ValueError(f"{name} expects {want}; got shape {got}")
    if not x.is_floating_point():
        hint = " (pixels 0-255: use x.float() / 255)" if x.dtype == torch.uint8 else " (use x.float())"
        raise ValueError(f"{name} expects floating-point images; got dtype {x.dtype}{hint}")
    if isinstance(model, nn.Module):
        weight = next((p for p in model.parameters() if p.is_floating_point()), None)
        if weight is None:
            return
        if weight.device.type == "meta" and x.device.type != "meta":
            raise ValueError(
                f"{name} was built on the meta device, which has no weights to compute with; build it again without device='meta' to run it on data"
            )
        if x.device != weight.device and x.device.type != "meta":
            raise ValueError(
                f"{name} has its weights on {weight.device} but the images are on {x.device}; move them with x.to({str(weight.device)!r})"
            )
        if x.dtype != weight.dtype and not torch.is_autocast_enabled(x.device.type):
            raise ValueError(
                f"{name} has {weight.dtype} weights but got {x.dtype} images; convert with x.to({weight.dtype}) (or the model with model.to({x.dtype}))"
            )


def check_positive(name: str, value: Any, *, allow_zero: bool = False) -> int:
    """``value`` if it is a positive int (or non-negative with ``allow_zero``), else a ValueError naming it."""
    low = 0 if allow_zero else 1
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
    return value


def check_num_classes(num_classes: Any) -> int:
    """A classifier's ``num_classes``: an int >= 0, where 0 means no head (the model returns features)."""
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 0:
        raise ValueError(f"num_classes must be an int >= 0 (0: no classification head), got {num_classes!r}")
    return num_classes


def square_size(img_size: Any, model: str) -> int:
    """``img_size`` of a model that takes square images: an int, or a pair of two equal ints."""
    if isinstance(img_size, (tuple, list)) and len(img_size) == 2 and img_size[0] == img_size[1]:
        img_size = img_size[0]
    if isinstance(img_size, (tuple, list)):
        raise ValueError(f"{model} takes square images: give img_size as one int, got {tuple(img_size)!r}")
    return check_positive("img_size", img_size)


def check_tokens(x: torch.Tensor, dim: int, who: str) -> None:
    """Raise a ValueError naming the fix unless ``x`` is a (batch, tokens, width) tensor of width ``dim``."""
    if not torch.is_tensor(x) or x.ndim != 3 or x.shape[-1] != dim:
        got = f"shape {tuple(x.shape)}" if torch.is_tensor(x) else type(x).__name__
        raise ValueError(
            f"{who} was built for tokens of width {dim} and got {got}; it takes (batch, tokens, width) tensors with width {dim}: "
            f"build it with dim={x.shape[-1] if torch.is_tensor(x) and x.ndim else '...'} or project the tokens to width {dim} first (nn.Linear)"
        )


def check_heads(dim: int, num_heads: Any, what: str = "dim") -> int:
    """``num_heads`` if it is a positive int that divides ``dim``, else a ValueError that lists the choices."""
    check_positive("num_heads", num_heads)
    if dim % num_heads:
        choices = [h for h in range(1, min(dim, 64) + 1) if dim % h == 0]
        raise ValueError(
            f"{what} {dim} must be divisible by num_heads {num_heads}; choose num_heads among {choices}, or change the width"
        )
    return num_heads


class PatchEmbed(nn.Module):
    """Cut an image into non-overlapping ``patch_size`` squares and project each to ``embed_dim``.

    A stride-p convolution with a p x p kernel is exactly a linear layer applied to
    every flattened patch, only faster: (B, C, H, W) -> (B, H/p * W/p, D).
    """

    def __init__(
        self,
        img_size: int | tuple[int, int] = 224,
        patch_size: int = 16,
        in_chans: int = 3,
        embed_dim: int = 768,
        bias: bool = True,
        strict_size: bool = True,
    ):
        super().__init__()
        self.img_size = (img_size, img_size) if isinstance(img_size, int) else tuple(img_size)
        self.patch_size = patch_size
        self.in_chans = in_chans
        self.strict_size = strict_size
        if self.img_size[0] % patch_size or self.img_size[1] % patch_size:
            raise ValueError(f"img_size {self.img_size} must be divisible by patch_size {patch_size}")
        self.grid_size = (self.img_size[0] // patch_size, self.img_size[1] // patch_size)
        self.num_patches = self.grid_size[0] * self.grid_size[1]
        self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size=patch_size, stride=patch_size, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_image(
            x, self.in_chans, multiple_of=self.patch_size, size=self.img_size if self.strict_size else None, model=self
        )
        x = self.proj(x)  # (B, D, H/p, W/p)
        return rearrange(x, "b d h w -> b (h w) d")


class RecordsAttention:
    """Mixin for modules that can hand their attention maps to :func:`attention_maps`."""

    _record: Callable[[torch.Tensor], None] | None = None

    def _emit(self, attn: torch.Tensor) -> None:
        if self._record is not None:
            self._record(attn.detach())


@contextlib.contextmanager
def attention_maps(model: nn.Module) -> Iterator[dict[str, torch.Tensor]]:
    """Collect the attention maps of every attention module in ``model`` during the block.

    Yields a dict filled as the model runs: module name -> (B, heads, queries, keys)
    of the last call. Inside the block attention takes the explicit (unfused) path.
    """
    maps: dict[str, torch.Tensor] = {}
    modules = [(name, m) for name, m in model.named_modules() if isinstance(m, RecordsAttention)]
    if not modules:
        raise ValueError(f"{type(model).__name__} has no attention modules that record maps")
    try:
        for name, module in modules:
            module._record = lambda attn, name=name: maps.__setitem__(name, attn)
        yield maps
    finally:
        for _, module in modules:
            module._record = None


class Attention(RecordsAttention, nn.Module):
    """Multi-head self-attention: softmax(Q K^T / sqrt(d) + bias) V, heads concatenated and projected.

    ``attn_bias`` (broadcastable to (B, heads, N, N)) is added to the scores before the
    softmax: relative position biases and masks (Swin) enter here.
    """

    def __init__(
        self,
        dim: int,
        num_heads: int = 8,
        qkv_bias: bool = True,
        attn_drop: float = 0.0,
        proj_drop: float = 0.0,
        head_dim: int | None = None,
    ):
        super().__init__()
        if head_dim is None:
            head_dim = dim // check_heads(dim, num_heads)
        else:
            check_positive("num_heads", num_heads)
        self.num_heads = num_heads
        self.head_dim = head_dim
        self.scale = head_dim**-0.5
        self.qkv = nn.Linear(dim, 3 * num_heads * head_dim, bias=qkv_bias)
        self.attn_drop = nn.Dropout(attn_drop)
        self.proj = nn.Linear(num_heads * head_dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)

    def forward(
        self, x: torch.Tensor, attn_bias: torch.Tensor | None = None, return_attention: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        check_tokens(x, self.qkv.in_features, "Attention")
        q, k, v = rearrange(self.qkv(x), "b n (three h d) -> three b h n d", three=3, h=self.num_heads)
        explicit = return_attention or self._record is not None
        if explicit:
            scores = (q * self.scale) @ k.transpose(-2, -1)  # (B, h, N, N)
            if attn_bias is not None:
                scores = scores + attn_bias
            attn = scores.softmax(dim=-1)
            self._emit(attn)
            out = self.attn_drop(attn) @ v
        else:
            out = F.scaled_dot_product_attention(
                q, k, v, attn_mask=attn_bias, dropout_p=self.attn_drop.p if self.training else 0.0, scale=self.scale
            )
        out = self.proj_drop(self.proj(rearrange(out, "b h n d -> b n (h d)")))
        return (out, attn) if return_attention else out


class Mlp(nn.Module):
    """Two linear layers with an activation between: the transformer's per-token feed-forward net."""

    def __init__(
        self,
        in_features: int,
        hidden_features: int | None = None,
        out_features: int | None = None,
        act_layer: type[nn.Module] | Callable[[], nn.Module] = nn.GELU,
        drop: float = 0.0,
        bias: bool = True,
    ):
        super().__init__()
        hidden_features = hidden_features or in_features
        out_features = out_features or in_features
        self.fc1 = nn.Linear(in_features, hidden_features, bias=bias)
        self.act = act_layer()
        self.fc2 = nn.Linear(hidden_features, out_features, bias=bias)
        self.drop = nn.Dropout(drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.fc2(self.drop(self.act(self.fc1(x)))))


class DropPath(nn.Module):
    """Stochastic depth: during training, drop a whole residual branch per sample with probability ``p``."""

    def __init__(self, p: float = 0.0):
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p < 1.0:
            raise ValueError(
                f"a drop-path (stochastic depth) probability must be in [0, 1), got {p!r}; a model's drop_path_rate is its last block's probability (0.1 is typical, 0 turns it off)"
            )
        self.p = float(p)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.p == 0.0 or not self.training:
            return x
        keep = 1.0 - self.p
        mask = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(keep)
        return x * mask / keep

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Block(nn.Module):
    """Pre-norm transformer encoder block: x + Attn(LN(x)), then x + MLP(LN(x))."""

    def __init__(
        self,
        dim: int,
        num_heads: int,
        mlp_ratio: float = 4.0,
        qkv_bias: bool = True,
        drop: float = 0.0,
        attn_drop: float = 0.0,
        drop_path: float = 0.0,
        act_layer: type[nn.Module] | Callable[[], nn.Module] = nn.GELU,
        norm_eps: float = 1e-6,
        mlp_hidden: int | None = None,
    ):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=norm_eps)
        self.attn = Attention(dim, num_heads, qkv_bias=qkv_bias, attn_drop=attn_drop, proj_drop=drop)
        self.drop_path = DropPath(drop_path)
        self.norm2 = nn.LayerNorm(dim, eps=norm_eps)
        self.mlp = Mlp(dim, mlp_hidden or int(dim * mlp_ratio), act_layer=act_layer, drop=drop)

    def forward(self, x: torch.Tensor, attn_bias: torch.Tensor | None = None) -> torch.Tensor:
        check_tokens(x, self.norm1.normalized_shape[0], "Block")
        x = x + self.drop_path(self.attn(self.norm1(x), attn_bias=attn_bias))
        return x + self.drop_path(self.mlp(self.norm2(x)))


def sincos_1d(num_positions: int, dim: int, temperature: float = 10000.0) -> torch.Tensor:
    """The original transformer's table: PE[p, 2i] = sin(p / T^(2i/d)), PE[p, 2i+1] = cos(...). (P, D)."""
    if dim % 2:
        raise ValueError(f"dim must be even for a sine/cosine table, got {dim}")
    position = torch.arange(num_positions, dtype=torch.float64)[:, None]
    freq = temperature ** (-torch.arange(0, dim, 2, dtype=torch.float64) / dim)
    table = torch.zeros(num_positions, dim, dtype=torch.float64)
    table[:, 0::2] = torch.sin(position * freq)
    table[:, 1::2] = torch.cos(position * freq)
    return table.float()


def sincos_2d(grid_h: int, grid_w: int, dim: int, temperature: float = 10000.0) -> torch.Tensor:
    """A fixed 2-D table for a grid of patches: half the channels encode the row, half the column. (h*w, D)."""
    if dim % 4:
        raise ValueError(f"dim must be divisible by 4 for a 2-D sine/cosine table, got {dim}")
    rows = sincos_1d(grid_h, dim // 2, temperature)  # (h, D/2)
    cols = sincos_1d(grid_w, dim // 2, temperature)  # (w, D/2)
    table = torch.cat(
        [rows[:, None, :].expand(grid_h, grid_w, -1), cols[None, :, :].expand(grid_h, grid_w, -1)], dim=-1
    )
    return rearrange(table, "h w d -> (h w) d")


def trunc_normal_(tensor: torch.Tensor, std: float = 0.02) -> torch.Tensor:
    """Truncated normal init at +-2 std, the ViT family's default."""
    return nn.init.trunc_normal_(tensor, std=std, a=-2 * std, b=2 * std)


def init_weights(module: nn.Module) -> None:
    """ViT-style init: truncated normal linear weights, zero biases, unit LayerNorm."""
    if isinstance(module, nn.Linear):
        trunc_normal_(module.weight)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.LayerNorm):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)


def effective_receptive_field(
    model: nn.Module, images: torch.Tensor, module: nn.Module, row: int, col: int
) -> torch.Tensor:
    """How much each input pixel moves one location of ``module``'s output: |d out[:, :, row, col].sum() / d images|,
    summed over the input channels and the batch, as an (H, W) map (Luo et al., NeurIPS 2016).

    ``module`` is any submodule of ``model`` whose output is a feature map (B, C, h, w); ``row``
    and ``col`` index that map. Batch-norm layers run in eval mode, so the result is one image's own."""
    if images.ndim != 4:
        raise ValueError(f"images must be a batch (B, C, H, W), got shape {tuple(images.shape)}")
    captured: list[torch.Tensor] = []
    handle = module.register_forward_hook(lambda _m, _i, out: captured.append(out))
    was_training = model.training
    model.eval()
    try:
        x = images.detach().clone().requires_grad_(True)
        with torch.enable_grad():
            model(x)
            if not captured:
                raise ValueError("module did not run in model's forward pass; pass a submodule of model")
            out = captured[0]
            if out.ndim != 4:
                raise ValueError(f"module's output must be a feature map (B, C, h, w), got shape {tuple(out.shape)}")
            if not (0 <= row < out.shape[-2] and 0 <= col < out.shape[-1]):
                raise ValueError(
                    f"(row, col) = ({row}, {col}) lies outside module's {out.shape[-2]}x{out.shape[-1]} output"
                )
            (grad,) = torch.autograd.grad(out[:, :, row, col].sum(), x)
    finally:
        handle.remove()
        model.train(was_training)
    return grad.abs().sum(dim=(0, 1))


def count_parameters(model: nn.Module, trainable_only: bool = False) -> int:
    """Number of parameters (works on the meta device)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def multi_scale_deformable_attention(
    value: torch.Tensor,
    spatial_shapes: torch.Tensor | list[tuple[int, int]],
    sampling_locations: torch.Tensor,
    attention_weights: torch.Tensor,
) -> torch.Tensor:
    """Deformable attention's core (Zhu et al., ICLR 2021): each query reads, per head, a few bilinearly
    sampled points from every level of a multi-scale feature map and sums them with its weights.

    ``value`` (B, S, heads, d): the levels' features, flattened level after level (S = sum of H_l * W_l);
    ``spatial_shapes`` (L, 2): each level's (H_l, W_l); ``sampling_locations`` (B, Q, heads, L, P, 2):
    (x, y) in [0, 1] of the level's width and height (points outside read zeros); ``attention_weights``
    (B, Q, heads, L, P). Returns (B, Q, heads * d). Sampling is ``grid_sample``'s (bilinear, zero padding,
    ``align_corners=False``), as in the paper's pure-PyTorch version.
    """
    shapes = [
        (int(h), int(w)) for h, w in (spatial_shapes.tolist() if torch.is_tensor(spatial_shapes) else spatial_shapes)
    ]
    if value.ndim != 4:
        raise ValueError(f"value must be (B, S, heads, d), got shape {tuple(value.shape)}")
    b, s, heads, d = value.shape
    if sum(h * w for h, w in shapes) != s:
        raise ValueError(
            f"value has {s} positions but the spatial shapes {shapes} hold {sum(h * w for h, w in shapes)}"
        )
    if (
        sampling_locations.ndim != 6
        or sampling_locations.shape[-1] != 2
        or sampling_locations.shape[0] != b
        or sampling_locations.shape[2] != heads
        or sampling_locations.shape[3] != len(shapes)
    ):
        raise ValueError(
            f"sampling_locations must be (B={b}, Q, heads={heads}, L={len(shapes)}, P, 2), got {tuple(sampling_locations.shape)}"
        )
    q, points = sampling_locations.shape[1], sampling_locations.shape[4]
    if tuple(attention_weights.shape) != (b, q, heads, len(shapes), points):
        raise ValueError(
            f"attention_weights must be (B, Q, heads, L, P) = {(b, q, heads, len(shapes), points)}, got {tuple(attention_weights.shape)}"
        )
    grids = 2 * sampling_locations - 1  # grid_sample's [-1, 1]
    weights = attention_weights.transpose(1, 2).reshape(b * heads, 1, q, len(shapes), points)
    out = value.new_zeros(b * heads, d, q)
    for level, (part, (h, w)) in enumerate(zip(value.split([h * w for h, w in shapes], dim=1), shapes)):
        maps = part.permute(0, 2, 3, 1).reshape(b * heads, d, h, w)  # (B*heads, d, H, W)
        grid = grids[:, :, :, level].transpose(1, 2).reshape(b * heads, q, points, 2)
        sampled = F.grid_sample(
            maps, grid, mode="bilinear", padding_mode="zeros", align_corners=False
        )  # (B*heads, d, Q, P)
        out = out + (sampled * weights[..., level, :]).sum(-1)  # level by level: no (.., L, P) tensor is ever stacked
    return out.reshape(b, heads * d, q).transpose(1, 2)
