"""Swin: windows, the shifted-window mask, patch merging, the small-stage rule, the cost formulas, the sizes."""

from __future__ import annotations

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

import vitlite
from vitlite.layers import Attention, count_parameters
from vitlite.models.swin import (
    MASK_VALUE,
    PatchMerging,
    SwinBlock,
    WindowAttention,
    msa_flops,
    relative_position_index,
    shifted_window_mask,
    shifted_windows_by_padding,
    window_partition,
    window_reverse,
    wmsa_flops,
)


def test_window_partition_and_reverse():
    x = torch.arange(2 * 8 * 12 * 3).float().reshape(2, 8, 12, 3)
    windows = window_partition(x, 4)
    assert windows.shape == (2 * 2 * 3, 16, 3)
    # window 1 of image 0 holds rows 0..3, columns 4..7, read row by row
    assert torch.equal(windows[1].reshape(4, 4, 3), x[0, 0:4, 4:8])
    assert torch.equal(window_reverse(windows, 4, 8, 12), x)


def test_relative_position_index_brute_force():
    m = 3
    index = relative_position_index(m)
    coords = [(i, j) for i in range(m) for j in range(m)]
    for a, (y1, x1) in enumerate(coords):
        for b, (y2, x2) in enumerate(coords):
            assert index[a, b] == (y1 - y2 + m - 1) * (2 * m - 1) + (x1 - x2 + m - 1)
    assert index.max() == (2 * m - 1) ** 2 - 1


def test_shifted_window_mask_regions():
    mask = shifted_window_mask(8, 8, 4, 2)
    assert mask.shape == (4, 16, 16)
    assert (mask[0] == 0).all()  # the top-left window holds one region only
    last = mask[3]  # the bottom-right window mixes four regions: 4 blocks of 4 tokens each
    same = last == 0
    assert same.sum() == 4 * 16 and set(last.unique().tolist()) == {0.0, MASK_VALUE}


def _global_shifted_attention(x: torch.Tensor, attn: WindowAttention, shift: int) -> torch.Tensor:
    """A third formulation: global attention over all tokens, masked to the shifted window groups."""
    b, h, w, c = x.shape
    m = attn.window_size
    ys, xs = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    ys, xs = ys.flatten(), xs.flatten()
    group = torch.div(ys - shift, m, rounding_mode="floor") * 1000 + torch.div(xs - shift, m, rounding_mode="floor")
    dy, dx = ys[:, None] - ys[None, :], xs[:, None] - xs[None, :]
    same = group[:, None] == group[None, :]
    index = ((dy + m - 1) * (2 * m - 1) + dx + m - 1).clamp(0, (2 * m - 1) ** 2 - 1)
    bias = attn.relative_position_bias_table[index].permute(2, 0, 1)  # (heads, N, N)
    bias = bias.masked_fill(~same, float("-inf"))
    q, k, v = attn.qkv(x.reshape(b, h * w, c)).reshape(b, h * w, 3, attn.num_heads, -1).permute(2, 0, 3, 1, 4)
    weights = torch.softmax(q @ k.transpose(-2, -1) * attn.scale + bias, dim=-1)
    out = (weights @ v).transpose(1, 2).reshape(b, h * w, c)
    return attn.proj(out).reshape(b, h, w, c)


@pytest.mark.parametrize(("size", "window", "shift"), [(8, 4, 2), (12, 4, 2), (12, 6, 3), (14, 7, 3)])
def test_cyclic_shift_equals_padded_windows_and_global_mask(size, window, shift):
    torch.manual_seed(0)
    block = SwinBlock(16, (size, size), num_heads=2, window_size=window, shift_size=shift).eval()
    x = torch.randn(2, size, size, 16)
    rolled = torch.roll(x, (-shift, -shift), dims=(1, 2))
    cyclic = window_reverse(block.attn(window_partition(rolled, window), block.attn_mask), window, size, size)
    cyclic = torch.roll(cyclic, (shift, shift), dims=(1, 2))
    padded = shifted_windows_by_padding(x, block.attn, shift)
    assert torch.allclose(cyclic, padded, atol=1e-5)
    assert torch.allclose(cyclic, _global_shifted_attention(x, block.attn, shift), atol=1e-5)


def test_small_stage_rule_window_shrinks_and_shift_drops():
    block = SwinBlock(8, (5, 5), num_heads=1, window_size=7, shift_size=3)
    assert block.window_size == 5 and block.shift_size == 0 and block.attn_mask is None
    assert block.attn.relative_position_bias_table.shape == ((2 * 5 - 1) ** 2, 1)
    # one window covering the whole map: plain global attention with the relative bias
    torch.manual_seed(1)
    x = torch.randn(1, 5, 5, 8)
    assert torch.allclose(
        block.attn(window_partition(x, 5)).reshape(1, 5, 5, 8), _global_shifted_attention(x, block.attn, 0), atol=1e-5
    )


def test_model_whose_last_stage_falls_back_to_a_smaller_window():
    model = vitlite.models.swin.SwinTransformer(
        img_size=40, patch_size=2, embed_dim=8, depths=(2, 2, 2), num_heads=(1, 2, 2), window_size=7, num_classes=3
    )
    assert model.resolutions == [(20, 20), (10, 10), (5, 5)]
    last = model.stages[-1].blocks
    assert [b.window_size for b in last] == [5, 5] and [b.shift_size for b in last] == [0, 0]
    assert [b.shift_size for b in model.stages[0].blocks] == [0, 3]
    assert model(torch.randn(2, 3, 40, 40)).shape == (2, 3)


def test_patch_merging_official_order():
    torch.manual_seed(2)
    merge = PatchMerging(3, (4, 6))
    x = torch.randn(2, 4 * 6, 3)
    grid = x.reshape(2, 4, 6, 3)
    cat = torch.cat([grid[:, 0::2, 0::2], grid[:, 1::2, 0::2], grid[:, 0::2, 1::2], grid[:, 1::2, 1::2]], dim=-1)
    want = merge.reduction(merge.norm(cat.reshape(2, -1, 12)))
    assert torch.allclose(merge(x), want, atol=1e-6)
    assert merge.reduction.bias is None and merge.reduction.weight.shape == (6, 12)


def test_patch_merging_pads_odd_sizes():
    merge = PatchMerging(2, (5, 3))
    assert merge(torch.randn(1, 15, 2)).shape == (1, 3 * 2, 4)


@pytest.mark.parametrize(("h", "w", "c"), [(8, 8, 16), (14, 14, 32)])
def test_global_attention_cost_matches_the_paper(h, w, c):
    attn = Attention(c, num_heads=4)
    with FlopCounterMode(display=False) as counter:  # the explicit path: the CPU's fused kernel is not counted
        attn(torch.randn(1, h * w, c), return_attention=True)
    assert counter.get_total_flops() == 2 * msa_flops(h, w, c)  # the counter counts a multiply-add as 2


@pytest.mark.parametrize(("h", "w", "c", "m"), [(8, 8, 16, 4), (14, 14, 32, 7)])
def test_window_attention_cost_matches_the_paper(h, w, c, m):
    attn = WindowAttention(c, m, num_heads=4)
    windows = window_partition(torch.randn(1, h, w, c), m)
    with FlopCounterMode(display=False) as counter:
        attn(windows)
    assert counter.get_total_flops() == 2 * wmsa_flops(h, w, c, m)


@pytest.mark.parametrize(
    ("name", "count"),
    [
        ("swin_tiny_patch4_window7_224", 28_288_354),
        ("swin_small_patch4_window7_224", 49_606_258),
        ("swin_base_patch4_window7_224", 87_768_224),
    ],
)
def test_published_sizes(name, count):
    assert count_parameters(vitlite.create_model(name, device="meta")) == count


def test_bad_inputs():
    model = vitlite.create_model("swin_tiny_shapes")
    with pytest.raises(ValueError, match=r"\(B, 3, 64, 64\)"):
        model(torch.randn(1, 3, 32, 32))
    with pytest.raises(ValueError, match="same length"):
        vitlite.models.swin.SwinTransformer(depths=(2, 2), num_heads=(2,))
    with pytest.raises(ValueError, match="divisible"):
        vitlite.models.swin.SwinTransformer(img_size=30, patch_size=4)


def test_attention_maps_per_block():
    model = vitlite.create_model("swin_tiny_shapes").eval()
    with vitlite.layers.attention_maps(model) as maps:
        model(torch.randn(2, 3, 64, 64))
    assert set(maps) == {f"stages.{i}.blocks.{j}.attn" for i in range(2) for j in range(2)}
    assert maps["stages.0.blocks.0.attn"].shape == (2 * 64, 2, 16, 16)  # 32x32 tokens in 4x4 windows
    assert torch.allclose(maps["stages.0.blocks.1.attn"].sum(-1), torch.ones(1))


def test_without_shift_every_block_keeps_the_regular_grid():
    """The paper's ablation: the same weights, with and without shifted windows; only the shifted blocks change."""
    torch.manual_seed(0)
    shifted = vitlite.create_model("swin_tiny_shapes").eval()
    regular = vitlite.create_model("swin_tiny_shapes", shift=False).eval()
    regular.load_state_dict(shifted.state_dict(), strict=False)  # the masks are buffers of shifted blocks only
    assert [b.shift_size for st in shifted.stages for b in st.blocks] == [0, 2, 0, 2]
    assert [b.shift_size for st in regular.stages for b in st.blocks] == [0, 0, 0, 0]
    assert count_parameters(regular) == count_parameters(shifted)
    x = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        assert (regular(x) - shifted(x)).abs().max() > 1e-5  # small at initialisation, but not zero
        for st in shifted.stages:
            for b in st.blocks:
                b.shift_size, b.attn_mask = (
                    0,
                    None,
                )  # taking the shift (and its mask) away by hand gives the model without it
        assert torch.allclose(regular(x), shifted(x), atol=1e-6)
    with pytest.raises(ValueError, match="shift must be True"):
        vitlite.create_model("swin_tiny_shapes", shift="no")


def test_stem_and_max_pooling_switches():
    """Chapter 04's tries (not the paper's): off by default, so the default model draws the same weights as before."""
    torch.manual_seed(0)
    plain = vitlite.create_model("swin_tiny_shapes")
    torch.manual_seed(0)
    again = vitlite.create_model("swin_tiny_shapes", stem_width=0, global_pool="avg")
    assert plain.stem is None and not any(k.startswith("stem") for k in plain.state_dict())
    assert all(torch.equal(a, b) for a, b in zip(plain.state_dict().values(), again.state_dict().values()))
    stem = vitlite.create_model("swin_tiny_shapes", stem_width=16, global_pool="max").eval()
    assert (
        stem.patch_embed.in_channels == 16
        and count_parameters(stem) - count_parameters(plain)
        == 3 * 16 * 9 + 16 * 16 * 9 + 2 * 2 * 16 + (16 - 3) * 32 * 4
    )
    x = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        tokens = stem.forward_features(x)
        assert torch.allclose(stem(x), stem.head(tokens.amax(1)))
        assert torch.allclose(plain.eval()(x), plain.head(plain.forward_features(x).mean(1)))
    with pytest.raises(ValueError, match="global_pool must be"):
        vitlite.create_model("swin_tiny_shapes", global_pool="token")
    with pytest.raises(ValueError, match="stem_width must be"):
        vitlite.create_model("swin_tiny_shapes", stem_width=-1)


def test_token_reach_from_the_window_geometry_equals_autograd_in_float64():
    """The structural reach (window bands of regular and rolled, masked blocks) against gradients through
    real blocks in float64, where a masked pair's weight (about e^-100) is far below a 1e-20 threshold."""
    import torch
    from torch import nn

    from vitlite.models.swin import SwinBlock, token_reach

    for size, window, shifts, (row, col) in (
        (16, 4, (0, 2, 0, 2, 0, 2), (5, 5)),
        (16, 4, (0, 2, 0, 2), (0, 15)),
        (12, 4, (0, 2, 0), (11, 3)),
        (8, 4, (0, 0), (2, 6)),
    ):
        torch.manual_seed(0)
        blocks = (
            nn.Sequential(*[SwinBlock(16, (size, size), num_heads=2, window_size=window, shift_size=s) for s in shifts])
            .double()
            .eval()
        )
        x = torch.randn(1, size * size, 16, dtype=torch.float64, requires_grad=True)
        (grad,) = torch.autograd.grad(blocks(x)[0, row * size + col].sum(), x)
        measured = grad[0].abs().sum(-1).reshape(size, size)
        assert torch.equal(measured > 1e-20 * measured.max(), token_reach(shifts, size, window, row, col)), (
            size,
            shifts,
            row,
            col,
        )
    assert int(token_reach((0, 2, 0, 2, 0, 2)).sum()) == 256 and int(token_reach((0,) * 6).sum()) == 16
