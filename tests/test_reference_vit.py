"""ViT against Hugging Face transformers: same weights, same outputs (random weights, offline)."""

from __future__ import annotations

import pytest
import torch

transformers = pytest.importorskip("transformers")

from helpers import random_weights  # noqa: E402
from vitlite.hub import from_transformers, load_pretrained  # noqa: E402
from vitlite.layers import attention_maps  # noqa: E402

TOL = 1e-5

CONFIGS = [
    dict(image_size=32, patch_size=8, hidden_size=48, num_hidden_layers=2, num_attention_heads=4, intermediate_size=96),
    dict(
        image_size=32,
        patch_size=4,
        hidden_size=64,
        num_hidden_layers=3,
        num_attention_heads=8,
        intermediate_size=100,
        qkv_bias=False,
    ),
    dict(
        image_size=48,
        patch_size=16,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        num_channels=1,
        hidden_act="gelu_new",
    ),
    dict(
        image_size=64,
        patch_size=16,
        hidden_size=96,
        num_hidden_layers=4,
        num_attention_heads=6,
        intermediate_size=384,
        layer_norm_eps=1e-6,
    ),
]


def _hf(config: dict, cls_name: str, **kwargs):
    cfg = transformers.ViTConfig(num_labels=7, attn_implementation="eager", **config)
    return random_weights(getattr(transformers, cls_name)(cfg, **kwargs))


def _compare(hf, ours, x, interpolate=False):
    with torch.no_grad():
        ref = hf(x, output_hidden_states=True, output_attentions=True, interpolate_pos_encoding=interpolate)
        with attention_maps(ours) as maps:
            feats, hidden = ours.forward_features(x, return_hidden_states=True)
            out = ours.forward_head(feats)
    return ref, feats, hidden, out, maps


@pytest.mark.parametrize(
    "config", CONFIGS, ids=lambda c: f"p{c['patch_size']}-d{c['hidden_size']}-L{c['num_hidden_layers']}"
)
def test_vit_model_equal(config):
    hf = _hf(config, "ViTModel")
    ours = from_transformers(hf)
    x = torch.randn(2, config.get("num_channels", 3), config["image_size"], config["image_size"])
    ref, feats, hidden, pooled, maps = _compare(hf, ours, x)
    assert (feats - ref.last_hidden_state).abs().max() < TOL
    assert (pooled - ref.pooler_output).abs().max() < TOL
    assert len(hidden) == len(ref.hidden_states)
    for a, b in zip(hidden, ref.hidden_states):
        assert (a - b).abs().max() < TOL
    assert len(maps) == config["num_hidden_layers"]
    for i, attn in enumerate(ref.attentions):
        assert (maps[f"blocks.{i}.attn"] - attn).abs().max() < TOL


@pytest.mark.parametrize("config", CONFIGS[:2], ids=["p8", "p4-nobias"])
def test_vit_model_without_pooler(config):
    hf = _hf(config, "ViTModel", add_pooling_layer=False)
    ours = from_transformers(hf)
    assert ours.pooler is None
    x = torch.randn(1, 3, config["image_size"], config["image_size"])
    ref, feats, *_ = _compare(hf, ours, x)
    assert (feats - ref.last_hidden_state).abs().max() < TOL


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: f"p{c['patch_size']}-d{c['hidden_size']}")
def test_vit_classifier_equal(config):
    hf = _hf(config, "ViTForImageClassification")
    ours = from_transformers(hf)
    x = torch.randn(3, config.get("num_channels", 3), config["image_size"], config["image_size"])
    with torch.no_grad():
        assert (ours(x) - hf(x).logits).abs().max() < TOL


def test_vit_other_image_size_matches_interpolation():
    config = CONFIGS[0]
    hf = _hf(config, "ViTModel")
    ours = from_transformers(hf)
    x = torch.randn(1, 3, 48, 40)  # a 6x5 grid instead of 4x4
    ref, feats, *_ = _compare(hf, ours, x, interpolate=True)
    assert (feats - ref.last_hidden_state).abs().max() < TOL


def test_unsupported_model_is_named():
    with pytest.raises(ValueError, match="no vitlite equivalent for Linear"):
        from_transformers(torch.nn.Linear(2, 2))


def test_load_pretrained_offline_prints_one_line(capsys, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert load_pretrained("google/vit-base-patch16-224") is None
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "skipped" in out[0] and "google/vit-base-patch16-224" in out[0]
