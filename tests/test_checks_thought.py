"""The thought exercises of chapters 01-04: the measured answer passes, the typical wrong ones get their hint."""

from __future__ import annotations

import math

import pytest

from vitlite import checks
from vitlite.checks import CORRECT, NOT_ATTEMPTED, WRONG


def test_smallest_alpha_matches_the_pencil_derivation():
    # The target scores 0; four pixels at distance 1 score -alpha, four at sqrt(2) score -2 alpha, ...
    # 99% on the target needs 4 exp(-alpha) + 4 exp(-2 alpha) + ... <= 1/99, so alpha is about ln(396) = 5.98.
    alpha = checks.smallest_alpha()
    assert abs(alpha - math.log(4 * 99)) < 0.05
    assert checks.target_weight(alpha) == pytest.approx(0.99, abs=1e-6)


def test_kernel_5x5_heads_alpha():
    assert checks.kernel_5x5_heads_alpha((25, 6.0)).status == CORRECT
    assert "3x3" in checks.kernel_5x5_heads_alpha((9, 6.0)).message
    assert "only" in checks.kernel_5x5_heads_alpha((25, 2.0)).message
    assert "not the smallest" in checks.kernel_5x5_heads_alpha((25, 20.0)).message
    assert checks.kernel_5x5_heads_alpha(25).status == WRONG
    assert checks.kernel_5x5_heads_alpha(None).status == NOT_ATTEMPTED


def test_vit_params_added_at_384():
    assert checks.vit_params_added_at_384((577 - 197) * 768).status == CORRECT
    assert "whole position table" in checks.vit_params_added_at_384(577 * 768).message
    assert "one row per token" in checks.vit_params_added_at_384(0).message
    assert checks.vit_params_added_at_384("291840").status == WRONG


def test_t2t_grids_at_384():
    assert checks.t2t_grids_at_384(([96, 48, 24], 9216**2)).status == CORRECT
    assert "soft split 1" in checks.t2t_grids_at_384(([96, 47, 24], 9216**2)).message
    assert "number of tokens" in checks.t2t_grids_at_384(([96, 48, 24], 9216)).message
    assert checks.t2t_grids_at_384(([96, 48], 1)).status == WRONG


def test_swin_shift_reach_is_measured():
    # Without the shift a patch never leaves its 4 x 4 window; with it, patch (5, 5) reads the shifted window
    # of rows and columns 2-5, whose patches read the regular windows 0-3 and 4-7: 8 x 8 patches.
    assert checks.swin_influence((0, 0)) == 16 and checks.swin_influence((0, 0, 0, 0)) == 16
    assert checks.swin_influence((0, 2)) == 64
    assert checks.swin_shift_reach((16, 64)).status == CORRECT
    assert "its own window" in checks.swin_shift_reach((64, 64)).message
    assert "second block" in checks.swin_shift_reach((16, 36)).message


def test_pup_shapes_at_96x128():
    right = [(64, 12, 16), (64, 24, 32), (64, 48, 64), (6, 96, 128)]
    assert checks.pup_shapes_at_96x128(right).status == CORRECT
    assert "classifier" in checks.pup_shapes_at_96x128(right[:3] + [(64, 96, 128)]).message
    assert "token grid" in checks.pup_shapes_at_96x128([(64, 96, 128)] + right[1:]).message
    assert checks.pup_shapes_at_96x128([(64, 12)]).status == WRONG
    assert checks.pup_shapes_at_96x128(None).status == NOT_ATTEMPTED


def test_reassemble_at_80x112():
    right = [(32, 20, 28), (64, 10, 14), (128, 5, 7), (128, 3, 4)]
    assert checks.reassemble_at_80x112(right).status == CORRECT
    assert "rounds *up*" in checks.reassemble_at_80x112(right[:3] + [(128, 2, 3)]).message
    assert "token grid" in checks.reassemble_at_80x112([(32, 10, 14)] + right[1:]).message


def test_setr_band_drop_from_the_records():
    import json

    from vitlite.assets import asset_path
    from vitlite.recipes.dense import SETR

    folder = asset_path("checkpoints", SETR.name)
    shares: dict[str, list[float]] = {}
    for path in sorted(folder.glob("*_seed*.json")):
        test = json.loads(path.read_text())["scores"]["test"]
        shares.setdefault(path.name.split("_seed")[0], []).append(1 - test["miou_band"] / test["miou_interior"])
    assert sorted(shares) == ["fcn", "mla", "naive", "pup"] and all(len(v) == 3 for v in shares.values())
    mean = {k: sum(v) / 3 for k, v in shares.items()}
    top = max(mean, key=mean.get)
    other = min(mean, key=mean.get)
    assert checks.setr_band_drop((top, mean[top])).status == CORRECT
    assert checks.setr_band_drop((top, mean[top] + 0.004)).status == CORRECT
    assert "right model" in checks.setr_band_drop((top, mean[top] + 0.02)).message
    assert "one model loses more" in checks.setr_band_drop((other, mean[other])).message
    assert "percentage" in checks.setr_band_drop((top, 100 * mean[top])).message
    assert "one of" in checks.setr_band_drop(("SETR", 0.3)).message
    assert checks.setr_band_drop(None).status == NOT_ATTEMPTED


def test_dpt_readout_gap_from_the_records():
    import json

    from vitlite.assets import asset_path

    values: dict[str, list[float]] = {}
    for study, prefix in (("dpt", "dpt_seed"), ("dpt_readout", "dpt_")):
        for path in sorted(asset_path("checkpoints", study).glob(f"{prefix}*.json")):
            record = json.loads(path.read_text())
            values.setdefault(record["label"], []).append(record["scores"]["test"]["abs_rel"])
    assert sorted(values) == ["dpt", "dpt_add", "dpt_ignore"] and all(len(v) == 3 for v in values.values())
    mean = {{"dpt": "project", "dpt_ignore": "ignore", "dpt_add": "add"}[k]: sum(v) / 3 for k, v in values.items()}
    best, worst = min(mean, key=mean.get), max(mean, key=mean.get)
    gap = mean[worst] - mean[best]
    assert checks.dpt_readout_gap((best, gap)).status == CORRECT
    assert checks.dpt_readout_gap((best, gap + 0.0004)).status == CORRECT
    assert "right readout" in checks.dpt_readout_gap((best, gap + 0.002)).message
    assert "another readout is lower" in checks.dpt_readout_gap((worst, gap)).message
    assert "cannot be negative" in checks.dpt_readout_gap((best, -gap - 0.01)).message
    assert "one of" in checks.dpt_readout_gap(("cls", 0.001)).message
    assert checks.dpt_readout_gap(None).status == NOT_ATTEMPTED


def test_outline_fourth_seed_grades_by_the_rule_and_names_its_traps():
    assert checks.outline_fourth_seed("held, not robust").status == CORRECT
    assert checks.outline_fourth_seed(" Held, not robust ").status == CORRECT  # case and spaces do not matter
    assert "every seed" in checks.outline_fourth_seed("held").message  # the trap: the mean passes
    assert "past 0.6" in checks.outline_fourth_seed("did not hold").message
    assert "nothing here is unfinished" in checks.outline_fourth_seed("inconclusive").message
    assert "one of the verdicts" in checks.outline_fourth_seed(0.81).message
    assert checks.outline_fourth_seed(None).status == NOT_ATTEMPTED


def test_t2t_gap_at_3000():
    """Chapter 03's exercise 4: at 3,000 steps two T2T-ViT runs were still improving, so the gap row waits."""
    assert checks.t2t_gap_at_3000("inconclusive").status == CORRECT
    assert checks.t2t_gap_at_3000(" Inconclusive ").status == CORRECT
    assert "seed 1" in checks.t2t_gap_at_3000("held").message  # the trap: the mean alone
    assert "end point" in checks.t2t_gap_at_3000("held, not robust").message
    assert "one of the verdicts" in checks.t2t_gap_at_3000(0.014).message
    assert checks.t2t_gap_at_3000(None).status == NOT_ATTEMPTED
    # the same row on the long study held: the exercise's contrast
    from vitlite.recipes import claims

    assert claims.recorded_verdict("03.generalises") == "held"
