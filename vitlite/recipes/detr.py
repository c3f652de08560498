"""The studies of chapter 07 (DETR against a dense one-stage detector) on 64x64 ShapesWorld detection."""

from __future__ import annotations

from dataclasses import replace

from vitlite.recipes.runner import Arm, Study

__all__ = [
    "WORLD",
    "SETTINGS",
    "ARMS",
    "PILOT",
    "DETR_VS_DENSE",
    "DETR_LR_PILOT",
    "DETR_LR",
    "last_third_gain",
    "at_equal_ap",
    "STUDIES",
]

# Objects from small (radius 5 px) to large (19 px), one to three per image, five shapes.
WORLD = (("image_size", 64), ("size_range", (0.08, 0.3)))

ARMS = {
    "detr": Arm(
        "detr",
        "detr_tiny_shapes",
        about="DETR: the small backbone, 2 + 2 transformer layers of width 128, 10 queries, no NMS",
        lr=2e-4,
    ),
    "dense": Arm(
        "dense",
        "dense_tiny_shapes",
        about="a dense one-stage detector (FCOS-style) on the same backbone, with NMS",
        lr=1e-3,
    ),
}

# Chapter 07's data and optimiser settings; chapter 08's DINO studies use the same.
SETTINGS = dict(
    task="detection",
    world=WORLD,
    n_train=10000,
    n_val=500,
    n_score=1000,
    eval_every=500,
    batch_size=32,
    weight_decay=1e-4,
    grad_clip=0.1,
)

PILOT = Study(
    name="detr_pilot",
    arms=tuple(ARMS.values()),
    seeds=(0,),
    n_test=1000,
    steps=3000,
    save_checkpoints=False,
    **SETTINGS,
    about="chapter 07 pilot: DETR and the dense detector, one seed, 3,000 steps",
)

# Fixed after the pilot: at 3,000 steps the dense detector reached 0.754 test AP (0.53 after 500 steps)
# and DETR 0.406, still rising. The main runs double the budget for both.
DETR_VS_DENSE = Study(
    name="detr",
    arms=tuple(ARMS.values()),
    n_test=2000,
    steps=6000,
    **SETTINGS,
    expectation=(
        "On ShapesWorld detection at 64x64 (1 to 3 objects, radius 5 to 19 px), 6,000 steps, three seeds each: "
        "(1) DETR converges more slowly: it trails the dense detector at the end (the pilot: 0.41 against 0.75 AP at 3,000 steps) "
        "and gains more AP than it over the last third of training; (2) relative to its own AP, DETR is weaker on small objects "
        "and stronger on large ones than the dense detector (AP_S / AP lower, AP_L / AP higher; the pilot: 0.50 and 1.57 "
        "against 0.80 and 1.21); (3) DETR needs no NMS: adding it changes DETR's AP by less than 1 point, while removing it "
        "costs the dense detector more than 10 points."
    ),
    expectation_fixed="2026-12-01",
    about="chapter 07: DETR against a dense one-stage detector with NMS, same backbone and data, 6,000 steps, three seeds",
)


# Does the learning rate explain DETR's gap? DETR trains at 2e-4 (twice the official 1e-4, AdamW), the dense
# detector at 1e-3. Defined 2026-12-07 before its run: a one-seed pilot of DETR at the dense detector's rate.
DETR_LR_PILOT = Study(
    name="detr_lr_pilot",
    arms=(
        Arm(
            "detr_lr1e-3",
            "detr_tiny_shapes",
            about="DETR as in the main study, at the dense detector's learning rate (1e-3, five times its own)",
            lr=1e-3,
        ),
    ),
    seeds=(0,),
    n_test=2000,
    steps=6000,
    save_checkpoints=False,
    **SETTINGS,
    expectation=(
        "A pilot, one seed, not asserted: DETR at 1e-3 instead of 2e-4, otherwise the detr study's seed 0 "
        "(test AP 0.566; the dense detector 0.772). If it closes at least half of that gap (test AP 0.669 or "
        "more), the learning rate may explain the gap, and a three-seed arm follows (seeds 0-2, paired with "
        "the detr study's runs); if not, or if it trains worse, the chapter says the gap is not DETR's "
        "learning rate, on this one seed."
    ),
    expectation_fixed="2026-12-07",
    about="chapter 07 pilot: DETR at the dense detector's learning rate, one seed, 6,000 steps",
)


# Fixed 2026-12-07 from the pilot's record, before the main runs: at 1e-3 DETR reached 0.731 test AP on seed 0
# (0.566 at 2e-4; the dense detector 0.772), 80% of the gap closed, still rising at 6,000 steps.
DETR_LR = replace(
    DETR_LR_PILOT,
    name="detr_lr",
    seeds=(0, 1, 2),
    expectation=(
        "DETR at the dense detector's learning rate (1e-3 instead of 2e-4), otherwise the detr study's model, data, "
        "settings and 6,000 steps, seeds 0-2, each paired with the detr study's dense detector of the same seed: "
        "chapter 07's test of slow convergence (07.slow), unchanged: (1) DETR still trails the dense detector at "
        "the end, seed by seed, and (2) it gains more AP than the dense detector over the last third of training. "
        "Graded by the course's rule: a DETR run still improving at the end makes (1) inconclusive. A prediction, "
        "not asserted: the pilot (seed 0: 0.731 against 0.772, still rising) suggests the learning rate explains "
        "most of the gap, so (1) may be inconclusive, and (2) likely holds."
    ),
    about="chapter 07: DETR at the dense detector's learning rate, three seeds, 6,000 steps, paired with the detr study",
)


def last_third_gain(record: dict, metric: str = "AP") -> float:
    """How much a run's validation ``metric`` rose over the last third of its budget (from the evaluation
    at two thirds of the steps to the last one): chapter 07's reading of how far a detector still had to go."""
    steps, values = record["history"]["eval_step"], record["history"]["metrics"][metric]
    start = max(s for s in steps if s <= 2 * steps[-1] // 3)
    return values[-1] - values[steps.index(start)]


def at_equal_ap(slow: dict, fast: dict) -> dict:
    """Chapter 07's comparison at equal accuracy, as the paper's (DETR and Faster R-CNN both at 42.0 AP):
    the slow run's shares of its AP on small and on large objects at its last evaluation, and the fast run's
    at the evaluation whose AP is closest to that (validation scores, from the two records' histories)."""

    def share(history: dict, i: int) -> dict:
        m = history["metrics"]
        return {
            "step": history["eval_step"][i],
            "AP": m["AP"][i],
            "small": m["AP_small"][i] / m["AP"][i],
            "large": m["AP_large"][i] / m["AP"][i],
        }

    slow_h, fast_h = slow["history"], fast["history"]
    target = slow_h["metrics"]["AP"][-1]
    closest = min(range(len(fast_h["eval_step"])), key=lambda i: abs(fast_h["metrics"]["AP"][i] - target))
    return {"slow": share(slow_h, len(slow_h["eval_step"]) - 1), "fast": share(fast_h, closest)}


STUDIES: tuple[Study, ...] = (PILOT, DETR_VS_DENSE, DETR_LR_PILOT, DETR_LR)
