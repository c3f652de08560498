"""The detection toolkit: box formats, IoU and GIoU (properties), the Hungarian algorithm (against SciPy)
and COCO-style AP (against pycocotools' COCOeval)."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest
import torch

from vitlite import boxes as B
from vitlite.matching import linear_sum_assignment
from vitlite.metrics import coco_ap, scaled_areas


def random_xyxy(n: int, gen: torch.Generator) -> torch.Tensor:
    xy = torch.rand(n, 2, generator=gen)
    wh = torch.rand(n, 2, generator=gen) * 0.5
    return torch.cat([xy, xy + wh], dim=1)


# ---------------------------------------------------------------- boxes
def test_format_round_trips():
    gen = torch.Generator().manual_seed(0)
    xyxy = random_xyxy(20, gen)
    assert torch.allclose(B.cxcywh_to_xyxy(B.xyxy_to_cxcywh(xyxy)), xyxy, atol=1e-6)
    assert torch.allclose(B.xywh_to_xyxy(B.xyxy_to_xywh(xyxy)), xyxy, atol=1e-6)
    assert B.cxcywh_to_xyxy(torch.tensor([0.5, 0.5, 0.2, 0.4])).tolist() == pytest.approx([0.4, 0.3, 0.6, 0.7])


def test_iou_and_giou_properties():
    gen = torch.Generator().manual_seed(1)
    a, b = random_xyxy(15, gen), random_xyxy(11, gen)
    iou, giou = B.box_iou(a, b), B.generalized_box_iou(a, b)
    assert iou.shape == giou.shape == (15, 11)
    assert torch.allclose(iou, B.box_iou(b, a).T) and torch.allclose(giou, B.generalized_box_iou(b, a).T)  # symmetric
    assert (iou >= 0).all() and (iou <= 1).all() and (giou >= -1).all() and (giou <= iou + 1e-6).all()
    assert torch.allclose(B.box_iou(a, a).diag(), torch.ones(15)) and torch.allclose(
        B.generalized_box_iou(a, a).diag(), torch.ones(15)
    )


def test_giou_of_disjoint_boxes_is_negative_and_falls_with_distance():
    unit = torch.tensor([[0.0, 0.0, 1.0, 1.0]])
    near, far = torch.tensor([[2.0, 0.0, 3.0, 1.0]]), torch.tensor([[9.0, 0.0, 10.0, 1.0]])
    assert B.box_iou(unit, near) == 0 and B.box_iou(unit, far) == 0
    assert B.generalized_box_iou(unit, near).item() == pytest.approx(-1 / 3)  # hull 3, union 2
    assert B.generalized_box_iou(unit, far) < B.generalized_box_iou(unit, near) < 0
    half = torch.tensor([[0.5, 0.0, 1.5, 1.0]])
    assert B.box_iou(unit, half).item() == pytest.approx(1 / 3)


def test_degenerate_boxes_are_rejected_by_name():
    bad = torch.tensor([[0.0, 0.0, 1.0, 1.0], [0.5, 0.5, 0.2, 0.9]])
    with pytest.raises(ValueError, match=r"a\[1\] = \[0.5, 0.5, 0.2.*degenerate.*cxcywh_to_xyxy"):
        B.box_iou(bad, bad[:1])
    with pytest.raises(ValueError, match=r"b\[0\]"):
        B.generalized_box_iou(bad[:1], bad[1:])
    with pytest.raises(ValueError, match=r"shape \(\.\.\., 4\)"):
        B.box_iou(torch.zeros(3, 5), torch.zeros(3, 4))
    point = torch.tensor([[0.3, 0.3, 0.3, 0.3]])  # zero area: valid, IoU 0 with itself
    assert B.box_iou(point, point).item() == 0


# ---------------------------------------------------------------- matching
def _random_cost(rng: np.random.Generator, trial: int) -> np.ndarray:
    n, m = rng.integers(0, 14, size=2)
    if trial % 3 == 0:
        cost = rng.integers(0, 4, (n, m)).astype(float)  # many ties
    else:
        cost = rng.normal(size=(n, m)) * rng.choice([1e-3, 1.0, 1e3])
    if trial % 4 == 0 and cost.size:
        cost[rng.random(cost.shape) < 0.35] = np.inf
    return cost


@pytest.mark.parametrize("trial", range(60))
def test_hungarian_equals_scipy(trial):
    scipy_opt = pytest.importorskip("scipy.optimize")
    cost = _random_cost(np.random.default_rng(trial), trial)
    try:
        ref_rows, ref_cols = scipy_opt.linear_sum_assignment(cost)
    except ValueError:
        with pytest.raises(ValueError, match="infeasible"):
            linear_sum_assignment(cost)
        return
    rows, cols = linear_sum_assignment(torch.tensor(cost))
    assert len(rows) == len(ref_rows) == min(cost.shape)
    assert rows.tolist() == sorted(set(rows.tolist())) and len(set(cols.tolist())) == len(cols)
    assert cost[rows.numpy(), cols.numpy()].sum() == pytest.approx(cost[ref_rows, ref_cols].sum(), rel=1e-9, abs=1e-9)


def test_hungarian_hand_made():
    cost = torch.tensor([[4.0, 1.0, 3.0], [2.0, 0.0, 5.0], [3.0, 2.0, 2.0]])
    rows, cols = linear_sum_assignment(cost)
    assert rows.tolist() == [0, 1, 2] and cols.tolist() == [1, 0, 2]  # 1 + 2 + 2 = 5
    rows, cols = linear_sum_assignment(cost[:, :2].T)  # more columns than rows after transposing: 2 x 3
    assert cost[:, :2].T[rows, cols].sum() == 1 + 2
    assert linear_sum_assignment(torch.zeros(0, 5))[0].numel() == 0
    with pytest.raises(ValueError, match="NaN"):
        linear_sum_assignment(torch.tensor([[float("nan")]]))
    with pytest.raises(ValueError, match="every entry is \\+inf"):
        linear_sum_assignment(torch.full((2, 2), float("inf")))
    with pytest.raises(ValueError, match="2-D"):
        linear_sum_assignment(torch.zeros(3))


# ---------------------------------------------------------------- COCO AP
def _pycocotools(preds, targets, areas=None):
    coco = pytest.importorskip("pycocotools.coco")
    cocoeval = pytest.importorskip("pycocotools.cocoeval")
    images, anns, dets = [], [], []
    for i, (p, t) in enumerate(zip(preds, targets)):
        images.append({"id": i + 1, "width": 100, "height": 100})
        for b, label in zip(t["boxes"].tolist(), t["labels"].tolist()):
            anns.append(
                {
                    "id": len(anns) + 1,
                    "image_id": i + 1,
                    "category_id": int(label) + 1,
                    "bbox": [b[0], b[1], b[2] - b[0], b[3] - b[1]],
                    "area": (b[2] - b[0]) * (b[3] - b[1]),
                    "iscrowd": 0,
                }
            )
        for b, s, label in zip(p["boxes"].tolist(), p["scores"].tolist(), p["labels"].tolist()):
            dets.append(
                {
                    "image_id": i + 1,
                    "category_id": int(label) + 1,
                    "bbox": [b[0], b[1], b[2] - b[0], b[3] - b[1]],
                    "score": s,
                }
            )
    gt = coco.COCO()
    gt.dataset = {"images": images, "annotations": anns, "categories": [{"id": c} for c in range(1, 6)]}
    with contextlib.redirect_stdout(io.StringIO()):
        gt.createIndex()
        ev = cocoeval.COCOeval(gt, gt.loadRes(dets) if dets else coco.COCO(), "bbox")
        if areas is not None:
            ev.params.areaRng = [list(v) for v in areas.values()]
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return ev.stats


def _random_detections(rng: np.random.Generator, ties: bool):
    preds, targets = [], []
    for _ in range(rng.integers(1, 10)):
        g = rng.integers(0, 5)
        xy, wh = rng.uniform(0, 80, (g, 2)), rng.uniform(2, 60, (g, 2))
        gt = np.concatenate([xy, xy + wh], 1)
        k = rng.integers(0, 14)
        src = gt[rng.integers(0, max(g, 1), k)] if g else rng.uniform(0, 80, (k, 4))
        jit = src + rng.normal(0, rng.choice([1, 5, 15]), (k, 4))
        det = np.stack(
            [
                np.minimum(jit[:, 0], jit[:, 2]),
                np.minimum(jit[:, 1], jit[:, 3]),
                np.maximum(jit[:, 0], jit[:, 2]) + 0.5,
                np.maximum(jit[:, 1], jit[:, 3]) + 0.5,
            ],
            1,
        )
        scores = np.round(rng.uniform(0, 1, k), 1 if ties else 5)
        preds.append(
            {"boxes": torch.tensor(det), "scores": torch.tensor(scores), "labels": torch.tensor(rng.integers(0, 3, k))}
        )
        targets.append({"boxes": torch.tensor(gt), "labels": torch.tensor(rng.integers(0, 3, g))})
    return preds, targets


@pytest.mark.parametrize("trial", range(12))
def test_coco_ap_equals_pycocotools(trial):
    rng = np.random.default_rng(100 + trial)
    preds, targets = _random_detections(rng, ties=trial % 2 == 0)
    areas = (
        None
        if trial % 3
        else {"all": (0, 1e10), "small": (0, 20.0**2), "medium": (20.0**2, 40.0**2), "large": (40.0**2, 1e10)}
    )
    ref = _pycocotools(preds, targets, areas)
    ours = coco_ap(preds, targets, box_format="xyxy", areas=areas)
    assert np.abs(np.array(list(ours.values())) - ref).max() < 1e-9, (ours, ref)


def test_coco_ap_hand_made():
    target = [{"boxes": torch.tensor([[0.5, 0.5, 0.2, 0.2]]), "labels": torch.tensor([0])}]
    perfect = [
        {"boxes": torch.tensor([[0.5, 0.5, 0.2, 0.2]]), "scores": torch.tensor([0.9]), "labels": torch.tensor([0])}
    ]
    result = coco_ap(perfect, target, image_size=64)
    assert result["AP"] == pytest.approx(1.0) and result["AR100"] == pytest.approx(1.0)
    assert (
        result["AP_small"] == pytest.approx(1.0) and result["AP_large"] == -1
    )  # a 12.8 px box is small in COCO's bands
    wrong_class = [{**perfect[0], "labels": torch.tensor([1])}]
    assert coco_ap(wrong_class, target, image_size=64)["AP"] == 0.0
    shifted = [{**perfect[0], "boxes": torch.tensor([[0.53, 0.5, 0.2, 0.2]])}]  # IoU 0.739: counts at 0.50-0.70 only
    assert (
        coco_ap(shifted, target, image_size=64)["AP"] == pytest.approx(0.5)
        and coco_ap(shifted, target, image_size=64)["AP75"] == 0.0
    )
    bands = scaled_areas(64)
    assert bands["small"][1] == pytest.approx((32 * 0.1) ** 2) and bands["large"][1] == 1e10
    with pytest.raises(ValueError, match="lacks 'scores'"):
        coco_ap([{"boxes": torch.zeros(0, 4), "labels": torch.zeros(0)}], target)
    with pytest.raises(ValueError, match="one prediction dict per image"):
        coco_ap([], target)
