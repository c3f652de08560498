"""MobileViT against Hugging Face transformers: same weights, same outputs (random weights, offline)."""

from __future__ import annotations

import pytest
import torch

transformers = pytest.importorskip("transformers")

from helpers import max_diff, random_weights  # noqa: E402
from vitlite.hub import from_transformers  # noqa: E402

TOL = 1e-5

CONFIGS = [
    dict(
        image_size=64,
        hidden_sizes=[16, 24, 32],
        neck_hidden_sizes=[8, 8, 16, 16, 24, 32, 64],
        num_attention_heads=2,
        expand_ratio=2.0,
    ),
    dict(
        image_size=96,
        hidden_sizes=[32, 40, 48],
        neck_hidden_sizes=[16, 16, 24, 32, 40, 48, 96],
        num_attention_heads=4,
        expand_ratio=4.0,
        mlp_ratio=3.0,
    ),
    dict(
        image_size=80,
        hidden_sizes=[24, 24, 36],
        neck_hidden_sizes=[8, 16, 16, 24, 24, 32, 48],
        num_attention_heads=1,
        expand_ratio=3.0,
        qkv_bias=False,
    ),  # 80: odd maps at the last stages
    dict(
        image_size=64,
        hidden_sizes=[16, 32, 48],
        neck_hidden_sizes=[8, 8, 16, 24, 32, 40, 80],
        num_attention_heads=8,
        expand_ratio=2.0,
        num_channels=1,
    ),
]
IDS = ["xxs-like-64", "4heads-mlp3-96", "odd-maps-80-nobias", "8heads-1ch"]


def _hf(config: dict, cls_name: str, **kwargs):
    cfg = transformers.MobileViTConfig(num_labels=7, **config, **kwargs)
    return random_weights(getattr(transformers, cls_name)(cfg), std=0.1)


def _x(config: dict, batch: int = 2, size: int | None = None) -> torch.Tensor:
    side = size or config["image_size"]
    return torch.randn(batch, config.get("num_channels", 3), side, side, generator=torch.Generator().manual_seed(0))


@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
def test_classifier_equal(config):
    hf = _hf(config, "MobileViTForImageClassification")
    ours = from_transformers(hf)
    x = _x(config)
    with torch.no_grad():
        assert max_diff(ours(x), hf(x).logits) < TOL


@pytest.mark.parametrize("config", CONFIGS[:2], ids=IDS[:2])
def test_model_equal_stage_by_stage(config):
    hf = _hf(config, "MobileViTModel")
    ours = from_transformers(hf)
    x = _x(config)
    with torch.no_grad():
        ref = hf(x, output_hidden_states=True)
        stages = ours.forward_stages(x)
        assert len(stages) == len(ref.hidden_states) == 5
        for a, b in zip(stages, ref.hidden_states):
            assert max_diff(a, b) < TOL
        assert max_diff(ours.forward_features(x), ref.last_hidden_state) < TOL
        assert max_diff(ours.forward_features(x).mean((-2, -1)), ref.pooler_output) < TOL
        # a comparison of outputs that depend on the image: another input moves the last stage far more than TOL
        assert max_diff(hf(torch.flip(x, dims=(-1,))).last_hidden_state, ref.last_hidden_state) > 100 * TOL


def test_other_input_size_equal():
    config = CONFIGS[1]
    hf = _hf(config, "MobileViTForImageClassification")
    ours = from_transformers(hf)
    x = _x(config, size=128)
    with torch.no_grad():
        assert max_diff(ours(x), hf(x).logits) < TOL


@pytest.mark.parametrize("output_stride", [32, 16, 8])
@pytest.mark.parametrize("config", CONFIGS[:3], ids=IDS[:3])
def test_segmentation_equal(config, output_stride):
    hf = _hf(
        config,
        "MobileViTForSemanticSegmentation",
        output_stride=output_stride,
        aspp_out_channels=32,
        atrous_rates=[2, 3, 4],
    )
    ours = from_transformers(hf)
    x = _x(config)
    with torch.no_grad():
        logits = hf(x).logits
        assert logits.shape[-1] == -(-config["image_size"] // output_stride)  # stride-2 convs round up
        assert ours.forward_logits(x).shape == logits.shape
        assert max_diff(ours.forward_logits(x), logits) < TOL
        assert ours(x).shape == (2, 7, config["image_size"], config["image_size"])


def test_official_dilation_differs_from_hugging_face_only_when_dilated():
    """ml-cvnets dilates the MobileViT block's local 3x3 convolution in dilated stages; Hugging Face does
    not. Both agree at output stride 32, where nothing is dilated."""
    for output_stride, same in ((32, True), (8, False)):
        hf = _hf(
            CONFIGS[0],
            "MobileViTForSemanticSegmentation",
            output_stride=output_stride,
            aspp_out_channels=32,
            atrous_rates=[2, 3, 4],
        )
        ours = from_transformers(hf)
        official = type(ours.backbone)(
            **{**_backbone_kwargs(CONFIGS[0]), "output_stride": output_stride, "local_dilation": True}
        )
        official.load_state_dict(ours.backbone.state_dict())
        official.eval()
        x = _x(CONFIGS[0])
        with torch.no_grad():
            diff = max_diff(official.forward_stages(x)[-1], ours.backbone.forward_stages(x)[-1])
        assert (diff < TOL) == same, f"output stride {output_stride}: difference {diff}"


def _backbone_kwargs(config: dict) -> dict:
    return dict(
        img_size=config["image_size"],
        num_classes=0,
        channels=tuple(config["neck_hidden_sizes"][:6]),
        dims=tuple(config["hidden_sizes"]),
        exp_channels=0,
        num_heads=config["num_attention_heads"],
        expand_ratio=config["expand_ratio"],
    )


def test_paper_sizes_match_hugging_face_counts():
    import vitlite
    from vitlite.layers import count_parameters

    sizes = {
        "mobilevit_xxs": ([64, 80, 96], [16, 16, 24, 48, 64, 80, 320], 2.0),
        "mobilevit_xs": ([96, 120, 144], [16, 32, 48, 64, 80, 96, 384], 4.0),
        "mobilevit_s": ([144, 192, 240], [16, 32, 64, 96, 128, 160, 640], 4.0),
    }
    for name, (hidden, neck, expand) in sizes.items():
        with torch.device("meta"):
            hf = transformers.MobileViTForImageClassification(
                transformers.MobileViTConfig(
                    hidden_sizes=hidden, neck_hidden_sizes=neck, expand_ratio=expand, num_labels=1000
                )
            )
        assert count_parameters(vitlite.create_model(name, device="meta")) == count_parameters(hf)
