"""The schematics of chapters 01-04 and 08-10 read their shapes off the models they draw."""

from __future__ import annotations

import vitlite
from vitlite import schematics


def _texts(fig):
    return [t.get_text() for t in fig.axes[0].texts]


def test_attention_as_convolution_schematic_follows_the_layer_widths():
    texts = _texts(schematics.attention_as_convolution(vitlite.create_model("attnconv_edges")))
    assert "(1024, 27)" in texts and "32x32x32" in texts and "3x34x34" in texts
    assert any("head 0:" in t and "(-1, -1)" in t for t in texts) and any(
        "head 8:" in t and "(+1, +1)" in t for t in texts
    )
    assert any("9 heads x 1024 queries" in t and "1156 keys" in t for t in texts)
    texts = _texts(schematics.attention_as_convolution(vitlite.create_model("attnconv_edges", hidden=8), img_size=16))
    assert "(256, 27)" in texts and "8x16x16" in texts


def test_vit_schematic_shows_patches_tokens_and_block():
    texts = _texts(schematics.vit(vitlite.create_model("vit_tiny_shapes")))
    assert "(64, 48)" in texts and "(64, 64)" in texts and "(65, 64)" in texts
    assert any("MLP 64 -> 128 -> 64" in t for t in texts) and any("4 heads" in t for t in texts)
    texts = _texts(schematics.vit(vitlite.create_model("vit_tiny_shapes", patch_size=8)))
    assert "(16, 192)" in texts and "(17, 64)" in texts


def test_t2t_schematic_shows_the_soft_splits():
    texts = _texts(schematics.t2t(vitlite.create_model("t2t_vit_tiny_shapes")))
    assert (
        "(256, 75)" in texts
        and "24x16x16" in texts
        and "(64, 216)" in texts
        and "24x8x8" in texts
        and "(65, 64)" in texts
    )
    assert any("k5 s2 p2" in t for t in texts) and "16x16 tokens" in texts
    texts = _texts(schematics.t2t(vitlite.create_model("t2t_vit_tiny_shapes", strides=(2, 2, 2))))
    assert "(16, 216)" in texts and "(17, 64)" in texts


def test_swin_schematic_shows_stages_and_windows():
    texts = _texts(schematics.swin(vitlite.create_model("swin_tiny_shapes")))
    assert "(1024, 32)" in texts and "(256, 64)" in texts
    assert any("64 windows" in t and "16 tokens" in t for t in texts)
    assert any("SW-MSA" in t and "shift 2" in t for t in texts) and any("64x16x16" in t for t in texts)
    texts = _texts(schematics.swin(vitlite.create_model("swin_tiny_shapes", window_size=8)))
    assert any("16 windows" in t and "64 tokens" in t for t in texts) and any("shift 4" in t for t in texts)


def test_dino_schematic_shows_the_levels_and_queries():
    texts = _texts(schematics.dino(vitlite.create_model("dino_tiny_shapes")))
    assert "8x8 + 4x4" in texts and "(80, 128)" in texts and "10 anchors" in texts
    texts = _texts(schematics.dino(vitlite.create_model("dino_tiny_shapes", backbone_levels=(1, 2), num_queries=7)))
    assert "16x16 + 8x8 + 4x4" in texts and "7 anchors" in texts


def test_setr_schematic_follows_the_patch_size():
    texts = _texts(schematics.setr(vitlite.create_model("setr_naive_tiny_shapes")))
    assert "(65, 128)" in texts and "128x8x8" in texts
    texts = _texts(schematics.setr(vitlite.create_model("setr_naive_tiny_shapes", patch_size=16)))
    assert "(17, 128)" in texts


def test_dpt_schematic_shows_reassembled_and_fused_shapes():
    texts = _texts(schematics.dpt(vitlite.create_model("dpt_depth_tiny_shapes")))
    assert "32x16x16" in texts and "128x2x2" in texts and "64x32x32" in texts
    assert any("down /4" in t for t in texts) and any("up x2" in t for t in texts)
