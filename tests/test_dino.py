"""DINO's pieces, each on its own: the deformable attention layer (against Hugging Face's Deformable
DETR layer), proposals, the denoising noise and its bounds, the attention mask against a hand-made
case, look forward twice's gradient path, the loss, and the official parameter counts."""

from __future__ import annotations

import pytest
import torch

import vitlite
from vitlite.boxes import cxcywh_to_xyxy
from vitlite.layers import count_parameters
from vitlite.models import dino as D


def test_official_parameter_counts():
    for name, total, trainable in (
        ("dino_4scale_resnet50", 46_893_182, 46_670_782),
        ("dino_5scale_resnet50", 47_255_806, 47_033_406),
    ):
        model = vitlite.create_model(name, device="meta")
        assert count_parameters(model) == total
        model.backbone.freeze_like_detr()
        assert count_parameters(model, trainable_only=True) == trainable


@pytest.mark.parametrize("ref_dim", [2, 4])
def test_deformable_layer_equals_hugging_face(ref_dim):
    modeling = pytest.importorskip("transformers.models.deformable_detr.modeling_deformable_detr")
    config = pytest.importorskip("transformers").DeformableDetrConfig(d_model=32, num_feature_levels=3)
    theirs = modeling.DeformableDetrMultiscaleDeformableAttention(config, num_heads=4, n_points=3).eval()
    ours = D.MSDeformableAttention(32, num_heads=4, num_levels=3, num_points=3).eval()
    torch.manual_seed(0)
    for p in theirs.parameters():
        torch.nn.init.normal_(p, std=0.3)  # offsets that go well outside the reference, on purpose
    ours.load_state_dict(theirs.state_dict())
    shapes = torch.tensor([[6, 5], [3, 3], [2, 1]])
    starts = torch.cat([torch.zeros(1, dtype=torch.long), shapes.prod(1).cumsum(0)[:-1]])
    query, value = torch.randn(2, 7, 32), torch.randn(2, int(shapes.prod(1).sum()), 32)
    reference = torch.rand(2, 7, 3, ref_dim) * 0.8 + 0.1
    expected = theirs(
        query,
        encoder_hidden_states=value,
        reference_points=reference,
        spatial_shapes=shapes,
        spatial_shapes_list=[tuple(s) for s in shapes.tolist()],
        level_start_index=starts,
    )[0]
    assert (ours(query, reference, value, shapes) - expected).abs().max() < 1e-5


def test_the_initial_sampling_points_fan_out_around_the_reference():
    layer = D.MSDeformableAttention(16, num_heads=4, num_levels=1, num_points=2)
    locations, weights = layer.sampling(torch.zeros(1, 1, 16), torch.full((1, 1, 1, 2), 0.5), torch.tensor([[10, 10]]))
    offsets = (locations[0, 0, :, 0] - 0.5) * 10  # in pixels
    assert torch.allclose(offsets[:, 1], 2 * offsets[:, 0], atol=1e-6)  # point p at distance p
    assert torch.allclose(offsets[0, 0], torch.tensor([1.0, 0.0]), atol=1e-6)  # head 0 looks right
    assert torch.allclose(weights, torch.full_like(weights, 0.5))


def test_proposals_are_cell_centred_and_level_sized():
    memory = torch.randn(1, 4 * 4 + 2 * 2, 8)
    out, logits = D.encoder_proposals(memory, torch.tensor([[4, 4], [2, 2]]))
    boxes = logits.sigmoid()
    assert torch.allclose(boxes[0, 0], torch.tensor([0.125, 0.125, 0.05, 0.05]), atol=1e-6)
    assert torch.allclose(boxes[0, 16], torch.tensor([0.25, 0.25, 0.1, 0.1]), atol=1e-6)
    bad = D.encoder_proposals(torch.randn(1, 1, 8), torch.tensor([[1, 1]]))  # level 0 of one cell: fine
    assert torch.isfinite(bad[1]).all()
    # at level 5 the box is 0.05 * 32 = 1.6 wide: invalid, never selected, its memory zeroed
    out, logits = D.encoder_proposals(torch.ones(1, 1 + 1 + 1 + 1 + 1 + 1, 8), torch.tensor([[1, 1]] * 6))
    assert torch.isinf(logits[0, 5]).all() and (out[0, 5] == 0).all() and (out[0, 0] == 1).all()


def _targets():
    return [
        {
            "labels": torch.tensor([0, 3, 1]),
            "boxes": torch.tensor([[0.3, 0.3, 0.2, 0.2], [0.7, 0.6, 0.3, 0.4], [0.5, 0.5, 0.1, 0.1]]),
        },
        {"labels": torch.tensor([2]), "boxes": torch.tensor([[0.4, 0.6, 0.5, 0.3]])},
    ]


def test_denoising_layout_groups_and_slots():
    dn = D.denoising_queries(_targets(), num_classes=5, dn_number=7, label_noise_ratio=0.0, box_noise_scale=0.0)
    assert dn["groups"] == 7 // 3 and dn["group_size"] == 6
    assert dn["labels"].shape == (2, 12)
    # image 0: in each group positives in slots 0-2, negatives in 3-5; image 1 uses one slot of each half
    assert dn["labels"][0].tolist() == [0, 3, 1, 0, 3, 1] * 2
    assert dn["labels"][1].tolist() == [2, -1, -1, 2, -1, -1] * 2
    assert dn["positive"][0].tolist() == [True] * 3 + [False] * 3 + [True] * 3 + [False] * 3
    assert dn["object"][1].tolist() == [0, -1, -1, 0, -1, -1] * 2
    assert torch.allclose(dn["boxes"][0, 3], _targets()[0]["boxes"][0])  # no noise: copies


def test_denoising_noise_stays_within_its_bounds():
    gen = torch.Generator().manual_seed(0)
    targets = [
        {"labels": torch.zeros(50, dtype=torch.long), "boxes": torch.tensor([[0.5, 0.5, 0.2, 0.4]]).repeat(50, 1)}
    ]
    dn = D.denoising_queries(
        targets, num_classes=5, dn_number=200, label_noise_ratio=0.5, box_noise_scale=0.4, generator=gen
    )
    clean = cxcywh_to_xyxy(targets[0]["boxes"][:1])[0]
    half = torch.tensor([0.1, 0.2, 0.1, 0.2])
    moved = (cxcywh_to_xyxy(dn["boxes"][0]) - clean).abs() / (half * 0.4)  # in units of lambda * half side
    pos, neg = dn["positive"][0], ~dn["positive"][0]
    assert moved[pos].max() < 1 + 1e-4 and moved[neg].min() > 1 - 1e-4 and moved[neg].max() < 2 + 1e-4
    flipped = (dn["labels"][0] != 0).float().mean().item()  # a flip to a random class of 5 changes it 4/5 of the time
    assert abs(flipped - 0.25 * 4 / 5) < 0.05
    # lambda large enough to leave the image: boxes are clipped to it
    wide = D.denoising_queries(targets, 5, 10, 0.0, 3.0, generator=gen)
    xyxy = cxcywh_to_xyxy(wide["boxes"][0])
    assert xyxy.min() >= 0 and xyxy.max() <= 1


def test_attention_mask_against_a_hand_made_case():
    # two groups of two denoising queries, then three matching queries; True = blocked
    expected = torch.tensor(
        [
            [0, 0, 1, 1, 0, 0, 0],
            [0, 0, 1, 1, 0, 0, 0],
            [1, 1, 0, 0, 0, 0, 0],
            [1, 1, 0, 0, 0, 0, 0],
            [1, 1, 1, 1, 0, 0, 0],
            [1, 1, 1, 1, 0, 0, 0],
            [1, 1, 1, 1, 0, 0, 0],
        ],
        dtype=torch.bool,
    )
    assert torch.equal(D.denoising_attention_mask(2, 2, 3), expected)


def test_matching_queries_cannot_see_the_denoising_queries():
    """Change the ground truth: the matching queries' outputs must not move (the mask works end to end)."""
    torch.manual_seed(0)
    model = vitlite.create_model("dino_tiny_shapes").train()
    images = torch.rand(2, 3, 64, 64)
    first = model(images, _targets())
    other = [{"labels": t["labels"].flip(0), "boxes": t["boxes"].flip(0) * 0.9} for t in _targets()]
    torch.manual_seed(0)
    second = model(images, other)
    assert torch.allclose(first["pred_logits"], second["pred_logits"], atol=1e-6)
    assert not torch.allclose(first["dn_outputs"]["pred_logits"], second["dn_outputs"]["pred_logits"])


@pytest.mark.parametrize("twice", [True, False])
def test_look_forward_twice_gradient_path(twice):
    """A loss on layer 2's box alone reaches layer 1's box head output only with look forward twice."""
    torch.manual_seed(0)
    model = vitlite.create_model("dino_tiny_shapes", look_forward_twice=twice, denoising=False).eval()
    memory, _, shapes = model.encode(torch.rand(1, 3, 64, 64))
    tgt, anchors, _ = model.select_queries(memory, shapes)
    captured = []
    hook = model.bbox_embed.register_forward_hook(lambda _m, _i, out: captured.append(out))
    _, boxes = model.decode(tgt, anchors, memory, shapes)
    hook.remove()
    # calls: layer 0 box (normed), layer 0 refinement (raw), layer 1 box, layer 1 refinement
    refine_0 = captured[1]
    grad = torch.autograd.grad(boxes[1].sum(), refine_0, allow_unused=True)[0]
    assert (grad is not None and grad.abs().sum() > 0) == twice


def test_training_outputs_and_loss_reach_every_parameter():
    torch.manual_seed(0)
    model = vitlite.create_model("dino_tiny_shapes").train()
    out = model(torch.rand(2, 3, 64, 64), _targets())
    assert out["pred_logits"].shape == (2, 10, 5) and len(out["aux_outputs"]) == 1
    assert out["interm_outputs"]["pred_boxes"].shape == (2, 10, 4)
    assert out["dn_outputs"]["pred_logits"].shape == (2, out["dn_meta"]["groups"] * 6, 5)
    loss, logs = model.loss(out, _targets())
    assert set(logs) == {"class", "l1", "giou", "dn"} and torch.isfinite(loss)
    loss.backward()
    assert [n for n, p in model.named_parameters() if p.grad is None] == []


def test_ablation_switches():
    static = vitlite.create_model("dino_tiny_shapes", query_selection="static").train()
    out = static(torch.rand(1, 3, 64, 64), _targets()[:1])
    assert "interm_outputs" not in out and hasattr(static, "refpoint_embed")
    plain = vitlite.create_model("dino_tiny_shapes", denoising=False).train()
    assert "dn_outputs" not in plain(torch.rand(1, 3, 64, 64), _targets()[:1])
    with pytest.raises(ValueError, match="query_selection"):
        vitlite.create_model("dino_tiny_shapes", query_selection="top")


def test_no_objects_in_the_batch():
    model = vitlite.create_model("dino_tiny_shapes").train()
    empty = [{"labels": torch.zeros(0, dtype=torch.long), "boxes": torch.zeros(0, 4)}]
    out = model(torch.rand(1, 3, 64, 64), empty)
    loss, _ = model.loss(out, empty)
    assert torch.isfinite(loss) and "dn_outputs" not in out
    loss.backward()


def test_detect_and_matching_with_focal_costs():
    model = vitlite.create_model("dino_tiny_shapes").eval()
    with torch.no_grad():
        found = model.detect(model(torch.rand(2, 3, 64, 64)))
    assert found[0]["boxes"].shape == (10, 4) and ((found[0]["scores"] >= 0) & (found[0]["scores"] <= 1)).all()
    # the class cost prefers the query that is sure of the right class
    logits = torch.tensor([[4.0, -4.0], [-4.0, 4.0]])
    assert D.focal_cost(logits, torch.tensor([1]))[1, 0] < D.focal_cost(logits, torch.tensor([1]))[0, 0]


def test_sampling_points_record_one_layer_and_restore_it():
    model = vitlite.create_model("dino_tiny_shapes").eval()
    info = D.sampling_points(model, torch.rand(3, 64, 64), layer=0)
    assert info["locations"].shape == (10, 4, 2, 4, 2) and info["weights"].shape == (10, 4, 2, 4)
    assert torch.allclose(info["weights"].sum((-2, -1)), torch.ones(10, 4))
    assert "sampling" not in vars(model.decoder[0].cross_attn)  # the recording wrapper is gone
    with pytest.raises(ValueError, match="layer"):
        D.sampling_points(model, torch.rand(3, 64, 64), layer=2)
