"""Official checkpoints through vitlite.hub.load_pretrained, tested offline: a tiny model of each
classification architecture the chapters show on real photos (Swin, MobileViT, MobileViTV2, ViT), with
random weights, saved by transformers' save_pretrained into a folder with its image processor, comes
back as a vitlite model equal to the transformers model, preprocessing photos exactly as the processor
does (MobileViT's flips RGB to BGR and does not normalise)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

transformers = pytest.importorskip("transformers")

import vitlite  # noqa: E402
from helpers import random_weights  # noqa: E402

LABELS = {i: f"class {i}" for i in range(6)}
CASES = {
    "swin": (
        lambda: transformers.SwinForImageClassification(
            transformers.SwinConfig(
                image_size=32,
                patch_size=2,
                embed_dim=8,
                depths=[2, 2],
                num_heads=[1, 2],
                window_size=4,
                id2label=LABELS,
                label2id={v: k for k, v in LABELS.items()},
                attn_implementation="eager",
            )
        ),
        lambda: transformers.ViTImageProcessor(size={"height": 32, "width": 32}),
    ),
    "mobilevit": (
        lambda: transformers.MobileViTForImageClassification(
            transformers.MobileViTConfig(
                image_size=64,
                hidden_sizes=[16, 24, 32],
                neck_hidden_sizes=[8, 8, 16, 16, 24, 32, 64],
                num_attention_heads=2,
                expand_ratio=2.0,
                id2label=LABELS,
                label2id={v: k for k, v in LABELS.items()},
            )
        ),
        lambda: transformers.MobileViTImageProcessor(size={"shortest_edge": 64}, crop_size={"height": 64, "width": 64}),
    ),
    "mobilevitv2": (
        lambda: transformers.MobileViTV2ForImageClassification(
            transformers.MobileViTV2Config(
                image_size=64, width_multiplier=0.5, id2label=LABELS, label2id={v: k for k, v in LABELS.items()}
            )
        ),
        lambda: transformers.MobileViTImageProcessor(size={"shortest_edge": 64}, crop_size={"height": 64, "width": 64}),
    ),
    "vit": (
        lambda: transformers.ViTForImageClassification(
            transformers.ViTConfig(
                image_size=32,
                patch_size=8,
                hidden_size=16,
                num_hidden_layers=2,
                num_attention_heads=2,
                intermediate_size=32,
                id2label=LABELS,
                label2id={v: k for k, v in LABELS.items()},
                attn_implementation="eager",
            )
        ),
        lambda: transformers.ViTImageProcessor(size={"height": 32, "width": 32}),
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_saved_checkpoint_loads_and_classifies_a_photo_as_transformers_does(name, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    torch.manual_seed(0)
    build_model, build_processor = CASES[name]
    hf = random_weights(build_model(), std=0.1).eval()
    processor = build_processor()
    hf.save_pretrained(tmp_path)
    processor.save_pretrained(tmp_path)

    model = vitlite.hub.load_pretrained(str(tmp_path))
    assert model is not None, capsys.readouterr().out
    cfg = model.pretrained_cfg
    assert cfg["labels"] == [LABELS[i] for i in range(6)] and cfg["image_size"] == hf.config.image_size
    assert cfg["flip_channels"] == name.startswith("mobilevit")

    side = hf.config.image_size
    photo = vitlite.data.photo("coffee", size=side)
    pil = (photo.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
    theirs_input = processor(images=pil, return_tensors="pt")["pixel_values"]
    ours_input = vitlite.hub.prepare_image(model, photo)
    assert torch.allclose(ours_input, theirs_input, atol=1e-5), (
        f"preprocessing differs by {(ours_input - theirs_input).abs().max():.2e}"
    )
    with torch.no_grad():
        theirs = hf(pixel_values=theirs_input).logits.softmax(-1)[0]
    top = vitlite.hub.top_classes(model, photo, k=3)
    assert [label for _, label in top] == [LABELS[int(i)] for i in theirs.topk(3).indices]
    assert np.allclose([p for p, _ in top], theirs.topk(3).values.numpy(), atol=1e-4)


def test_top_classes_needs_a_pretrained_classifier():
    with pytest.raises(ValueError, match="needs an image classifier from vitlite.hub.load_pretrained"):
        vitlite.hub.top_classes(vitlite.create_model("vit_tiny_shapes"), vitlite.data.photo("coffee", size=32))


def test_show_top_classes_offline_prints_one_line(capsys):
    vitlite.hub.show_top_classes(None)
    assert (
        capsys.readouterr().out == "pretrained weights: skipped (set LOAD_PRETRAINED = True above to download them)\n"
    )
