"""A control for chapter 02: any model, shown its images with the patch grid shuffled by one fixed permutation.

Cutting a 32x32 image into 4x4 patches and putting the 64 patches back in a fixed, random order keeps
every pixel and every patch but moves neighbours apart. A ViT does not notice: it cuts the image into
the same patches and sees them as a set, tied to places only by its position embeddings. Permute those
embeddings' starting values the same way and the ViT computes exactly what it computed on the original
images (the tokens are the same, in another order, and attention does not care about order). A CNN
does notice: its small kernels assume that neighbouring pixels belong together, which is now false
at every patch border. So if a CNN trained on permuted images loses its lead over the ViT, that lead
was its locality prior.
"""

from __future__ import annotations

import torch
from torch import nn

from vitlite.models import create_model, register_model

__all__ = ["permute_patches", "patch_permutation", "PatchPermuted", "patch_permuted"]


def patch_permutation(num_patches: int, seed: int = 0) -> torch.Tensor:
    """A fixed random order of ``num_patches`` patches, from its own generator (the global random state is untouched)."""
    return torch.randperm(num_patches, generator=torch.Generator().manual_seed(seed))


def permute_patches(images: torch.Tensor, permutation: torch.Tensor, patch_size: int) -> torch.Tensor:
    """``images`` (B, C, H, W) cut into ``patch_size`` squares, row by row; the patch at place ``j`` of the
    result is the input's patch ``permutation[j]``. Pixels inside a patch keep their arrangement."""
    if images.ndim != 4:
        raise ValueError(f"permute_patches expects a batch (B, C, H, W), got shape {tuple(images.shape)}")
    b, c, h, w = images.shape
    p = patch_size
    if h % p or w % p:
        raise ValueError(f"the image ({h}x{w}) must divide into {p}x{p} patches")
    gh, gw = h // p, w // p
    if permutation.shape != (gh * gw,):
        raise ValueError(
            f"the permutation has {tuple(permutation.shape)} entries, but a {h}x{w} image has {gh * gw} patches of {p}x{p}"
        )
    patches = images.reshape(b, c, gh, p, gw, p).permute(0, 2, 4, 1, 3, 5).reshape(b, gh * gw, c, p, p)
    patches = patches[:, permutation.to(images.device)]
    return patches.reshape(b, gh, gw, c, p, p).permute(0, 3, 1, 4, 2, 5).reshape(b, c, h, w)


class PatchPermuted(nn.Module):
    """``model`` (a registered name, built with ``model_kwargs``) behind a fixed shuffle of its input's patch grid.

    ``align_position=True`` (for a ViT whose patches are the shuffled squares) permutes the model's
    initial position embeddings the same way, which makes the wrapped ViT compute exactly what the
    unwrapped one computes on unshuffled images. The inner model is built first, drawing from the global
    random state exactly as it would alone, so the same seed gives the same weights."""

    def __init__(
        self,
        model: str,
        patch_size: int = 4,
        img_size: int = 32,
        permutation_seed: int = 0,
        align_position: bool = False,
        **model_kwargs,
    ):
        super().__init__()
        if img_size % patch_size:
            raise ValueError(f"img_size {img_size} must be a multiple of patch_size {patch_size}")
        self.model = create_model(model, **model_kwargs)
        self.patch_size, self.img_size = patch_size, img_size
        grid = img_size // patch_size
        self.register_buffer("permutation", patch_permutation(grid * grid, permutation_seed))
        if align_position:
            pos = getattr(self.model, "pos_embed", None)
            prefix = getattr(self.model, "num_prefix_tokens", 0)
            if (
                pos is None
                or getattr(self.model, "patch_size", None) != patch_size
                or pos.shape[1] != prefix + grid * grid
            ):
                raise ValueError(
                    f"align_position=True needs a ViT with {patch_size}x{patch_size} patches and {grid * grid} position embeddings; {model} is not one"
                )
            with torch.no_grad():
                # Place j now holds patch permutation[j], so it gets the embedding patch permutation[j] had.
                pos[:, prefix:] = pos[:, prefix:][:, self.permutation].clone()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(permute_patches(x, self.permutation, self.patch_size))


@register_model
def patch_permuted(**overrides) -> PatchPermuted:
    """Chapter 02's control: ``model`` (default ``resnet_tiny_shapes``) on 32x32 images whose 4x4 patches are shuffled."""
    return PatchPermuted(**{**dict(model="resnet_tiny_shapes"), **overrides})
