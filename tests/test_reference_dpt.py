"""DPT against the official counts and Hugging Face's DPTForDepthEstimation / DPTForSemanticSegmentation."""

from __future__ import annotations

import pytest
import torch

import vitlite
from vitlite.layers import count_parameters

transformers = pytest.importorskip("transformers")


@pytest.mark.parametrize("name,count", [("dpt_base", 110_878_081), ("dpt_large", 343_030_465)])
def test_official_counts(name, count):
    """CLS and position embeddings, the unused final LayerNorm and the depth head (331,969) included; no pooler."""
    assert count_parameters(vitlite.create_model(name, device="meta")) == count


def test_counts_equal_hugging_face_configurations():
    for ours, config in (
        ("dpt_base", transformers.DPTConfig()),
        (
            "dpt_large",
            transformers.DPTConfig(
                hidden_size=1024,
                num_hidden_layers=24,
                num_attention_heads=16,
                intermediate_size=4096,
                backbone_out_indices=[5, 11, 17, 23],
                neck_hidden_sizes=[256, 512, 1024, 1024],
            ),
        ),
    ):
        with torch.device("meta"):
            hf = transformers.DPTForDepthEstimation(config)
        assert count_parameters(vitlite.create_model(ours, device="meta")) == count_parameters(hf)


CONFIGS = [  # readout, hooks, widths, patch and image sizes
    dict(
        readout_type="project",
        hidden_size=32,
        num_hidden_layers=4,
        backbone_out_indices=[0, 1, 2, 3],
        neck_hidden_sizes=[8, 16, 24, 32],
        fusion_hidden_size=16,
        patch_size=8,
        image_size=64,
        reassemble_factors=[2, 1, 0.5, 0.25],
    ),
    dict(
        readout_type="add",
        hidden_size=48,
        num_hidden_layers=6,
        backbone_out_indices=[1, 2, 4, 5],
        neck_hidden_sizes=[16, 16, 32, 48],
        fusion_hidden_size=24,
        patch_size=4,
        image_size=32,
        reassemble_factors=[4, 2, 1, 0.5],
    ),
    dict(
        readout_type="ignore",
        hidden_size=32,
        num_hidden_layers=8,
        backbone_out_indices=[1, 3, 5, 7],
        neck_hidden_sizes=[8, 16, 32, 32],
        fusion_hidden_size=32,
        patch_size=16,
        image_size=64,
        reassemble_factors=[4, 2, 1, 0.5],
    ),
]


@pytest.mark.parametrize("head", ["DPTForDepthEstimation", "DPTForSemanticSegmentation"])
@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c["readout_type"])
def test_outputs_equal_hugging_face(config, head):
    torch.manual_seed(0)
    c = transformers.DPTConfig(
        num_attention_heads=2, intermediate_size=2 * config["hidden_size"], num_labels=5, **config
    )
    hf = getattr(transformers, head)(c).eval()
    with torch.no_grad():  # Hugging Face's initialisation is near zero in places; redraw every weight
        for p in hf.parameters():
            p.copy_(torch.randn_like(p) * 0.2)
    ours = vitlite.hub.from_transformers(hf).eval()
    hf, ours = hf.double(), ours.double()  # random weights make activations large: compare in float64
    size = config["image_size"]
    for x in (
        torch.randn(2, 3, size, size, dtype=torch.float64),
        torch.randn(1, 3, size + 4 * config["patch_size"], size + 4 * config["patch_size"], dtype=torch.float64),
    ):
        with torch.no_grad():
            result = hf(x)
            ref = result.predicted_depth if head == "DPTForDepthEstimation" else result.logits
            out = ours(x)
        assert out.shape == ref.shape
        assert (out - ref).abs().max() < 1e-9 * max(1.0, ref.abs().max().item())


def _bit(**overrides):
    settings = dict(
        global_padding="same",
        layer_type="bottleneck",
        depths=[3, 4, 9],
        out_features=["stage1", "stage2", "stage3"],
        embedding_dynamic_padding=True,
    )
    return transformers.BitConfig(**{**settings, **overrides})


def test_hybrid_count_equals_hugging_face():
    """DPT-Hybrid (Intel/dpt-hybrid-midas's configuration): 122,377,985 parameters."""
    config = transformers.DPTConfig(
        is_hybrid=True,
        backbone_config=_bit(),
        backbone_featmap_shape=[1, 1024, 24, 24],
        neck_hidden_sizes=[256, 512, 768, 768],
        reassemble_factors=[1, 1, 1, 0.5],
    )
    with torch.device("meta"):
        hf = transformers.DPTForDepthEstimation(config)
    assert count_parameters(hf) == 122_377_985 == count_parameters(vitlite.create_model("dpt_hybrid", device="meta"))


@pytest.mark.parametrize("size,depths", [(64, [1, 2, 1]), (80, [2, 1, 1])])  # 80: "same" padding pads unevenly
def test_hybrid_outputs_equal_hugging_face(size, depths):
    torch.manual_seed(0)
    grid = -(-size // 16)
    bit = _bit(depths=depths, hidden_sizes=[32, 64, 96, 128], embedding_size=16, num_groups=8)
    c = transformers.DPTConfig(
        is_hybrid=True,
        backbone_config=bit,
        backbone_featmap_shape=[1, 96, grid, grid],
        hidden_size=32,
        num_hidden_layers=4,
        num_attention_heads=2,
        intermediate_size=64,
        image_size=size,
        patch_size=16,
        backbone_out_indices=[0, 1, 2, 3],
        neck_hidden_sizes=[32, 64, 32, 32],
        reassemble_factors=[1, 1, 1, 0.5],
        fusion_hidden_size=16,
    )
    hf = transformers.DPTForDepthEstimation(c).eval()
    with torch.no_grad():
        for p in hf.parameters():
            p.copy_(torch.randn_like(p) * 0.2)
    ours = vitlite.hub.from_transformers(hf).eval()
    assert count_parameters(ours) == count_parameters(hf)
    hf, ours = hf.double(), ours.double()
    x = torch.randn(2, 3, size, size, dtype=torch.float64)
    with torch.no_grad():
        ref, out = hf(x).predicted_depth, ours(x)
    assert out.shape == ref.shape and (out - ref).abs().max() < 1e-9 * max(1.0, ref.abs().max().item())


def test_unsupported_backbones_are_refused_with_a_clear_message():
    c = transformers.DPTConfig(
        is_hybrid=True,
        backbone_config=_bit(layer_type="preactivation"),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
    )
    with torch.device("meta"):
        hf = transformers.DPTForDepthEstimation(c)
    with pytest.raises(ValueError, match="hybrid is supported"):
        vitlite.hub.from_transformers(hf)


def test_load_pretrained_keeps_the_depth_head(tmp_path, monkeypatch, capsys):
    """A depth checkpoint (saved locally: no network) comes back as a vitlite DPT with its depth head, not as
    the bare encoder that AutoModel would give, and predicts what Hugging Face's model predicts."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    torch.manual_seed(0)
    config = transformers.DPTConfig(**CONFIGS[0], num_attention_heads=2, intermediate_size=64)
    hf = transformers.DPTForDepthEstimation(config).eval()
    hf.save_pretrained(tmp_path)
    transformers.DPTImageProcessor(size={"height": 64, "width": 64}).save_pretrained(tmp_path)
    model = vitlite.hub.load_pretrained(str(tmp_path))
    assert model is not None, capsys.readouterr().out
    assert model.head_kind == "depth" and model.pretrained_cfg["image_size"] == 64
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        ours, theirs = model.eval()(x), hf(pixel_values=x).predicted_depth
    assert torch.allclose(ours.reshape(theirs.shape), theirs, atol=1e-4)
