"""DETR against Hugging Face transformers (with its own ResNet, use_timm_backbone=False): same weights,
same logits and boxes (random weights, offline)."""

from __future__ import annotations

import pytest
import torch

transformers = pytest.importorskip("transformers")

from helpers import max_diff, random_weights  # noqa: E402
from vitlite.hub import from_transformers  # noqa: E402

TOL = 1e-5

CONFIGS = [
    dict(
        backbone=dict(depths=[1, 1, 1, 1], hidden_sizes=[16, 32, 64, 128], embedding_size=8),
        d_model=32,
        encoder_layers=1,
        decoder_layers=2,
        heads=2,
        ffn=64,
        num_queries=5,
        num_labels=3,
        size=(64, 64),
    ),
    dict(
        backbone=dict(depths=[2, 1, 2, 1], hidden_sizes=[16, 32, 48, 64], embedding_size=16),
        d_model=48,
        encoder_layers=2,
        decoder_layers=3,
        heads=4,
        ffn=96,
        num_queries=7,
        num_labels=5,
        size=(96, 64),
    ),
    dict(
        backbone=dict(depths=[1, 2, 1, 1], hidden_sizes=[8, 16, 24, 32], embedding_size=8, layer_type="basic"),
        d_model=24,
        encoder_layers=1,
        decoder_layers=1,
        heads=3,
        ffn=48,
        num_queries=3,
        num_labels=2,
        size=(64, 128),
    ),
    dict(
        backbone=dict(
            depths=[1, 1, 1, 1], hidden_sizes=[16, 32, 64, 128], embedding_size=8, downsample_in_first_stage=True
        ),
        d_model=32,
        encoder_layers=2,
        decoder_layers=2,
        heads=8,
        ffn=32,
        num_queries=11,
        num_labels=4,
        size=(128, 96),
    ),
    dict(  # the encoder and the decoder set apart: heads 2 against 4, FFN 40 against 24
        backbone=dict(depths=[1, 1, 1, 1], hidden_sizes=[8, 16, 16, 24], embedding_size=8),
        d_model=16,
        encoder_layers=2,
        decoder_layers=3,
        heads=2,
        dec_heads=4,
        ffn=40,
        dec_ffn=24,
        num_queries=5,
        num_labels=3,
        size=(64, 64),
    ),
]
IDS = ["r-tiny-64", "r-deeper-96x64", "basic-64x128", "first-stage-stride-128x96", "enc-dec-apart-64"]


def _hf(config: dict):
    backbone = transformers.ResNetConfig(out_features=["stage4"], **config["backbone"])
    cfg = transformers.DetrConfig(
        use_timm_backbone=False,
        use_pretrained_backbone=False,
        backbone_config=backbone,
        d_model=config["d_model"],
        encoder_layers=config["encoder_layers"],
        decoder_layers=config["decoder_layers"],
        encoder_attention_heads=config["heads"],
        decoder_attention_heads=config.get("dec_heads", config["heads"]),
        encoder_ffn_dim=config["ffn"],
        decoder_ffn_dim=config.get("dec_ffn", config["ffn"]),
        num_queries=config["num_queries"],
        num_labels=config["num_labels"],
        attn_implementation="eager",
    )
    return random_weights(transformers.DetrForObjectDetection(cfg), std=0.1, buffers=True)


@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
def test_detr_equal(config):
    hf = _hf(config)
    ours = from_transformers(hf)
    x = torch.randn(2, 3, *config["size"], generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        ref = hf(pixel_values=x)
        out = ours(x)
    assert out["pred_logits"].shape == ref.logits.shape == (2, config["num_queries"], config["num_labels"] + 1)
    assert max_diff(out["pred_logits"], ref.logits) < TOL and max_diff(out["pred_boxes"], ref.pred_boxes) < TOL
    assert ref.logits.abs().max() > 1e-2  # a comparison of non-trivial outputs
    with torch.no_grad():  # and of attention that matters: the memory differs from position to position
        memory = ours.encode(x)[0]
    assert memory.std(dim=1).mean() > 0.1


def test_detr_r50_matches_the_hugging_face_count():
    import vitlite
    from vitlite.layers import count_parameters

    with torch.device("meta"):
        hf = transformers.DetrForObjectDetection(
            transformers.DetrConfig(use_timm_backbone=False, use_pretrained_backbone=False, num_labels=91)
        )
    assert count_parameters(vitlite.create_model("detr_resnet50", device="meta")) == count_parameters(hf) == 41_524_768


def test_timm_backbone_is_refused():
    cfg = transformers.DetrConfig(
        use_timm_backbone=False,
        use_pretrained_backbone=False,
        backbone_config=transformers.ResNetConfig(
            depths=[1, 1, 1, 1], hidden_sizes=[8, 8, 8, 8], embedding_size=8, out_features=["stage4"]
        ),
        d_model=16,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=16,
        decoder_ffn_dim=16,
        num_queries=2,
    )
    hf = transformers.DetrForObjectDetection(cfg)
    hf.config.use_timm_backbone = True
    with pytest.raises(ValueError, match="use_timm_backbone=False"):
        from_transformers(hf)
