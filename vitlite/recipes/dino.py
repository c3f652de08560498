"""The studies of chapter 08 (DINO's ablation and convergence) on chapter 07's data and budget."""

from __future__ import annotations

from vitlite.recipes.detr import SETTINGS
from vitlite.recipes.runner import Arm, Study

__all__ = ["ARMS", "DINO", "ABLATION", "late_instability", "STUDIES"]

_OFF = (("query_selection", "static"), ("look_forward_twice", False), ("denoising", False))

# The seed's ablation, one contribution added at a time; the learning rate is chapter 07's DETR's.
ARMS = {
    "deformable": Arm(
        "deformable",
        "dino_tiny_shapes",
        _OFF,
        about="a deformable DETR with anchor boxes: learned anchors and content queries, no look forward twice, no denoising",
        lr=2e-4,
    ),
    "qs": Arm(
        "qs",
        "dino_tiny_shapes",
        (("look_forward_twice", False), ("denoising", False)),
        about="+ mixed query selection: anchors from the encoder's top proposals",
        lr=2e-4,
    ),
    "lft": Arm("lft", "dino_tiny_shapes", (("denoising", False),), about="+ look forward twice", lr=2e-4),
    "dino": Arm("dino", "dino_tiny_shapes", about="+ contrastive denoising: DINO", lr=2e-4),
}

# No pilot: the expectation below comes from the paper and chapter 07, fixed before any DINO run had been
# trained (a pilot's CPU time went to the three seeds instead). The
# asserted comparison (denoising against none, all else equal) has three seeds; the two earlier rows of the
# ablation have one seed each and are shown, not asserted. Half chapter 07's budget: chapter 07's DETR curves
# give its AP at 3,000 steps for the convergence comparison.
DINO = Study(
    name="dino",
    arms=(ARMS["lft"], ARMS["dino"]),
    n_test=2000,
    steps=3000,
    **SETTINGS,
    expectation=(
        "On chapter 07's ShapesWorld detection data, 3,000 steps, three seeds each: (1) contrastive denoising helps: "
        "DINO's mean test AP is at least 1 point above the same model without denoising; (2) denoising steadies the "
        "matching: DINO's mean matching instability (the share of ground-truth objects whose assigned query changes "
        "between evaluations) over the second half of training is lower than without denoising; (3) DINO converges "
        "faster than DETR: at 3,000 steps it is ahead of chapter 07's DETR at 6,000 steps (0.548 test AP)."
    ),
    expectation_fixed="2026-12-01",
    about="chapter 08: DINO with and without contrastive denoising, 3,000 steps, three seeds",
)

ABLATION = Study(
    name="dino_ablation",
    arms=(ARMS["deformable"], ARMS["qs"]),
    seeds=(0,),
    n_test=2000,
    steps=3000,
    **SETTINGS,
    expectation=(
        "One seed each, shown beside the three-seed runs and not asserted: mixed query selection and look forward "
        "twice each add AP, as in the paper's ablation (rows 4 and 5: +0.5 and +0.4 AP on COCO)."
    ),
    expectation_fixed="2026-12-01",
    about="chapter 08: the two earlier rows of DINO's ablation (a deformable DETR with anchor boxes; + mixed query selection), one seed, 3,000 steps",
)


def late_instability(record: dict) -> float:
    """Chapter 08's reading of DN-DETR's matching instability: its mean over the evaluations of the second
    half of the run (the share of objects whose matched query changed since the previous evaluation)."""
    history = record["history"]
    late = [v for s, v in zip(history["eval_step"], history["metrics"]["instability"]) if s > record["steps"] // 2]
    return sum(late) / len(late)


STUDIES: tuple[Study, ...] = (DINO, ABLATION)
