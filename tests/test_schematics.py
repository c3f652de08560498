"""The schematics of chapters 08-10 read their shapes off the models they draw."""

from __future__ import annotations

import vitlite
from vitlite import schematics


def _texts(fig):
    return [t.get_text() for t in fig.axes[0].texts]


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
