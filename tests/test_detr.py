"""DETR's pieces, its set loss, the dense baseline, NMS, the explorers and the detection scores."""

from __future__ import annotations

import math

import pytest
import torch

import vitlite
from vitlite.boxes import box_iou, cxcywh_to_xyxy, nms
from vitlite.metrics import detection_scores, relative_areas
from vitlite.models import detr


def test_sine_position_encoding():
    pos = detr.sine_position_encoding(2, 3, 4, num_pos_feats=8)
    assert pos.shape == (2, 16, 3, 4)
    y = 1 / (3 + 1e-6) * 2 * math.pi  # the first row, first frequency (dim_t = 1)
    assert pos[0, 0, 0, 0].item() == pytest.approx(math.sin(y)) and pos[0, 1, 0, 0].item() == pytest.approx(math.cos(y))
    assert torch.allclose(pos[0, :8, :, 0], pos[0, :8, :, 3])  # the first half depends on the row only
    assert torch.allclose(pos[0, 8:, 0], pos[0, 8:, 2])  # the second half on the column only


def _model(**kw):
    torch.manual_seed(0)
    return vitlite.create_model("detr_tiny_shapes", **kw)


def test_outputs_and_auxiliary_outputs():
    model = _model()
    out = model(torch.rand(2, 3, 64, 64))
    assert out["pred_logits"].shape == (2, 10, 6) and out["pred_boxes"].shape == (2, 10, 4)
    assert len(out["aux_outputs"]) == 1 and (0 <= out["pred_boxes"]).all() and (out["pred_boxes"] <= 1).all()
    assert "aux_outputs" not in model.eval()(torch.rand(1, 3, 64, 64))
    assert model.eval()(torch.rand(1, 3, 80, 48))["pred_boxes"].shape == (1, 10, 4)  # any size


def test_decoder_queries_do_not_depend_on_their_order_except_through_their_embeddings():
    """DETR is a set predictor: permuting the query embeddings permutes the predictions."""
    model = _model().eval()
    x = torch.rand(1, 3, 64, 64)
    perm = torch.randperm(10)
    with torch.no_grad():
        before = model(x)
        model.query_embed.weight.copy_(model.query_embed.weight[perm])
        after = model(x)
    assert torch.allclose(after["pred_boxes"][0], before["pred_boxes"][0, perm], atol=1e-5)


def test_hungarian_match_and_set_loss():
    target = {"boxes": torch.tensor([[0.3, 0.3, 0.2, 0.2], [0.7, 0.6, 0.3, 0.2]]), "labels": torch.tensor([2, 0])}
    logits = torch.full((4, 4), -5.0)
    logits[:, -1] = 5.0  # every query says "no object"...
    boxes = torch.tensor([[0.5, 0.5, 0.1, 0.1], [0.7, 0.6, 0.3, 0.2], [0.1, 0.9, 0.1, 0.1], [0.3, 0.3, 0.2, 0.2]])
    logits[3, 2], logits[1, 0], logits[3, -1], logits[1, -1] = (
        5.0,
        5.0,
        -5.0,
        -5.0,
    )  # ... except the two that sit on the objects
    rows, cols = detr.hungarian_match(logits, boxes, target)
    assert dict(zip(rows.tolist(), cols.tolist())) == {1: 1, 3: 0}
    criterion = detr.SetCriterion(num_classes=3)
    loss, logs = criterion({"pred_logits": logits[None], "pred_boxes": boxes[None]}, [target])
    assert (
        logs["l1"] == pytest.approx(0.0, abs=1e-6)
        and logs["giou"] == pytest.approx(0.0, abs=1e-6)
        and logs["ce"] < 0.05
    )
    worse, _ = criterion({"pred_logits": logits[None], "pred_boxes": boxes.flip(0)[None]}, [target])
    assert worse > loss
    empty = criterion(
        {"pred_logits": logits[None], "pred_boxes": boxes[None]},
        [{"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.long)}],
    )[0]
    assert torch.isfinite(empty)
    with pytest.raises(ValueError, match="built for 5"):
        detr.SetCriterion(num_classes=5)({"pred_logits": logits[None], "pred_boxes": boxes[None]}, [target])


def test_no_object_weight():
    """With eos_coef 0.1 a query wrongly saying "no object" costs ten times less than a wrong class."""
    crit = detr.SetCriterion(num_classes=2, eos_coef=0.1)
    assert crit.empty_weight.tolist() == pytest.approx([1.0, 1.0, 0.1])


def test_training_reduces_the_loss():
    from vitlite.data import ShapesWorld
    from vitlite.train import fit

    data = ShapesWorld(image_size=64).detection(32, seed=0)
    model = _model(dim=32, ffn_dim=64, num_heads=2)
    history = fit(
        model,
        data.loader(16),
        steps=20,
        lr=1e-3,
        loss_fn=lambda m, b: m.loss(m(b[0]), b[1]),
        progress=False,
        device="cpu",
        warmup=0,
    )
    assert sum(history.loss[-5:]) < sum(history.loss[:5])


def test_paper_sizes_and_the_freezing_rule():
    from vitlite.layers import count_parameters

    for name, total, trainable in (
        ("detr_resnet50", 41_524_768, 41_302_368),
        ("detr_resnet101", 60_464_672, 60_242_272),
    ):
        model = vitlite.create_model(name, device="meta")
        assert count_parameters(model) == total
        model.backbone.freeze_like_detr()
        assert count_parameters(model, trainable_only=True) == trainable
    assert count_parameters(vitlite.models.resnet.resnet50_backbone()) == 23_454_912


def test_frozen_batch_norm_has_no_parameters():
    from vitlite.models.resnet import FrozenBatchNorm2d

    bn = FrozenBatchNorm2d(4)
    assert list(bn.parameters()) == [] and len(list(bn.buffers())) == 4
    bn.running_mean.fill_(1.0)
    bn.running_var.fill_(4.0)
    assert torch.allclose(bn(torch.full((1, 4, 2, 2), 3.0)), torch.full((1, 4, 2, 2), 2 / math.sqrt(4 + 1e-5)))


def test_nms():
    boxes = torch.tensor([[0.0, 0.0, 1.0, 1.0], [0.05, 0.0, 1.0, 1.0], [2.0, 2.0, 3.0, 3.0], [0.0, 0.0, 0.9, 1.0]])
    scores = torch.tensor([0.9, 0.8, 0.7, 0.95])
    assert nms(boxes, scores, 0.5).tolist() == [3, 2]
    assert nms(boxes, scores, 0.5, labels=torch.tensor([0, 1, 0, 0])).tolist() == [3, 1, 2]  # other classes survive
    assert nms(boxes, scores, 1.0).tolist() == [3, 0, 1, 2]
    assert nms(torch.zeros(0, 4), torch.zeros(0), 0.5).numel() == 0


def test_dense_detector_assigns_cells_and_detects():
    from vitlite.data import ShapesWorld

    torch.manual_seed(0)
    model = vitlite.create_model("dense_tiny_shapes")
    data = ShapesWorld(image_size=64).detection(4, seed=0)
    images, targets = next(iter(data.loader(4, shuffle=False)))
    out = model(images)
    assert out["logits"].shape == (4, 64, 5) and out["boxes"].shape == (4, 64, 4)
    loss, logs = model.loss(out, targets)
    assert torch.isfinite(loss) and set(logs) == {"cls", "giou", "ctr"}
    dets = model.eval().detect(model(images))
    for d in dets:
        assert len(d["boxes"]) == len(d["scores"]) == len(d["labels"]) <= model.max_detections
        if len(d["boxes"]) > 1:  # no two kept boxes of one class overlap by more than the NMS threshold
            iou = box_iou(cxcywh_to_xyxy(d["boxes"]).clamp(0, 1), cxcywh_to_xyxy(d["boxes"]).clamp(0, 1))
            same = d["labels"][:, None] == d["labels"][None, :]
            assert (iou[same & ~torch.eye(len(iou), dtype=torch.bool)] <= model.nms_iou + 1e-6).all()


def test_detection_scores_of_a_perfect_detector():
    from vitlite.data import ShapesWorld

    data = ShapesWorld(image_size=64).detection(6, seed=1)

    class Oracle(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(()))

        def forward(self, images):
            return images

        def detect(self, images):
            out = []
            for image in images:
                i = next(k for k in range(len(data)) if torch.equal(data.images[k], image))
                _, t = data[i]
                out.append({"boxes": t["boxes"], "scores": torch.ones(len(t["labels"])), "labels": t["labels"]})
            return out

    scores = detection_scores(Oracle(), data)
    assert scores["AP"] == pytest.approx(1.0) and scores["AR100"] == pytest.approx(1.0)
    assert relative_areas(64)["small"] == (0.0, 256.0) and relative_areas(64)["large"][0] == 1024.0


def test_explorers_render():
    from vitlite.data import ShapesWorld
    from vitlite.explore import detr_attention_explorer, matching_explorer
    from vitlite.viz import plot_query_slots

    model = _model()
    data = ShapesWorld(image_size=64).detection(4, seed=2)
    ex = matching_explorer(model, data)
    for flags in ({}, {"use_class": False}, {"use_class": False, "use_l1": False, "use_giou": False}):
        assert ex.figure(image=3, **flags)._repr_png_().startswith(b"\x89PNG")
    att = detr_attention_explorer(model, data.images, data.classes)
    assert att.figure(image=1, query=9, layer=0)._repr_png_().startswith(b"\x89PNG")
    weights, _ = detr.cross_attention(model, data.images[0], 4)
    assert weights.shape == (8, 8) and torch.isclose(weights.sum(), torch.tensor(1.0), atol=1e-5)
    preds = detr.query_predictions(model, data.images)
    assert preds["boxes"].shape == (10, 4, 4)
    assert plot_query_slots(preds["boxes"], preds["object"], threshold=0.0)._repr_png_().startswith(b"\x89PNG")
    with pytest.raises(ValueError, match="query must be in"):
        detr.cross_attention(model, data.images[0], 10)
