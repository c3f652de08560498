"""The studies of chapter 07 (DETR against a dense one-stage detector) on 64x64 ShapesWorld detection."""

from __future__ import annotations

from vitlite.recipes.runner import Arm, Study

__all__ = ["WORLD", "ARMS", "PILOT", "STUDIES"]

# Objects from small (radius 5 px) to large (19 px), one to three per image, five shapes.
WORLD = (("image_size", 64), ("size_range", (0.08, 0.3)))

ARMS = {
    "detr": Arm("detr", "detr_tiny_shapes", about="DETR: the small backbone, 2 + 2 transformer layers of width 128, 10 queries, no NMS", lr=2e-4),
    "dense": Arm("dense", "dense_tiny_shapes", about="a dense one-stage detector (FCOS-style) on the same backbone, with NMS", lr=1e-3),
}

PILOT = Study(
    name="detr_pilot",
    task="detection",
    arms=tuple(ARMS.values()),
    world=WORLD,
    seeds=(0,),
    n_train=10000,
    n_val=500,
    n_test=1000,
    n_score=1000,
    steps=3000,
    eval_every=500,
    batch_size=32,
    weight_decay=1e-4,
    grad_clip=0.1,
    save_checkpoints=False,
    about="chapter 07 pilot: DETR and the dense detector, one seed, 3,000 steps",
)

STUDIES: tuple[Study, ...] = (PILOT,)
