"""Vision Transformer (Dosovitskiy et al., ICLR 2021): an image is worth 16x16 words.

Cut the image into P x P patches, embed each linearly, prepend a learned class token,
add learned position embeddings, run a stack of pre-norm transformer blocks, and
classify from the class token's final state:

    z0 = [x_class; x_p^1 E; ...; x_p^N E] + E_pos        E: (P^2 C, D), E_pos: (N + 1, D)
    z'l = MSA(LN(z_{l-1})) + z_{l-1}
    zl  = MLP(LN(z'l)) + z'l
    y   = head(LN(z_L^0))
"""

from __future__ import annotations

import math
from functools import partial
from typing import Callable

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn

from vitlite.layers import (
    Block,
    PatchEmbed,
    check_image,
    check_num_classes,
    check_positive,
    init_weights,
    trunc_normal_,
)
from vitlite.models import register_model

__all__ = [
    "patchify",
    "unpatchify",
    "resample_pos_embed",
    "VisionTransformer",
    "attention_rollout",
    "pos_embed_similarity",
    "collect_attention",
    "mean_attention_distance",
    "uniform_attention_distance",
]


def patchify(images: torch.Tensor, patch_size: int) -> torch.Tensor:
    """(B, C, H, W) -> (B, H/p * W/p, p * p * C): every patch flattened, patches in reading order."""
    check_positive("patch_size", patch_size)
    if images.ndim != 4 or images.shape[2] % patch_size or images.shape[3] % patch_size:
        raise ValueError(
            f"patchify expects images (B, C, H, W) with H and W divisible by patch_size {patch_size}; got shape {tuple(images.shape)}"
        )
    return rearrange(images, "b c (h p1) (w p2) -> b (h w) (p1 p2 c)", p1=patch_size, p2=patch_size)


def unpatchify(patches: torch.Tensor, patch_size: int, grid: tuple[int, int], channels: int = 3) -> torch.Tensor:
    """The inverse of :func:`patchify`: (B, h * w, p * p * C) -> (B, C, h * p, w * p)."""
    return rearrange(
        patches,
        "b (h w) (p1 p2 c) -> b c (h p1) (w p2)",
        h=grid[0],
        w=grid[1],
        p1=patch_size,
        p2=patch_size,
        c=channels,
    )


def resample_pos_embed(
    pos_embed: torch.Tensor,
    new_grid: tuple[int, int],
    old_grid: tuple[int, int] | None = None,
    num_prefix_tokens: int = 1,
    mode: str = "bicubic",
) -> torch.Tensor:
    """Resize learned position embeddings (1, prefix + h*w, D) to a new patch grid (1, prefix + H*W, D).

    The prefix tokens (class token) keep their embedding; the patch embeddings are
    treated as a (D, h, w) image and interpolated, so a model trained at one image
    size can run at another (SETR and DPT rely on this)."""
    prefix, grid = pos_embed[:, :num_prefix_tokens], pos_embed[:, num_prefix_tokens:]
    if old_grid is None:
        side = math.isqrt(grid.shape[1])
        if side * side != grid.shape[1]:
            raise ValueError(f"{grid.shape[1]} patch positions do not form a square grid; pass old_grid")
        old_grid = (side, side)
    if tuple(new_grid) == tuple(old_grid):
        return pos_embed
    grid = rearrange(grid, "1 (h w) d -> 1 d h w", h=old_grid[0], w=old_grid[1])
    grid = F.interpolate(grid, size=tuple(new_grid), mode=mode, align_corners=False)
    return torch.cat([prefix, rearrange(grid, "1 d h w -> 1 (h w) d")], dim=1)


_ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "gelu": nn.GELU,
    "gelu_new": partial(nn.GELU, approximate="tanh"),
    "gelu_pytorch_tanh": partial(nn.GELU, approximate="tanh"),
    "relu": nn.ReLU,
}


class VisionTransformer(nn.Module):
    """ViT for classification; the layout and names follow timm.

    Args:
        img_size, patch_size, in_chans: the input and how it is cut.
        num_classes: classes of the head (0: no head, ``forward`` returns pooled features).
        embed_dim, depth, num_heads, mlp_ratio (or mlp_hidden): the encoder.
        class_token: prepend a learned class token.
        global_pool: ``"token"`` (the class token's state) or ``"avg"`` (mean of the patch tokens).
        dynamic_img_size: accept other image sizes (divisible by the patch size) by resampling
            the position embeddings on the fly.
        pooler_dim: add Hugging Face's pooler (Linear + tanh on the pooled token) with this width.
        act: ``"gelu"`` (exact), ``"gelu_new"`` (tanh approximation) or ``"relu"``.
    """

    def __init__(
        self,
        img_size: int | tuple[int, int] = 224,
        patch_size: int = 16,
        in_chans: int = 3,
        num_classes: int = 1000,
        embed_dim: int = 768,
        depth: int = 12,
        num_heads: int = 12,
        mlp_ratio: float = 4.0,
        mlp_hidden: int | None = None,
        qkv_bias: bool = True,
        class_token: bool = True,
        global_pool: str = "token",
        dynamic_img_size: bool = False,
        norm_eps: float = 1e-6,
        act: str = "gelu",
        drop_rate: float = 0.0,
        attn_drop_rate: float = 0.0,
        drop_path_rate: float = 0.0,
        pooler_dim: int | None = None,
    ):
        super().__init__()
        check_num_classes(num_classes)
        check_positive("depth", depth)
        if global_pool not in ("token", "avg"):
            raise ValueError(f"global_pool must be 'token' or 'avg', got {global_pool!r}")
        if global_pool == "token" and not class_token:
            raise ValueError("global_pool='token' needs class_token=True")
        if act not in _ACTIVATIONS:
            raise ValueError(f"act must be one of {sorted(_ACTIVATIONS)}, got {act!r}")
        self.num_classes, self.global_pool, self.dynamic_img_size = num_classes, global_pool, dynamic_img_size
        self.embed_dim, self.patch_size, self.in_chans = embed_dim, patch_size, in_chans
        self.num_prefix_tokens = 1 if class_token else 0
        self.pos_interp = (
            "bicubic"  # how embed() resizes position embeddings for another grid (SETR's code: "bilinear")
        )

        self.patch_embed = PatchEmbed(img_size, patch_size, in_chans, embed_dim, strict_size=not dynamic_img_size)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim)) if class_token else None
        self.pos_embed = nn.Parameter(torch.zeros(1, self.num_prefix_tokens + self.patch_embed.num_patches, embed_dim))
        self.pos_drop = nn.Dropout(drop_rate)
        rates = [drop_path_rate * i / max(depth - 1, 1) for i in range(depth)]  # stochastic depth grows with depth
        self.blocks = nn.ModuleList(
            [
                Block(
                    embed_dim,
                    num_heads,
                    mlp_ratio,
                    qkv_bias,
                    drop_rate,
                    attn_drop_rate,
                    rate,
                    act_layer=_ACTIVATIONS[act],
                    norm_eps=norm_eps,
                    mlp_hidden=mlp_hidden,
                )
                for rate in rates
            ]
        )
        self.norm = nn.LayerNorm(embed_dim, eps=norm_eps)
        self.pooler = nn.Sequential(nn.Linear(embed_dim, pooler_dim), nn.Tanh()) if pooler_dim else None
        head_in = pooler_dim or embed_dim
        self.head = nn.Linear(head_in, num_classes) if num_classes > 0 else nn.Identity()
        self.reset_parameters()

    def reset_parameters(self) -> None:
        trunc_normal_(self.pos_embed)
        if self.cls_token is not None:
            nn.init.normal_(self.cls_token, std=1e-6)
        self.apply(init_weights)

    @property
    def grid_size(self) -> tuple[int, int]:
        return self.patch_embed.grid_size

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Patches, class token and position embeddings: (B, C, H, W) -> (B, prefix + N, D)."""
        check_image(
            x,
            self.in_chans,
            multiple_of=self.patch_size,
            size=None if self.dynamic_img_size else self.patch_embed.img_size,
            model=self,
        )
        grid = (x.shape[-2] // self.patch_size, x.shape[-1] // self.patch_size)
        tokens = self.patch_embed(x)  # (B, N, D)
        if self.cls_token is not None:
            tokens = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), tokens], dim=1)
        pos = resample_pos_embed(self.pos_embed, grid, self.grid_size, self.num_prefix_tokens, mode=self.pos_interp)
        return self.pos_drop(tokens + pos)

    def forward_features(
        self, x: torch.Tensor, return_hidden_states: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, list[torch.Tensor]]:
        """The encoder: (B, C, H, W) -> normalised tokens (B, prefix + N, D).

        With ``return_hidden_states`` also the list [embeddings, block 1, ..., block L]
        (before the final norm), as Hugging Face's ``output_hidden_states`` gives them."""
        x = self.embed(x)
        hidden = [x]
        for block in self.blocks:
            x = block(x)
            hidden.append(x)
        x = self.norm(x)
        return (x, hidden) if return_hidden_states else x

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        """Pool the tokens (class token or mean of patches), then the head."""
        x = x[:, 0] if self.global_pool == "token" else x[:, self.num_prefix_tokens :].mean(dim=1)
        if self.pooler is not None:
            x = self.pooler(x)
        return x if pre_logits else self.head(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(x))


def _vit(defaults: dict, overrides: dict) -> VisionTransformer:
    return VisionTransformer(**{**defaults, **overrides})


@register_model
def vit_tiny_patch16_224(**overrides) -> VisionTransformer:
    """ViT-Ti/16 (as DeiT-Ti): width 192, depth 12, 3 heads. 5.7M parameters."""
    return _vit(dict(patch_size=16, embed_dim=192, depth=12, num_heads=3), overrides)


@register_model
def vit_small_patch16_224(**overrides) -> VisionTransformer:
    """ViT-S/16 (as DeiT-S): width 384, depth 12, 6 heads. 22.1M parameters."""
    return _vit(dict(patch_size=16, embed_dim=384, depth=12, num_heads=6), overrides)


@register_model
def vit_base_patch16_224(**overrides) -> VisionTransformer:
    """ViT-B/16: width 768, depth 12, 12 heads. 86.6M parameters."""
    return _vit(dict(patch_size=16, embed_dim=768, depth=12, num_heads=12), overrides)


@register_model
def vit_large_patch16_224(**overrides) -> VisionTransformer:
    """ViT-L/16: width 1024, depth 24, 16 heads. 304.3M parameters."""
    return _vit(dict(patch_size=16, embed_dim=1024, depth=24, num_heads=16), overrides)


@register_model
def vit_tiny_shapes(**overrides) -> VisionTransformer:
    """Course size for 32x32 ShapesWorld images: 4x4 patches (64 tokens), width 64, depth 4, 4 heads."""
    return _vit(
        dict(img_size=32, patch_size=4, num_classes=5, embed_dim=64, depth=4, num_heads=4, mlp_ratio=2.0), overrides
    )


# --------------------------------------------------------------------- reading a ViT
def attention_rollout(maps: list[torch.Tensor], head_fusion: str = "mean") -> torch.Tensor:
    """Attention rollout (Abnar and Zuidema, 2020): how much each token's final state draws on each input token.

    ``maps`` are the layers' attention maps in order, each (B, heads, T, T). Heads are fused
    (``"mean"``, ``"max"`` or ``"min"``), the residual connection is accounted for as half the
    identity, rows are renormalised, and the layers are multiplied: (B, T, T)."""
    if not maps:
        raise ValueError("attention_rollout needs at least one layer's attention maps")
    fuse = {"mean": lambda a: a.mean(1), "max": lambda a: a.amax(1), "min": lambda a: a.amin(1)}
    if head_fusion not in fuse:
        raise ValueError(f"head_fusion must be one of {sorted(fuse)}, got {head_fusion!r}")
    eye = torch.eye(maps[0].shape[-1], dtype=maps[0].dtype, device=maps[0].device)
    rollout = eye.expand(maps[0].shape[0], -1, -1)
    for attn in maps:
        a = 0.5 * fuse[head_fusion](attn) + 0.5 * eye
        a = a / a.sum(-1, keepdim=True)
        rollout = a @ rollout
    return rollout


def pos_embed_similarity(pos_embed: torch.Tensor, grid: tuple[int, int], num_prefix_tokens: int = 1) -> torch.Tensor:
    """Cosine similarity between the position embeddings of every pair of patches: (h, w, h, w).

    [i, j] is the map of how similar patch (i, j)'s embedding is to every other patch's;
    a trained ViT shows bright rows and columns through (i, j) (the paper's Figure 7)."""
    patches = F.normalize(pos_embed[0, num_prefix_tokens:].detach().float(), dim=-1)  # (h*w, D)
    sim = patches @ patches.T
    return rearrange(sim, "(h1 w1) (h2 w2) -> h1 w1 h2 w2", h1=grid[0], h2=grid[0])


def mean_attention_distance(
    maps: list[torch.Tensor], grid: tuple[int, int], patch_size: int, num_prefix_tokens: int = 1
) -> torch.Tensor:
    """The paper's "attention distance" (its Figure 7, right): for each layer and head, the distance in
    pixels between a patch query and the patches it attends to, weighted by the attention and averaged
    over queries and images. Only patch-to-patch attention counts (the class token has no place); each
    query's weights over the patches are renormalised. ``maps``: L tensors (B, heads, T, T). Returns (L, heads).

    For reference, attention spread evenly over every patch gives :func:`uniform_attention_distance`."""
    h, w = grid
    distance = _patch_distances(grid, patch_size)
    out = []
    for attn in maps:
        if attn.shape[-1] != num_prefix_tokens + h * w:
            raise ValueError(
                f"attention over {attn.shape[-1]} tokens does not match a {h}x{w} grid with {num_prefix_tokens} prefix token(s)"
            )
        a = attn[..., num_prefix_tokens:, num_prefix_tokens:].double()
        a = a / a.sum(-1, keepdim=True).clamp_min(1e-12)
        out.append((a * distance).sum(-1).mean(dim=(0, 2)))  # (heads,)
    return torch.stack(out).float()


def uniform_attention_distance(grid: tuple[int, int], patch_size: int) -> float:
    """The mean attention distance of a head that attends to every patch equally."""
    return float(_patch_distances(grid, patch_size).mean())


def _patch_distances(grid: tuple[int, int], patch_size: int) -> torch.Tensor:
    """(N, N) distances in pixels between the centres of a grid's patches, in reading order."""
    ys, xs = torch.meshgrid(
        torch.arange(grid[0], dtype=torch.float64), torch.arange(grid[1], dtype=torch.float64), indexing="ij"
    )
    centres = torch.stack([ys.flatten(), xs.flatten()], -1) * patch_size
    return torch.cdist(centres, centres)


@torch.no_grad()
def collect_attention(model: VisionTransformer, images: torch.Tensor) -> list[torch.Tensor]:
    """Every block's attention maps for ``images``, in order: L tensors of (B, heads, T, T)."""
    from vitlite.layers import attention_maps

    was_training = model.training
    model.eval()
    with attention_maps(model) as maps:
        model(images)
    model.train(was_training)
    return [maps[f"blocks.{i}.attn"] for i in range(len(model.blocks))]
