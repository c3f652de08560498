"""Chapter 02's control: a fixed shuffle of the patch grid, which a ViT cannot notice and a CNN can."""

from __future__ import annotations

import pytest
import torch

import vitlite
from vitlite.models.permuted import patch_permutation, permute_patches


def test_permute_patches_moves_whole_patches():
    images = torch.rand(2, 3, 8, 12)
    identity = torch.arange(6)
    assert torch.equal(permute_patches(images, identity, 4), images)
    perm = patch_permutation(6, seed=1)
    shuffled = permute_patches(images, perm, 4)
    inverse = torch.argsort(perm)
    assert torch.equal(permute_patches(shuffled, inverse, 4), images)
    for j, source in enumerate(perm.tolist()):  # place j holds patch perm[j], pixels inside unchanged
        (r, c), (sr, sc) = divmod(j, 3), divmod(source, 3)
        assert torch.equal(
            shuffled[..., 4 * r : 4 * r + 4, 4 * c : 4 * c + 4], images[..., 4 * sr : 4 * sr + 4, 4 * sc : 4 * sc + 4]
        )
    assert torch.equal(patch_permutation(64, 5), patch_permutation(64, 5)) and not torch.equal(
        patch_permutation(64, 5), patch_permutation(64, 6)
    )


def _pair(name: str, **kwargs):
    vitlite.env.seed_everything(7)
    plain = vitlite.create_model(name)
    vitlite.env.seed_everything(7)
    wrapped = vitlite.create_model("patch_permuted", model=name, permutation_seed=3, **kwargs)
    return plain.eval(), wrapped.eval()


def test_a_vit_with_aligned_positions_computes_the_same_function():
    plain, wrapped = _pair("vit_tiny_shapes", align_position=True)
    x = torch.rand(4, 3, 32, 32)
    assert torch.equal(plain.patch_embed.proj.weight, wrapped.model.patch_embed.proj.weight)  # the same draw of weights
    assert not torch.equal(plain.pos_embed, wrapped.model.pos_embed)
    aligned_error = (plain(x) - wrapped(x)).abs().max().item()
    _, unaligned = _pair("vit_tiny_shapes")
    unaligned_error = (plain(x) - unaligned(x)).abs().max().item()
    # At initialisation the position embeddings are small (std 0.02), so even unaligned the outputs are
    # close; aligned, they agree to float rounding, a thousand times closer.
    assert aligned_error < 1e-6 and unaligned_error > 1000 * aligned_error, (aligned_error, unaligned_error)


def test_a_vit_trains_the_same_on_shuffled_patches():
    """Five AdamW steps on the same batches: the wrapped ViT's losses are the plain ViT's."""
    from vitlite.train import fit

    data = vitlite.data.ShapesWorld().classification(64, seed=0)
    losses = []
    for model in _pair("vit_tiny_shapes", align_position=True):
        history = fit(model, data.loader(16, seed=0), steps=5, progress=False, device="cpu")
        losses.append(torch.tensor(history.loss))
    assert torch.allclose(losses[0], losses[1], atol=1e-4), losses


def test_a_cnn_sees_the_shuffle():
    plain, wrapped = _pair("resnet_tiny_shapes")
    x = torch.rand(4, 3, 32, 32)
    assert torch.equal(plain.stem[0].weight, wrapped.model.stem[0].weight)
    assert not torch.allclose(plain(x), wrapped(x), atol=1e-3)
    assert torch.allclose(plain(permute_patches(x, wrapped.permutation, 4)), wrapped(x), atol=1e-6)


def test_errors():
    with pytest.raises(ValueError, match="needs a ViT with 4x4 patches"):
        vitlite.create_model("patch_permuted", model="resnet_tiny_shapes", align_position=True)
    with pytest.raises(ValueError, match="must be a multiple of patch_size"):
        vitlite.create_model("patch_permuted", img_size=30)
    with pytest.raises(ValueError, match="the permutation has"):
        permute_patches(torch.rand(1, 3, 8, 8), torch.arange(5), 4)
    with pytest.raises(ValueError, match="must divide into"):
        permute_patches(torch.rand(1, 3, 9, 8), torch.arange(4), 4)
