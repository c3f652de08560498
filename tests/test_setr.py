"""SETR: the official parameter counts, each decoder's shapes and structure, and what it reads."""

from __future__ import annotations

import pytest
import torch

import vitlite
from vitlite.layers import count_parameters
from vitlite.models import setr as S


@pytest.mark.parametrize(
    "name,count",
    [("setr_naive_vit_large", 305_728_019), ("setr_pup_vit_large", 309_596_947), ("setr_mla_vit_large", 310_737_427)],
)
def test_official_counts(name, count):
    """ViT-L/16 at 768x768 with 19 classes; no auxiliary heads, no unused conv_seg (wave2_facts)."""
    model = vitlite.create_model(name, device="meta")
    assert count_parameters(model) == count
    assert count_parameters(model.encoder) == 305_458_176  # 787,456 + 1,024 + 2,305 x 1,024 + 24 blocks, no final norm


def test_evenly_spaced_layers():
    assert S.evenly_spaced_layers(24) == (5, 11, 17, 23)
    assert S.evenly_spaced_layers(8) == (1, 3, 5, 7)
    with pytest.raises(ValueError, match="does not split"):
        S.evenly_spaced_layers(10)


@pytest.mark.parametrize("decoder", ["naive", "pup", "mla"])
def test_shapes_and_other_input_sizes(decoder):
    model = vitlite.create_model(f"setr_{decoder}_tiny_shapes").eval()
    assert model(torch.rand(2, 3, 64, 64)).shape == (2, 6, 64, 64)
    assert model(torch.rand(1, 3, 96, 48)).shape == (1, 6, 96, 48)  # position embeddings interpolated


def test_pup_stages_follow_the_patch_size():
    assert len(vitlite.create_model("setr_pup_tiny_shapes").decoder.convs) == 3  # 8x8 patches: 3 x 2x, then 1x1
    assert len(vitlite.create_model("setr_pup_vit_large", device="meta").decoder.convs) == 4
    with pytest.raises(ValueError, match="power of two"):
        vitlite.create_model("setr_pup_tiny_shapes", patch_size=6, img_size=60)


def test_naive_decoder_by_hand():
    torch.manual_seed(0)
    model = vitlite.create_model("setr_naive_tiny_shapes", depth=2).eval()
    x = torch.rand(1, 3, 64, 64)
    tokens = model.encoder.embed(x)
    for block in model.encoder.blocks:
        tokens = block(tokens)
    patches = model.decoder.norm(tokens[:, 1:])  # the class token is dropped, then LayerNorm
    grid = patches.transpose(1, 2).reshape(1, -1, 8, 8)
    head = model.decoder
    expected = torch.nn.functional.interpolate(
        head.conv_1(torch.relu(head.bn_0(head.conv_0(grid)))), size=(64, 64), mode="bilinear", align_corners=False
    )
    torch.testing.assert_close(model(x), expected)


def test_mla_reads_four_layers_and_sums_top_down():
    model = vitlite.create_model("setr_mla_tiny_shapes").eval()
    assert model.layers == (1, 3, 5, 7)
    maps = model.token_maps(torch.rand(1, 3, 64, 64))
    assert len(maps) == 4 and all(m.shape == (1, 128, 8, 8) for m in maps)
    # top-down: the deepest layer reaches every stream, the shallowest only its own
    deep = maps[3].clone().requires_grad_(True)
    shallow = maps[0].clone().requires_grad_(True)
    model.decoder([shallow, maps[1], maps[2], deep], (64, 64))
    captured = []
    hook = model.decoder.smooth[0].register_forward_hook(lambda m, i, o: captured.append(i[0]))
    model.decoder([shallow, maps[1], maps[2], deep], (64, 64))
    hook.remove()
    assert torch.autograd.grad(captured[0].sum(), deep, retain_graph=True)[0].abs().sum() > 0
    hook = model.decoder.smooth[3].register_forward_hook(lambda m, i, o: captured.append(i[0]))
    model.decoder([shallow, maps[1], maps[2], deep], (64, 64))
    hook.remove()
    assert torch.autograd.grad(captured[-1].sum(), shallow, allow_unused=True)[0] is None


def test_bad_settings():
    with pytest.raises(ValueError, match="decoder"):
        S.SETR("fpn")
    with pytest.raises(ValueError, match="block indices"):
        vitlite.create_model("setr_naive_tiny_shapes", layers=(9,))


def test_auxiliary_heads_train_beside_the_decoder_and_leave_inference_alone():
    import torch

    import vitlite
    from vitlite.train import segmentation_loss

    torch.manual_seed(0)
    model = vitlite.create_model("setr_naive_tiny_shapes", aux_layers=(2, 4, 6), depth=8)
    plain = vitlite.create_model("setr_naive_tiny_shapes")
    extra = sum(p.numel() for p in model.parameters()) - sum(p.numel() for p in plain.parameters())
    head = plain.decoder
    assert extra == 3 * sum(p.numel() for p in head.parameters())  # three Naive heads, one per tapped block
    images, masks = torch.rand(2, 3, 64, 64), torch.randint(0, 6, (2, 64, 64))
    main, aux = model.forward_aux(images)
    assert main.shape == (2, 6, 64, 64) and [a.shape for a in aux] == [(2, 6, 64, 64)] * 3
    model.eval()
    assert torch.allclose(model(images), model.forward_aux(images)[0])
    ce = torch.nn.functional.cross_entropy
    assert torch.isclose(
        segmentation_loss(model, (images, masks)), ce(model(images), masks)
    )  # eval mode: the decoder's loss alone
    model.train()
    main, aux = model.forward_aux(images)
    want = ce(main, masks) + 0.4 * sum(ce(a, masks) for a in aux)
    assert torch.isclose(
        segmentation_loss(model, (images, masks)), want, rtol=1e-5
    )  # train mode: decoder + 0.4 x each head
    with pytest.raises(ValueError, match="aux_layers must be block indices"):
        vitlite.create_model("setr_naive_tiny_shapes", aux_layers=(8,))
    with pytest.raises(ValueError, match="aux_weight must be positive"):
        vitlite.create_model("setr_naive_tiny_shapes", aux_layers=(2,), aux_weight=0.0)
