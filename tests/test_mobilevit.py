"""MobileViT v1, v2 and v3: the pieces, the controls, the looking-inside helpers, the explorers and the schematics."""

from __future__ import annotations

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

import vitlite
from vitlite import schematics
from vitlite.layers import count_parameters, effective_receptive_field
from vitlite.models import mobilevit as mv
from vitlite.models import mobilevitv2 as v2


def _loop_unfold(x: torch.Tensor, p: int) -> torch.Tensor:
    b, d, h, w = x.shape
    nh, nw = h // p, w // p
    out = torch.empty(b * p * p, nh * nw, d)
    for image in range(b):
        for i in range(p):
            for j in range(p):
                for r in range(nh):
                    for c in range(nw):
                        out[image * p * p + i * p + j, r * nw + c] = x[image, :, r * p + i, c * p + j]
    return out


@pytest.mark.parametrize("shape, p", [((2, 3, 4, 6), 2), ((1, 5, 9, 6), 3), ((1, 2, 4, 4), 1)])
def test_unfold_equals_a_loop_and_fold_inverts_it(shape, p):
    x = torch.randn(shape)
    patches = mv.unfold_patches(x, p)
    assert torch.equal(patches, _loop_unfold(x, p))
    assert torch.equal(mv.fold_patches(patches, (shape[2] // p, shape[3] // p), p), x)


def test_v2_layout_is_the_same_unfolding():
    x = torch.randn(2, 6, 8, 4)
    a = mv.unfold_patches(x, 2)  # (B*P, N, d)
    b = v2.unfold_2d(x, 2)  # (B, d, P, N)
    assert torch.equal(a.reshape(2, 4, 8, 6).permute(0, 3, 1, 2), b)
    assert torch.equal(v2.fold_2d(b, (4, 2), 2), x)


def test_make_divisible():
    assert [mv.make_divisible(v) for v in (8, 12, 20, 33, 100)] == [8, 16, 24, 32, 104]
    assert mv.make_divisible(3) == 8  # never below the divisor
    assert (
        mv.make_divisible(19, 16) == 32 and mv.make_divisible(17, 16) == 16
    )  # 16 is more than 10% below 19, not below 17


def test_inverted_residual_shapes_residual_and_count():
    block = mv.InvertedResidual(16, 16, stride=1, expand_ratio=4.0).eval()
    x = torch.randn(1, 16, 8, 8)
    assert block.use_residual
    with torch.no_grad():
        assert torch.allclose(block(x), x + block.project(block.depthwise(block.expand(x))))
    down = mv.InvertedResidual(16, 24, stride=2, expand_ratio=2.0)
    assert not down.use_residual and down(x).shape == (1, 24, 4, 4)
    hidden = 32
    assert count_parameters(down) == 16 * hidden + 2 * hidden + 11 * hidden + hidden * 24 + 2 * 24
    assert isinstance(mv.InvertedResidual(8, 8, expand_ratio=1.0).expand, torch.nn.Identity)
    with pytest.raises(ValueError, match="stride must be 1 or 2"):
        mv.InvertedResidual(8, 8, stride=3)


def test_block_without_attention_is_a_per_pixel_network_after_the_convolutions():
    block = mv.MobileViTBlock(8, 16, depth=2, num_heads=2, attention=False).eval()
    assert all(layer.attn is None for layer in block.transformer)
    x = torch.zeros(1, 8, 8, 8)
    x[0, :, 0, 0] = 1.0  # one corner pixel
    local = block.conv_1x1(block.conv_kxk(x))
    out = block.global_representation(local)
    reference = block.global_representation(block.conv_1x1(block.conv_kxk(torch.zeros_like(x))))
    changed = (out - reference).abs().sum(1)[0] > 1e-6
    assert changed[:3, :3].any() and not changed[3:, 3:].any()  # only the 3x3 conv's reach moves


def test_attention_spreads_one_pixel_over_the_whole_map():
    torch.manual_seed(0)
    block = mv.MobileViTBlock(8, 16, depth=1, num_heads=2).eval()
    x = torch.zeros(1, 8, 8, 8)
    base = block(x)
    x[0, :, 0, 0] = 3.0
    changed = (block(x) - base).abs().sum(1)[0] > 1e-6
    # attention reaches every pixel at the same place in its 2x2 patch as any pixel the local conv reached
    assert changed[0::2, 0::2].all() and changed[1::2, 1::2].all()


def test_odd_maps_are_resized_as_the_official_code_does():
    """ml-cvnets: v1 resizes an odd map for its unfolding and back; v2 resizes the block's input up to
    even sides before its local convolution and keeps them."""
    block = mv.MobileViTBlock(8, 16, depth=1, num_heads=2).eval()
    assert block(torch.randn(2, 8, 7, 5)).shape == (2, 8, 7, 5)
    block2 = v2.MobileViTv2Block(8, 16, depth=1).eval()
    x = torch.randn(2, 8, 7, 5)
    assert block2(x).shape == (2, 8, 8, 6)
    even = torch.nn.functional.interpolate(x, size=(8, 6), mode="bilinear", align_corners=True)
    assert torch.allclose(block2(x), block2(even))  # the resize comes first, before the local convolution
    with pytest.raises(ValueError, match="divisible by the patch size"):
        block2.global_representation(torch.randn(1, 16, 7, 5))


@pytest.mark.parametrize("block", ["v1", "v3", "v2", "v3-v2"])
def test_course_model_in_every_version(block):
    model = vitlite.create_model("mobilevit_tiny_shapes", block=block, num_classes=3)
    out = model(torch.rand(2, 3, 64, 64))
    assert out.shape == (2, 3)
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad)


def test_v3_control_differs_only_in_the_residual():
    torch.manual_seed(0)
    a = vitlite.create_model("mobilevit_tiny_shapes", block="v3").eval()
    b = vitlite.create_model("mobilevit_tiny_shapes", block="v3", input_residual=False).eval()
    b.load_state_dict(a.state_dict())
    assert count_parameters(a) == count_parameters(b)
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        assert not torch.allclose(a(x), b(x))


def test_bad_configurations():
    with pytest.raises(ValueError, match="block must be 'v1', 'v3', 'v2' or 'v3-v2'"):
        vitlite.create_model("mobilevit_tiny_shapes", block="v4")
    with pytest.raises(ValueError, match="channels needs 5 entries"):
        vitlite.create_model("mobilevit_tiny_shapes", channels=(16, 16, 24))
    with pytest.raises(ValueError, match="output_stride must be 8, 16 or 32"):
        vitlite.create_model("mobilevit_tiny_shapes", output_stride=4)
    with pytest.raises(ValueError, match="exp_channels=0"):
        mv.MobileViTSegmentation(vitlite.create_model("mobilevit_tiny_shapes"), 3)
    with pytest.raises(ValueError, match="fusion must be"):
        mv.MobileViTBlock(8, 16, fusion="v2")


def test_segmentation_models_upsample_to_the_input():
    for name in ("mobilevit_deeplabv3_tiny_shapes", "mobilenetv2_deeplabv3_tiny_shapes"):
        model = vitlite.create_model(name)
        x = torch.rand(2, 3, 64, 64)
        assert model.forward_logits(x).shape == (2, 6, 8, 8) and model(x).shape == (2, 6, 64, 64)


def test_effective_receptive_field_of_a_convolution():
    conv = torch.nn.Sequential(torch.nn.Conv2d(1, 1, 3, padding=1), torch.nn.Conv2d(1, 1, 3, padding=1))
    with torch.no_grad():
        for layer in conv:
            layer.weight.fill_(1.0)
    erf = effective_receptive_field(conv, torch.zeros(1, 1, 9, 9), conv[1], 4, 4)
    assert (erf > 0).sum() == 25 and erf[4, 4] == erf.max()  # two 3x3 layers see 5x5
    with pytest.raises(ValueError, match="outside"):
        effective_receptive_field(conv, torch.zeros(1, 1, 9, 9), conv[1], 9, 0)
    with pytest.raises(ValueError, match="did not run"):
        effective_receptive_field(conv, torch.zeros(1, 1, 9, 9), torch.nn.ReLU(), 0, 0)


def test_receptive_fields_of_the_course_model():
    torch.manual_seed(0)
    model = vitlite.create_model("mobilevit_tiny_shapes")
    block = mv.mobilevit_blocks(model)[0]
    image = torch.rand(1, 3, 64, 64)
    local = effective_receptive_field(model, image, block.conv_1x1, 4, 4) > 0
    whole = effective_receptive_field(model, image, block, 4, 4) > 0
    assert local.sum() < whole.sum() and whole.float().mean() > 0.9  # after attention: (almost) every pixel


def test_attended_pixels_only_at_the_same_place_in_their_patch():
    torch.manual_seed(0)
    model = vitlite.create_model("mobilevit_tiny_shapes")
    weights, (r, c) = mv.attended_pixels(model, torch.rand(3, 64, 64), block=0, row=21, col=42)
    assert (r, c) == (2, 5) and weights.shape == (8, 8)
    same = torch.zeros(8, 8, dtype=torch.bool)
    same[r % 2 :: 2, c % 2 :: 2] = True
    assert (weights[~same] == 0).all() and torch.isclose(weights[same].sum(), torch.tensor(1.0), atol=1e-5)
    with pytest.raises(ValueError, match="no attention layers"):
        mv.attended_pixels(
            vitlite.create_model("mobilevit_tiny_shapes", attention=False), torch.rand(3, 64, 64), 0, 0, 0
        )


def test_global_reach_counts_only_what_attention_brings_from_beyond_the_convolutions():
    torch.manual_seed(0)
    images = torch.rand(4, 3, 64, 64)
    model = vitlite.create_model("mobilevit_tiny_shapes")
    share, field, reach = mv.global_reach(model, images, block=0)
    # the centre cell (4, 4) of the 8x8 grid: the convolutions before the global representation reach
    # a 43x43 square (stem, two MobileNetV2 stages, the downsampling block and the local 3x3)
    rows, cols = reach.any(1).nonzero().flatten(), reach.any(0).nonzero().flatten()
    assert (rows.min().item(), rows.max().item(), cols.min().item(), cols.max().item()) == (11, 53, 11, 53)
    assert reach.sum().item() == 43 * 43
    assert share.shape == (4,) and (share > 0.1).all() and (share < 1).all()
    assert torch.isclose(field.sum(), torch.tensor(1.0), atol=1e-5)
    control = vitlite.create_model("mobilevit_tiny_shapes", attention=False)
    share_c, _, reach_c = mv.global_reach(control, images, block=0)
    assert (share_c == 0).all() and torch.equal(reach_c, reach)
    with pytest.raises(ValueError, match="block must be in"):
        mv.global_reach(model, images, block=2)
    with pytest.raises(ValueError, match="batch"):
        mv.global_reach(model, images[0], block=0)


def test_corner_readout_reads_one_cell_and_mobilenetv2_still_pools():
    torch.manual_seed(0)
    model = vitlite.create_model("mobilevit_tiny_shapes", readout="corner").eval()
    x = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        features = model.forward_features(x)
        assert torch.allclose(model(x), model.head(features[:, :, 0, 0]))
    with pytest.raises(ValueError, match="readout must be"):
        vitlite.create_model("mobilevit_tiny_shapes", readout="max")
    cnn = vitlite.create_model("mobilenetv2_tiny_shapes").eval()
    with torch.no_grad():
        assert torch.allclose(cnn(x), cnn.head(cnn.forward_features(x).mean(dim=(-2, -1))))


def test_context_scores_sum_to_one_per_sequence():
    torch.manual_seed(0)
    model = vitlite.create_model("mobilevit_tiny_shapes", block="v2")
    scores = v2.context_scores(model, torch.rand(3, 64, 64), block=1)
    assert scores.shape == (4, 4)
    for i in range(2):
        for j in range(2):
            assert torch.isclose(scores[i::2, j::2].sum(), torch.tensor(1.0), atol=1e-5)
    with pytest.raises(ValueError, match="no MobileViT v2"):
        v2.context_scores(vitlite.create_model("mobilevit_tiny_shapes"), torch.rand(3, 64, 64), 0)


def test_linformer_is_linear_and_self_attention_quadratic():
    def macs(unit, x):
        with FlopCounterMode(display=False) as counter, torch.no_grad():
            unit(x)
        return counter.get_total_flops()

    a, b = (
        macs(v2.LinformerAttention(16, 512, k=32), torch.zeros(1, 512, 16)),
        macs(v2.LinformerAttention(16, 1024, k=32), torch.zeros(1, 1024, 16)),
    )
    assert b == 2 * a
    assert v2.LinformerAttention(16, 10, k=32)(torch.zeros(2, 10, 16)).shape == (2, 10, 16)  # k is capped at N


def test_explorers_render():
    from vitlite.explore import context_score_explorer, mobilevit_explorer

    torch.manual_seed(0)
    images = torch.rand(2, 3, 64, 64)
    ex = mobilevit_explorer(vitlite.create_model("mobilevit_tiny_shapes"), images)
    assert set(ex.controls) == {"image", "block", "row", "col"}
    fig = ex.figure(image=1, block=1, row=63, col=0)
    assert len(fig.axes) >= 4 and fig._repr_png_().startswith(b"\x89PNG")
    ex2 = context_score_explorer(vitlite.create_model("mobilevit_tiny_shapes", block="v2"), images)
    assert ex2.figure(image=0, block=1)._repr_png_().startswith(b"\x89PNG")
    with pytest.raises(ValueError):
        ex.figure(block=2)


def test_schematics_read_shapes_from_the_model():
    model = vitlite.create_model("mobilevit_tiny_shapes")
    shapes = schematics.traced_shapes(model, torch.zeros(1, 3, 64, 64), {"stem": model.stem, "last": model.stages[-1]})
    assert shapes == {"stem": (16, 32, 32), "last": (48, 4, 4)}
    texts = [t.get_text() for t in schematics.mobilevit(model).axes[0].texts]
    assert "16x32x32" in texts and "(4, 16, 48)" in texts
    texts = [t.get_text() for t in schematics.mobilevit_versions().axes[0].texts]
    assert "(48, 4, 16)" in texts and "80x8x8" in texts


# ---------------------------------------------------------------- the exercises' checkers (chapters 05, 06)
from vitlite import checks  # noqa: E402
from vitlite.checks import CORRECT, NOT_ATTEMPTED, WRONG  # noqa: E402


def _not_implemented(*args):
    raise NotImplementedError


def _ir_params(cin, cout, t, s):
    hidden = mv.make_divisible(int(round(cin * t)))
    return (cin * hidden + 2 * hidden if t != 1 else 0) + 11 * hidden + hidden * cout + 2 * cout


def _unfold(x, p):
    b, d, h, w = x.shape
    return x.reshape(b, d, h // p, p, w // p, p).permute(0, 3, 5, 2, 4, 1).reshape(b * p * p, (h // p) * (w // p), d)


def _fold(patches, grid, p):
    nh, nw = grid
    return (
        patches.reshape(-1, p, p, nh, nw, patches.shape[-1])
        .permute(0, 5, 3, 1, 4, 2)
        .reshape(-1, patches.shape[-1], nh * p, nw * p)
    )


def _separable(x, wq, bq, wo, bo):
    d = wo.shape[0]
    q, k, v = (torch.einsum("oc,bcpn->bopn", wq, x) + bq[None, :, None, None]).split([1, d, d], 1)
    return (
        torch.einsum("oc,bcpn->bopn", wo, torch.relu(v) * (k * q.softmax(-1)).sum(-1, keepdim=True))
        + bo[None, :, None, None]
    )


def _separable_wrong_axis(x, wq, bq, wo, bo):
    d = wo.shape[0]
    q, k, v = (torch.einsum("oc,bcpn->bopn", wq, x) + bq[None, :, None, None]).split([1, d, d], 1)
    return (
        torch.einsum("oc,bcpn->bopn", wo, torch.relu(v) * (k * q.softmax(2)).sum(-1, keepdim=True))
        + bo[None, :, None, None]
    )


CASES = {
    "inverted_residual_params": (
        _ir_params,
        lambda cin, cout, t, s: _ir_params(cin, cout, t, s) - 2 * (2 * mv.make_divisible(int(round(cin * t))) + cout),
        "BatchNorm has 2 parameters per channel",
    ),
    "patch_attention_macs": (
        lambda h, w, d, p: 2 * h * w * h * w * d // (p * p),
        lambda h, w, d, p: h * w * h * w * d // (p * p),
        "one of the two products",
    ),
    "separable_attention": (_separable, _separable_wrong_axis, "softmax over the N tokens"),
    "separable_macs": (
        lambda n, d: (1 + 2 * d) * d * n + d * d * n + 2 * d * n,
        lambda n, d: (1 + 2 * d) * d * n + d * d * n,
        "the two projections only",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_checkers(name):
    check = getattr(checks, name)
    right, wrong, hint = CASES[name]
    assert check(right).status == CORRECT, str(check(right))
    result = check(wrong)
    assert result.status == WRONG and hint in result.message, str(result)
    assert check(None).status == NOT_ATTEMPTED and check(_not_implemented).status == NOT_ATTEMPTED


def test_unfold_fold_checker_takes_two_functions():
    assert checks.unfold_fold(_unfold, _fold).status == CORRECT
    assert checks.unfold_fold(_unfold, None).status == NOT_ATTEMPTED
    wrong = checks.unfold_fold(lambda x, p: mv.unfold_patches(x.transpose(2, 3), p), _fold)
    assert wrong.status == WRONG and "patches" in wrong.message


def test_prediction_checker():
    assert checks.flop_ratio_at_8192(None).status == NOT_ATTEMPTED
    assert checks.flop_ratio_at_8192(86.2).status == CORRECT  # the fit a N + b N^2 through 2,048 and 4,096 tokens
    assert checks.flop_ratio_at_8192(85.5).status == CORRECT
    doubled = checks.flop_ratio_at_8192(87.5)  # twice 43.77, the trap the exercise names
    assert doubled.status == WRONG and "twice the ratio at 4,096" in doubled.message
    far = checks.flop_ratio_at_8192(44.0)
    assert far.status == WRONG and "measured 86.2x" in far.message
    assert "give the ratio as a number" in checks.flop_ratio_at_8192("85").message
