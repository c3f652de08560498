"""Swin against Hugging Face transformers: same weights, same outputs (random weights, offline).

Hugging Face's Swin (4.57 and 5.x alike) fails when a stage's resolution is below the window
size: it sizes the relative-position table before shrinking the window. So it serves as the
reference wherever it runs, including the standard case where the last stage's resolution equals
the window and the shift is dropped; the shrinking window itself is checked in test_swin.py.
"""

from __future__ import annotations

import pytest
import torch

transformers = pytest.importorskip("transformers")

from helpers import max_diff, random_weights  # noqa: E402
from vitlite.hub import from_transformers  # noqa: E402
from vitlite.layers import attention_maps  # noqa: E402

TOL = 1e-5

CONFIGS = [
    dict(image_size=32, patch_size=2, embed_dim=8, depths=[2, 2], num_heads=[1, 2], window_size=4),
    dict(
        image_size=224, patch_size=4, embed_dim=12, depths=[2, 2, 2, 2], num_heads=[1, 2, 2, 4], window_size=7
    ),  # last stage 7x7: no shift
    dict(
        image_size=48, patch_size=2, embed_dim=8, depths=[2, 2], num_heads=[2, 2], window_size=5
    ),  # 24 and 12 tokens: padded windows
    dict(
        image_size=16,
        patch_size=2,
        embed_dim=8,
        depths=[1, 3, 2],
        num_heads=[1, 2, 4],
        window_size=2,
        qkv_bias=False,
        mlp_ratio=2.0,
    ),
]
IDS = ["32-w4", "224-w7", "48-w5-padded", "16-w2-nobias"]


def _hf(config: dict, cls_name: str):
    cfg = transformers.SwinConfig(num_labels=5, attn_implementation="eager", **config)
    return random_weights(getattr(transformers, cls_name)(cfg))


@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
def test_swin_model_equal(config):
    hf = _hf(config, "SwinModel")
    ours = from_transformers(hf)
    x = torch.randn(2, 3, config["image_size"], config["image_size"])
    with torch.no_grad():
        ref = hf(x, output_hidden_states=True, output_attentions=True)
        with attention_maps(ours) as maps:
            feats, hidden = ours.forward_features(x, return_hidden_states=True)
        pooled = ours.forward_head(feats)
    assert max_diff(feats, ref.last_hidden_state) < TOL
    assert max_diff(pooled, ref.pooler_output) < TOL
    assert len(hidden) == len(ref.hidden_states) == len(config["depths"]) + 1
    for a, b in zip(hidden, ref.hidden_states):
        assert max_diff(a, b) < TOL
    # Hugging Face reports the attention of each stage's last block
    assert len(ref.attentions) == len(config["depths"])
    for i, (depth, attn) in enumerate(zip(config["depths"], ref.attentions)):
        assert max_diff(maps[f"stages.{i}.blocks.{depth - 1}.attn"], attn) < TOL


@pytest.mark.parametrize("config", CONFIGS[:3], ids=IDS[:3])
def test_swin_classifier_equal(config):
    hf = _hf(config, "SwinForImageClassification")
    ours = from_transformers(hf)
    x = torch.randn(3, 3, config["image_size"], config["image_size"])
    with torch.no_grad():
        assert max_diff(ours(x), hf(x).logits) < TOL
