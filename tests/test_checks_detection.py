"""The checkers of chapters 07 and 08: a right answer passes, typical wrong answers get their hint."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from vitlite import checks
from vitlite.boxes import box_iou, generalized_box_iou
from vitlite.checks import CORRECT, NOT_ATTEMPTED, WRONG
from vitlite.models.dino import denoising_attention_mask


def test_paired_giou():
    assert checks.paired_giou(lambda a, b: generalized_box_iou(a, b).diag()).status == CORRECT
    plain = checks.paired_giou(lambda a, b: box_iou(a, b).diag())
    assert plain.status == WRONG and "plain IoU" in plain.message
    assert checks.paired_giou(None).status == NOT_ATTEMPTED


def test_matching_by_hand():
    assert checks.matching_by_hand([(0, 2), (1, 0)]).status == CORRECT
    greedy = checks.matching_by_hand([(0, 0), (1, 2)])
    assert greedy.status == WRONG and "greedy" in greedy.message
    assert checks.matching_by_hand("0,2").status == WRONG


def _bilinear(image, x, y):
    d, h, w = image.shape
    px, py = x * w - 0.5, y * h - 0.5
    x0, y0 = math.floor(px), math.floor(py)
    out = torch.zeros(d)
    for yy, wy in ((y0, 1 - (py - y0)), (y0 + 1, py - y0)):
        for xx, wx in ((x0, 1 - (px - x0)), (x0 + 1, px - x0)):
            if 0 <= yy < h and 0 <= xx < w:
                out += wy * wx * image[:, yy, xx]
    return out


def _clamped(image, x, y):  # the usual mistake: edge pixels repeated instead of zeros
    d, h, w = image.shape
    grid = torch.tensor([[[[2 * x - 1, 2 * y - 1]]]])
    return F.grid_sample(image[None], grid, mode="bilinear", padding_mode="border", align_corners=False)[0, :, 0, 0]


def test_bilinear_sample():
    assert checks.bilinear_sample(_bilinear).status == CORRECT
    wrong = checks.bilinear_sample(_clamped)
    assert wrong.status == WRONG and "zeros" in wrong.message


def test_deformable_reads():
    assert checks.deformable_reads(lambda q, s, h, lv, p: (q * h * lv * p, q * h * s)).status == CORRECT
    swapped = checks.deformable_reads(lambda q, s, h, lv, p: (q * h * s, q * h * lv * p))
    assert swapped.status == WRONG and "full attention's count" in swapped.message
    assert checks.deformable_reads(lambda q, s, h, lv, p: q * h * lv * p).status == WRONG


def test_denoising_mask_by_hand():
    right = denoising_attention_mask(3, 2, 2)
    assert checks.denoising_mask_by_hand(right.tolist()).status == CORRECT
    assert "opposite" in checks.denoising_mask_by_hand(~right).message
    leaky = right.clone()
    leaky[6, 0] = False
    message = checks.denoising_mask_by_hand(leaky).message
    assert "matching query 0 must not see denoising query 0" in message and "ground truth" in message
    assert checks.denoising_mask_by_hand(torch.zeros(7, 7, dtype=torch.bool)).status == WRONG


def test_detr_trails_if_stopped():
    """Chapter 07's exercise 3: with DETR's runs marked stopped by patience nothing can reverse the first row."""
    assert checks.detr_trails_if_stopped("held").status == CORRECT
    assert checks.detr_trails_if_stopped(" Held ").status == CORRECT
    assert "late gain counts as 0" in checks.detr_trails_if_stopped("inconclusive").message  # the trap
    assert "every seed agrees" in checks.detr_trails_if_stopped("held, not robust").message
    assert "one of the verdicts" in checks.detr_trails_if_stopped(0.2).message
    assert checks.detr_trails_if_stopped(None).status == NOT_ATTEMPTED
    # the real row is inconclusive only for its end points: the exercise's premise
    from vitlite.recipes import claims

    assert claims.recorded_verdict("07.slow") == "inconclusive"
