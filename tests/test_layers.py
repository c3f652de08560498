"""The transformer's parts against explicit, independent computations."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from vitlite.layers import (
    Attention,
    Block,
    DropPath,
    Mlp,
    PatchEmbed,
    attention_maps,
    check_image,
    count_parameters,
    init_weights,
    sincos_1d,
    sincos_2d,
)


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


# ---------------------------------------------------------------- patch embedding
@pytest.mark.parametrize("img, p, c, d", [(8, 4, 3, 5), ((12, 8), 4, 2, 7), (6, 3, 1, 4)])
def test_patch_embed_is_linear_on_flattened_patches(img, p, c, d):
    pe = PatchEmbed(img, p, c, d).double()
    h, w = (img, img) if isinstance(img, int) else img
    x = torch.randn(2, c, h, w, dtype=torch.float64)
    # cut patches by hand in reading order, flatten each as (c, i, j), and apply the linear map
    patches = []
    for r in range(h // p):
        for s in range(w // p):
            patches.append(x[:, :, r * p : (r + 1) * p, s * p : (s + 1) * p].reshape(2, -1))
    patches = torch.stack(patches, 1)  # (B, N, c p p)
    want = patches @ pe.proj.weight.reshape(d, -1).T + pe.proj.bias
    got = pe(x)
    assert pe.num_patches == (h // p) * (w // p) and pe.grid_size == (h // p, w // p)
    assert got.shape == (2, pe.num_patches, d)
    torch.testing.assert_close(got, want)


def test_patch_embed_without_bias_and_nonstrict_size():
    pe = PatchEmbed(8, 4, 3, 6, bias=False, strict_size=False)
    assert pe.proj.bias is None
    x = torch.randn(1, 3, 12, 16)
    assert pe(x).shape == (1, 12, 6)
    want = F.conv2d(x, pe.proj.weight, stride=4).flatten(2).transpose(1, 2)
    torch.testing.assert_close(pe(x), want)


def test_patch_embed_validation_messages():
    pe = PatchEmbed(8, 4, 3, 6)
    with pytest.raises(ValueError, match=r"PatchEmbed expects a batch of images \(B, 3, 8, 8\).*rank 3.*\(3, 8, 8\)"):
        pe(torch.zeros(3, 8, 8))
    with pytest.raises(ValueError, match=r"\(B, 3, 8, 8\).*got 1 channels.*\(2, 1, 8, 8\)"):
        pe(torch.zeros(2, 1, 8, 8))
    with pytest.raises(ValueError, match=r"\(B, 3, 8, 8\).*got shape \(2, 3, 12, 12\)"):
        pe(torch.zeros(2, 3, 12, 12))
    loose = PatchEmbed(8, 4, 3, 6, strict_size=False)
    with pytest.raises(ValueError, match=r"H divisible by 4 and W by 4.*\(1, 3, 10, 8\)"):
        loose(torch.zeros(1, 3, 10, 8))
    with pytest.raises(ValueError, match=r"img_size \(10, 10\) must be divisible by patch_size 4"):
        PatchEmbed(10, 4)


def test_check_image():
    check_image(torch.zeros(1, 2, 6, 9), 2, multiple_of=(3, 3))
    with pytest.raises(
        ValueError, match=r"Net expects \(B, 2, H, W\) with H divisible by 2 and W by 4; got shape \(1, 2, 6, 6\)"
    ):
        check_image(torch.zeros(1, 2, 6, 6), 2, multiple_of=(2, 4), model="Net")


# ---------------------------------------------------------------- attention
def reference_attention(
    attn: Attention, x: torch.Tensor, bias: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Multi-head attention written out with explicit slicing of the qkv weights."""
    b, n, _ = x.shape
    h, d = attn.num_heads, attn.head_dim
    w, bq = attn.qkv.weight, attn.qkv.bias
    qkv = x @ w.T + (bq if bq is not None else 0)  # (B, N, 3 h d) ordered (three, heads, d)
    outs, maps = [], []
    for head in range(h):
        q = qkv[..., 0 * h * d + head * d : 0 * h * d + (head + 1) * d]
        k = qkv[..., 1 * h * d + head * d : 1 * h * d + (head + 1) * d]
        v = qkv[..., 2 * h * d + head * d : 2 * h * d + (head + 1) * d]
        scores = q @ k.transpose(1, 2) / math.sqrt(d)
        if bias is not None:
            scores = scores + bias.expand(b, h, n, n)[:, head]
        p = torch.exp(scores - scores.amax(-1, keepdim=True))
        p = p / p.sum(-1, keepdim=True)
        maps.append(p)
        outs.append(p @ v)
    out = torch.cat(outs, -1) @ attn.proj.weight.T + attn.proj.bias
    return out, torch.stack(maps, 1)


@pytest.mark.parametrize("dim, heads", [(8, 2), (12, 3), (6, 1)])
def test_attention_fused_explicit_and_reference_agree(dim, heads):
    attn = Attention(dim, heads).double().eval()
    x = torch.randn(2, 5, dim, dtype=torch.float64)
    fused = attn(x)
    explicit, maps = attn(x, return_attention=True)
    want, want_maps = reference_attention(attn, x)
    torch.testing.assert_close(fused, want)
    torch.testing.assert_close(explicit, want)
    torch.testing.assert_close(maps, want_maps)
    assert maps.shape == (2, heads, 5, 5)
    torch.testing.assert_close(maps.sum(-1), torch.ones(2, heads, 5, dtype=torch.float64))


def test_attention_matches_torch_sdpa_reference():
    attn = Attention(8, 2).eval()
    x = torch.randn(3, 4, 8)
    q, k, v = attn.qkv(x).view(3, 4, 3, 2, 4).permute(2, 0, 3, 1, 4)
    o = F.scaled_dot_product_attention(q, k, v)  # default scale 1/sqrt(head_dim)
    want = attn.proj(o.transpose(1, 2).reshape(3, 4, 8))
    torch.testing.assert_close(attn(x), want, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(attn(x, return_attention=True)[0], want, atol=1e-5, rtol=1e-5)


def test_attention_bias_is_added_to_scores():
    attn = Attention(8, 2).double().eval()
    x = torch.randn(2, 5, 8, dtype=torch.float64)
    bias = torch.randn(1, 2, 5, 5, dtype=torch.float64)
    want, want_maps = reference_attention(attn, x, bias)
    torch.testing.assert_close(attn(x, attn_bias=bias), want)
    out, maps = attn(x, attn_bias=bias, return_attention=True)
    torch.testing.assert_close(out, want)
    torch.testing.assert_close(maps, want_maps)
    assert not torch.allclose(attn(x), want)
    # a -inf bias masks keys out
    mask = torch.zeros(1, 1, 5, 5, dtype=torch.float64)
    mask[..., 3:] = float("-inf")
    _, maps = attn(x, attn_bias=mask, return_attention=True)
    assert (maps[..., 3:] == 0).all()
    torch.testing.assert_close(attn(x, attn_bias=mask), attn(x, attn_bias=mask, return_attention=True)[0])


def test_attention_head_dim_override_and_errors():
    attn = Attention(10, num_heads=4, head_dim=3)
    assert attn.qkv.out_features == 36 and attn.proj.in_features == 12
    x = torch.randn(1, 3, 10)
    torch.testing.assert_close(attn(x), reference_attention(attn, x)[0], atol=1e-5, rtol=1e-5)
    with pytest.raises(ValueError, match="dim 10 must be divisible by num_heads 4"):
        Attention(10, 4)


def test_attention_maps_context_manager():
    model = nn.Sequential(Block(8, 2), Block(8, 4)).eval()
    x = torch.randn(2, 6, 8)
    plain = model(x)
    with attention_maps(model) as maps:
        out = model(x)
    assert set(maps) == {"0.attn", "1.attn"}
    assert maps["0.attn"].shape == (2, 2, 6, 6) and maps["1.attn"].shape == (2, 4, 6, 6)
    for m in maps.values():
        torch.testing.assert_close(m.sum(-1), torch.ones(m.shape[:-1]))
        assert not m.requires_grad
    torch.testing.assert_close(out, plain, atol=1e-5, rtol=1e-5)
    # the map of block 0 is the attention of its own input
    _, want = reference_attention(model[0].attn, model[0].norm1(x))
    torch.testing.assert_close(maps["0.attn"], want.detach(), atol=1e-6, rtol=1e-5)
    # afterwards nothing records
    assert all(m.attn._record is None for m in model)
    snapshot = {k: v.clone() for k, v in maps.items()}
    model(torch.randn(2, 6, 8))
    assert set(maps) == set(snapshot) and all(torch.equal(maps[k], snapshot[k]) for k in maps)


def test_attention_maps_resets_after_an_error_and_rejects_models_without_attention():
    block = Block(8, 2)
    with pytest.raises(RuntimeError):
        with attention_maps(block):
            raise RuntimeError("boom")
    assert block.attn._record is None
    with pytest.raises(ValueError, match="Sequential has no attention modules"):
        with attention_maps(nn.Sequential(nn.Linear(2, 2))):
            pass


# ---------------------------------------------------------------- block, mlp, drop path
def test_block_is_pre_norm():
    block = Block(8, 2, mlp_ratio=2.0).double().eval()
    x = torch.randn(2, 5, 8, dtype=torch.float64)
    ln1 = F.layer_norm(x, (8,), block.norm1.weight, block.norm1.bias, eps=1e-6)
    y = x + reference_attention(block.attn, ln1)[0]
    ln2 = F.layer_norm(y, (8,), block.norm2.weight, block.norm2.bias, eps=1e-6)
    hidden = F.gelu(ln2 @ block.mlp.fc1.weight.T + block.mlp.fc1.bias)
    want = y + hidden @ block.mlp.fc2.weight.T + block.mlp.fc2.bias
    assert block.mlp.fc1.out_features == 16
    torch.testing.assert_close(block(x), want)
    bias = torch.randn(1, 2, 5, 5, dtype=torch.float64)
    y = x + reference_attention(block.attn, ln1, bias)[0]
    ln2 = F.layer_norm(y, (8,), block.norm2.weight, block.norm2.bias, eps=1e-6)
    want = y + F.gelu(ln2 @ block.mlp.fc1.weight.T + block.mlp.fc1.bias) @ block.mlp.fc2.weight.T + block.mlp.fc2.bias
    torch.testing.assert_close(block(x, attn_bias=bias), want)


def test_mlp():
    mlp = Mlp(4, 6, 3, act_layer=nn.ReLU)
    x = torch.randn(5, 4)
    want = torch.relu(x @ mlp.fc1.weight.T + mlp.fc1.bias) @ mlp.fc2.weight.T + mlp.fc2.bias
    torch.testing.assert_close(mlp(x), want)
    assert Mlp(4).fc1.out_features == 4 and Mlp(4).fc2.out_features == 4


def test_drop_path_eval_is_identity_and_train_drops_whole_samples():
    x = torch.randn(4000, 3, 5) + 2.0
    dp = DropPath(0.25)
    dp.eval()
    assert dp(x) is x
    assert DropPath(0.0).train()(x) is x
    dp.train()
    torch.manual_seed(123)
    y = dp(x)
    ratio = y / x
    per_sample = ratio.flatten(1)
    # each sample is either dropped whole or kept and scaled by 1 / (1 - p)
    kept = per_sample[:, 0] != 0
    torch.testing.assert_close(per_sample[kept], torch.full_like(per_sample[kept], 1 / 0.75))
    assert (per_sample[~kept] == 0).all()
    frac = kept.float().mean().item()
    assert abs(frac - 0.75) < 0.03  # binomial std ~ 0.007
    assert abs(y.mean().item() / x.mean().item() - 1) < 0.05  # unbiased in expectation
    assert "p=0.25" in repr(dp)


# ---------------------------------------------------------------- position tables
def test_sincos_1d_formula():
    p, d, t = 7, 6, 10000.0
    table = sincos_1d(p, d)
    assert table.shape == (p, d) and table.dtype == torch.float32
    for pos in range(p):
        for i in range(d // 2):
            angle = pos / t ** (2 * i / d)
            assert table[pos, 2 * i].item() == pytest.approx(math.sin(angle), abs=1e-6)
            assert table[pos, 2 * i + 1].item() == pytest.approx(math.cos(angle), abs=1e-6)
    small_t = sincos_1d(3, 4, temperature=100.0)
    assert small_t[2, 2].item() == pytest.approx(math.sin(2 / 100**0.5), abs=1e-6)


def test_sincos_2d_halves():
    h, w, d = 3, 4, 8
    table = sincos_2d(h, w, d)
    assert table.shape == (h * w, d)
    rows, cols = sincos_1d(h, d // 2), sincos_1d(w, d // 2)
    for r in range(h):
        for c in range(w):
            torch.testing.assert_close(table[r * w + c, : d // 2], rows[r])
            torch.testing.assert_close(table[r * w + c, d // 2 :], cols[c])


def test_sincos_dims_must_be_even():
    with pytest.raises(ValueError, match="dim must be even.*got 5"):
        sincos_1d(4, 5)
    with pytest.raises(ValueError, match="divisible by 4.*got 6"):
        sincos_2d(2, 2, 6)


# ---------------------------------------------------------------- init and counting
def test_count_parameters():
    model = nn.Sequential(nn.Linear(3, 4), nn.LayerNorm(4), nn.Linear(4, 2, bias=False))
    assert count_parameters(model) == 3 * 4 + 4 + 4 + 4 + 4 * 2
    model[0].weight.requires_grad_(False)
    assert count_parameters(model, trainable_only=True) == 4 + 4 + 4 + 8
    assert count_parameters(model) == 32
    with torch.device("meta"):
        big = nn.Linear(1000, 1000)
    assert count_parameters(big) == 1_001_000


def test_init_weights():
    model = nn.Sequential(nn.Linear(200, 300), nn.LayerNorm(300), nn.Linear(300, 10, bias=False), nn.Conv2d(1, 1, 3))
    with torch.no_grad():
        model[1].weight.fill_(3.0)
        model[1].bias.fill_(2.0)
    conv_before = model[3].weight.clone()
    model.apply(init_weights)
    w = model[0].weight
    assert w.abs().max() <= 0.04 + 1e-7  # truncated at 2 std
    assert abs(w.std().item() - 0.02 * 0.8796) < 0.0005  # the std of N(0, 1) truncated at +-2 is 0.8796
    assert (model[0].bias == 0).all()
    assert (model[1].weight == 1).all() and (model[1].bias == 0).all()
    assert model[2].weight.abs().max() <= 0.04 + 1e-7
    assert torch.equal(model[3].weight, conv_before)  # other modules untouched
