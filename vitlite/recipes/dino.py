"""The studies of chapter 08 (DINO's ablation and convergence) on chapter 07's data and budget."""

from __future__ import annotations

from vitlite.recipes.detr import SETTINGS
from vitlite.recipes.runner import Arm, Study

__all__ = ["ARMS", "PILOT", "STUDIES"]

_OFF = (("query_selection", "static"), ("look_forward_twice", False), ("denoising", False))

# The seed's ablation, one contribution added at a time; the learning rate is chapter 07's DETR's.
ARMS = {
    "deformable": Arm("deformable", "dino_tiny_shapes", _OFF, about="a deformable DETR with anchor boxes: learned anchors and content queries, no look forward twice, no denoising", lr=2e-4),
    "qs": Arm("qs", "dino_tiny_shapes", (("look_forward_twice", False), ("denoising", False)), about="+ mixed query selection: anchors from the encoder's top proposals", lr=2e-4),
    "lft": Arm("lft", "dino_tiny_shapes", (("denoising", False),), about="+ look forward twice", lr=2e-4),
    "dino": Arm("dino", "dino_tiny_shapes", about="+ contrastive denoising: DINO", lr=2e-4),
}

# One seed of every arm at half the budget, to choose the main runs and fix their expectation.
PILOT = Study(
    name="dino_pilot",
    arms=tuple(ARMS.values()),
    seeds=(0,),
    n_test=1000,
    steps=3000,
    save_checkpoints=False,
    **SETTINGS,
    about="chapter 08 pilot: the four arms of DINO's ablation, one seed, 3,000 steps (chapter 07's data, batch and learning rate)",
)

STUDIES: tuple[Study, ...] = (PILOT,)
