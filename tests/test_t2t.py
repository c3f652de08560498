"""T2T-ViT: soft splits, token layers, and the published sizes (no reference implementation exists in transformers)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

import vitlite
from vitlite.layers import count_parameters, sincos_1d
from vitlite.models.t2t import T2TModule, T2TViT, TokenPerformer, TokenTransformer, restructurize, soft_split_size


def test_grid_sizes_at_224():
    module = vitlite.create_model("t2t_vit_t_14", device="meta").tokens_to_token
    assert module.grids == [56, 28, 14] and module.num_patches == 196


@pytest.mark.parametrize(("size", "k", "s", "p"), [(224, 7, 4, 2), (56, 3, 2, 1), (32, 5, 2, 2), (17, 3, 2, 0)])
def test_soft_split_size_matches_unfold(size, k, s, p):
    out = F.unfold(torch.zeros(1, 1, size, size), k, stride=s, padding=p)
    assert soft_split_size(size, k, s, p) ** 2 == out.shape[-1]


def test_soft_split_windows_overlap_and_restructurize_inverts_layout():
    x = torch.arange(2 * 3 * 6 * 6, dtype=torch.float32).reshape(2, 3, 6, 6)
    cols = F.unfold(x, 3, stride=2, padding=1)  # overlapping: stride < kernel
    assert cols.shape == (2, 27, 9)
    # windows cover padded columns -1..1 and 1..3: pixel (0, 1) lies in tokens (0, 0) and (0, 1) both
    value = x[0, 0, 0, 1]
    assert (cols[0, :, 0] == value).any() and (cols[0, :, 1] == value).any()
    tokens = torch.randn(2, 16, 5)
    image = restructurize(tokens, (4, 4))
    assert image.shape == (2, 5, 4, 4)
    assert torch.equal(image[1, :, 2, 3], tokens[1, 2 * 4 + 3])


def test_token_transformer_matches_a_hand_computation():
    torch.manual_seed(0)
    layer = TokenTransformer(dim=12, out_dim=6).eval()
    x = torch.randn(2, 5, 12)
    h = F.layer_norm(x, (12,), layer.norm1.weight, layer.norm1.bias)
    q, k, v = (h @ layer.qkv.weight.T).split(6, dim=-1)
    attn = torch.softmax(q @ k.transpose(1, 2) / 12**0.5, dim=-1)  # scale from the input width
    y = v + (attn @ v) @ layer.proj.weight.T + layer.proj.bias  # the value is the skip connection
    y = y + layer.mlp(F.layer_norm(y, (6,), layer.norm2.weight, layer.norm2.bias))
    assert torch.allclose(layer(x), y, atol=1e-5)
    with vitlite.layers.attention_maps(layer) as maps:
        layer(x)
    assert torch.allclose(maps[""][:, 0], attn, atol=1e-6)


def test_performer_approximates_softmax_attention_with_many_features():
    torch.manual_seed(0)
    layer = TokenPerformer(dim=8, out_dim=8, kernel_ratio=512.0)  # m = 4096 random features
    q, k = 0.3 * torch.randn(1, 6, 8), 0.3 * torch.randn(1, 6, 8)
    qp, kp = layer.features(q), layer.features(k)
    approx = (qp @ kp.transpose(1, 2)) / (qp @ kp.sum(1)[..., None])
    exact = torch.softmax(q @ k.transpose(1, 2), dim=-1)  # Performer approximates softmax(q k^T), unscaled
    assert (approx - exact).abs().max() < 0.02
    assert not layer.w.requires_grad


def test_performer_features_are_positive_and_linear_cost_shapes():
    layer = TokenPerformer(dim=10, out_dim=4)
    x = torch.randn(3, 50, 10)
    assert (layer.features(torch.randn(3, 50, 4)) > 0).all()
    assert layer(x).shape == (3, 50, 4)


def test_t2t_module_stages_and_shapes():
    module = T2TModule(
        img_size=32, in_chans=3, embed_dim=20, token_dim=8, kernels=(5, 3, 3), strides=(2, 2, 1), paddings=(2, 1, 1)
    )
    assert module.grids == [16, 8, 8]
    tokens, stages = module(torch.randn(2, 3, 32, 32), return_stages=True)
    assert tokens.shape == (2, 64, 20)
    assert [tuple(s.shape) for s in stages] == [(2, 8, 16, 16), (2, 8, 8, 8)]


def test_position_table_is_frozen_sinusoid_but_counted():
    model = T2TViT(
        img_size=32,
        num_classes=3,
        embed_dim=16,
        depth=1,
        num_heads=2,
        token_dim=4,
        kernels=(5, 3, 3),
        strides=(2, 2, 1),
        paddings=(2, 1, 1),
    )
    assert not model.pos_embed.requires_grad
    assert torch.allclose(model.pos_embed[0], sincos_1d(65, 16))
    assert count_parameters(model) - count_parameters(model, trainable_only=True) == model.pos_embed.numel()
    assert model(torch.randn(2, 3, 32, 32)).shape == (2, 3)


@pytest.mark.parametrize(
    ("name", "millions"),
    [("t2t_vit_7", 4.3), ("t2t_vit_14", 21.5), ("t2t_vit_24", 64.1), ("t2t_vit_t_14", 21.5), ("t2t_vit_t_24", 64.1)],
)
def test_published_sizes(name, millions):
    n = count_parameters(vitlite.create_model(name, device="meta"))
    assert abs(n / 1e6 - millions) < 0.05, f"{name}: {n:,}"


def test_bad_input_names_the_shape():
    model = T2TViT(
        img_size=32,
        num_classes=3,
        embed_dim=16,
        depth=1,
        num_heads=2,
        token_dim=4,
        kernels=(5, 3, 3),
        strides=(2, 2, 1),
        paddings=(2, 1, 1),
    )
    with pytest.raises(ValueError, match=r"\(B, 3, 32, 32\)"):
        model(torch.randn(1, 3, 24, 24))
    with pytest.raises(ValueError, match="tokens_type"):
        T2TModule(tokens_type="convolution")


def test_project_std_redraws_only_the_last_projection():
    """Chapter 03's controls start their last projection wider; the default model draws it at std 0.02."""
    kwargs = dict(
        img_size=32,
        num_classes=3,
        embed_dim=64,
        depth=1,
        num_heads=2,
        token_dim=44,
        kernels=(2, 2, 1),
        strides=(2, 2, 1),
        paddings=(0, 0, 0),
    )
    torch.manual_seed(0)
    plain = T2TViT(**kwargs)
    torch.manual_seed(0)
    wider = T2TViT(**kwargs, project_std=0.08)
    assert abs(plain.tokens_to_token.project.weight.std().item() - 0.0176) < 0.003  # truncated at 2 std: 0.88 * 0.02
    assert abs(wider.tokens_to_token.project.weight.std().item() - 0.0704) < 0.01
    same = [n for n, p in plain.named_parameters() if "project" not in n]
    assert all(torch.equal(dict(plain.named_parameters())[n], dict(wider.named_parameters())[n]) for n in same)
    with pytest.raises(ValueError, match="project_std"):
        T2TViT(**kwargs, project_std=0.0)


def test_learned_position_table_is_trained_and_starts_small():
    """The course option: a trained position table drawn as the ViT's (std 0.02) instead of the fixed sinusoid."""
    kwargs = dict(
        img_size=32,
        num_classes=3,
        embed_dim=64,
        depth=1,
        num_heads=2,
        token_dim=24,
        kernels=(5, 3, 3),
        strides=(2, 2, 1),
        paddings=(2, 1, 1),
    )
    fixed, learned = T2TViT(**kwargs), T2TViT(**kwargs, pos_embed="learned")
    assert not fixed.pos_embed.requires_grad and torch.allclose(fixed.pos_embed[0], sincos_1d(65, 64))
    assert learned.pos_embed.requires_grad and learned.pos_embed.shape == fixed.pos_embed.shape == (1, 65, 64)
    assert abs(learned.pos_embed.std().item() - 0.0176) < 0.003 and fixed.pos_embed.std().item() > 0.5
    learned(torch.randn(2, 3, 32, 32)).sum().backward()
    assert learned.pos_embed.grad is not None and learned.pos_embed.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="pos_embed"):
        T2TViT(**kwargs, pos_embed="rope")


def test_token_mlp_keeps_tokens_apart_and_changes_width():
    """The control's token layer: the attention taken out, so a token's output depends on that token alone."""
    from vitlite.models.t2t import TokenMLP

    torch.manual_seed(0)
    layer = TokenMLP(12, 8)
    x = torch.randn(2, 5, 12)
    y = layer(x)
    assert y.shape == (2, 5, 8)
    x2 = x.clone()
    x2[:, 1:] = torch.randn(2, 4, 12)  # every other token changed
    assert torch.allclose(layer(x2)[:, 0], y[:, 0], atol=1e-6)
    model = T2TViT(
        img_size=32,
        tokens_type="mlp",
        num_classes=5,
        embed_dim=16,
        depth=1,
        num_heads=2,
        token_dim=4,
        kernels=(5, 3, 3),
        strides=(2, 2, 1),
        paddings=(2, 1, 1),
    )
    assert isinstance(model.tokens_to_token.attention1, TokenMLP)
    assert model(torch.randn(2, 3, 32, 32)).shape == (2, 5)
