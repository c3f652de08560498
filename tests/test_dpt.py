"""DPT's pieces: readout modes, reassemble shapes, fusion, heads and bad settings."""

from __future__ import annotations

import pytest
import torch

import vitlite
from vitlite.models import dpt as D


def test_readout_modes_by_hand():
    tokens = torch.randn(2, 1 + 4, 6)
    assert torch.equal(D.Readout("ignore", 6)(tokens), tokens[:, 1:])
    assert torch.equal(D.Readout("add", 6)(tokens), tokens[:, 1:] + tokens[:, :1])
    project = D.Readout("project", 6)
    expected = torch.nn.functional.gelu(
        project.project[0](torch.cat([tokens[:, 1:], tokens[:, :1].expand(-1, 4, -1)], -1))
    )
    torch.testing.assert_close(project(tokens), expected)
    with pytest.raises(ValueError, match="readout"):
        D.Readout("mean", 6)


def test_reassemble_shapes_match_the_model():
    model = vitlite.create_model("dpt_depth_tiny_shapes").eval()
    for size in (64, 96):
        feats = model.features(torch.rand(1, 3, size, size))
        got = [tuple(m.shape[1:]) for m in feats["reassembled"]]
        assert got == D.reassemble_shapes((size, size), 8, (2, 1, 0.5, 0.25), (32, 64, 128, 128))
    assert D.reassemble_shapes((384, 384), 16, (4, 2, 1, 0.5), (96, 192, 384, 768)) == [
        (96, 96, 96),
        (192, 48, 48),
        (384, 24, 24),
        (768, 12, 12),
    ]


def test_heads_return_the_input_size():
    x = torch.rand(2, 3, 64, 64)
    depth = vitlite.create_model("dpt_depth_tiny_shapes").eval()
    assert depth(x).shape == (2, 64, 64) and (depth(x) >= 0).all()  # the depth head ends in ReLU
    seg = vitlite.create_model("dpt_segmentation_tiny_shapes").eval()
    assert seg(x).shape == (2, 6, 64, 64)


def test_fusion_goes_coarse_to_fine():
    model = vitlite.create_model("dpt_depth_tiny_shapes").eval()
    fused = model.features(torch.rand(1, 3, 64, 64))["fused"]
    assert [f.shape[-1] for f in fused] == [4, 8, 16, 32]


def test_residual_conv_unit_is_pre_activation():
    rcu = D.ResidualConvUnit(4)
    x = torch.randn(1, 4, 5, 5)
    torch.testing.assert_close(rcu(x), x + rcu.conv2(torch.relu(rcu.conv1(torch.relu(x)))))


def test_bad_settings():
    with pytest.raises(ValueError, match="one entry per stage"):
        vitlite.create_model("dpt_depth_tiny_shapes", hooks=(1, 2, 3))
    with pytest.raises(ValueError, match="block indices"):
        vitlite.create_model("dpt_depth_tiny_shapes", hooks=(1, 3, 5, 8))
    with pytest.raises(ValueError, match="1/n"):
        vitlite.create_model("dpt_depth_tiny_shapes", factors=(2, 1, 0.5, 0.3))
    with pytest.raises(ValueError, match="head"):
        vitlite.create_model("dpt_depth_tiny_shapes", head="normals")


def test_same_padding_and_weight_standardisation():
    from vitlite.models.bit import StdConv2d, same_padding

    assert same_padding(7, 3, 2) == (1, 1) and same_padding(8, 3, 2) == (0, 1) and same_padding(8, 1, 2) == (0, 0)
    conv = StdConv2d(3, 4, 3, stride=2)
    x = torch.randn(1, 3, 9, 8)
    assert conv(x).shape == (1, 4, 5, 4)  # ceil(9 / 2), ceil(8 / 2)
    w = conv.weight.flatten(1)
    standard = ((w - w.mean(1, keepdim=True)) / torch.sqrt(w.var(1, unbiased=False, keepdim=True) + 1e-8)).view_as(
        conv.weight
    )
    padded = torch.nn.functional.pad(x, (0, 1, 1, 1))  # width 8 pads (0, 1), height 9 pads (1, 1)
    torch.testing.assert_close(conv(x), torch.nn.functional.conv2d(padded, standard, stride=2))


def test_hybrid_reads_bit_for_its_two_finest_maps():
    model = vitlite.create_model(
        "dpt_hybrid",
        embed_dim=64,
        depth=4,
        num_heads=2,
        hooks=(0, 1, 2, 3),
        neck_channels=(256, 512, 64, 64),
        fusion_channels=32,
        img_size=64,
    ).eval()
    maps = model.features(torch.rand(1, 3, 64, 64))["reassembled"]
    assert [tuple(m.shape[1:]) for m in maps] == [(256, 16, 16), (512, 8, 8), (64, 4, 4), (64, 2, 2)]
    assert not hasattr(model.encoder, "patch_embed")  # the tokens come from BiT's stride-16 map


def test_depth_head_starts_open_for_every_seed():
    """The final ReLU must not start closed: before the fix, 7 of these 12 seeds output zero everywhere
    (the head's output is nearly constant at initialisation and takes the last bias's sign)."""
    images = torch.rand(4, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    for seed in range(12):
        torch.manual_seed(seed)
        model = vitlite.create_model("dpt_depth_tiny_shapes").eval()
        with torch.no_grad():
            out = model(images)
        assert (out > 0).float().mean() > 0.99, f"seed {seed}: the depth head starts dead"
