"""Chapter 02's study of data hunger: a CNN and a ViT of the same size on growing training sets, trained to
fair end points, and a control that takes the CNN's locality prior away.

The first recipe, ``data_hunger`` (one seed, 6,000 steps for every size, no augmentation, no validation),
left two questions open. On the shape task the CNN reached 0.999 at 30,000 images, so the task had no
headroom; and the ViT at 30,000 images was still underfitting (training loss 0.65), so its gap to the
CNN mixed data with training budget. Here every run:

- sees the same augmented batches (random shifts of up to 3 pixels, left-right mirrors) for its seed,
  whatever the model;
- is evaluated every 250 steps on 1,000 validation images, stops once 6 evaluations in a row bring no new
  best (or at the 6,000-step budget), and is scored at its best validation checkpoint;
- is repeated with three seeds (initial weights and batch order; the images are fixed).

The control, ``cnn_perm``: the same CNN on the same images with the 4x4 patches of each image put in one
fixed random order (``vitlite.models.permuted``). A ViT with 4x4 patches computes exactly the same function
of a permuted image as of the original once its position embeddings are permuted the same way (a unit test
checks the outputs agree to float precision), so the control needs no ViT arm: the ViT's numbers are its
numbers on permuted images too. The CNN loses the fact that neighbouring pixels belong together at every
patch border.

The task is chosen by a pilot (``hunger_pilot_*``, one seed, 3,000 steps, every candidate at the largest
size of the main study, 10,000 images), written down before the main study's runs.
"""

from __future__ import annotations

from dataclasses import replace

from vitlite.data import TEXTURES
from vitlite.recipes.runner import Arm, Study

__all__ = ["PILOTS", "HUNGER", "HUNGER_BUDGET", "HUNGER_LONG", "STUDIES", "SIZES", "hunger_arms"]

SIZES = (1000, 3000, 10000)

_SETTINGS = dict(
    task="classification",
    n_val=1000,
    n_test=2000,
    n_score=2000,
    batch_size=64,
    lr=1e-3,
    weight_decay=0.05,
    eval_every=250,
    patience=6,
    augment=(("shift", 3), ("flip", True)),
)

CNN = ("resnet_tiny_shapes", "the course ResNet: a stride-2 stem and three stages of one basic block, 146k parameters")
VIT = ("vit_tiny_shapes", "the course ViT: 4x4 patches (64 tokens), width 64, depth 4, 4 heads, 142k parameters")


def _pilot(name: str, about: str, world: tuple, variant: str) -> Study:
    return Study(
        name=name,
        arms=(Arm("cnn", CNN[0], about=CNN[1]), Arm("vit", VIT[0], about=VIT[1])),
        world=world,
        variant=variant,
        seeds=(0,),
        n_train=max(SIZES),
        steps=3000,
        save_checkpoints=False,
        about=about,
        **_SETTINGS,
    )


# The candidates. The shape task of the first recipe had no headroom (the CNN at 0.999), so each candidate
# makes the question harder in a different way.
PILOTS: tuple[Study, ...] = (
    _pilot(
        "hunger_pilot_relation",
        "chapter 02's pilot: the relation task (two objects in opposite halves: the same shape or not?), CNN and ViT, 10,000 images, one seed, 3,000 steps",
        (("image_size", 32),),
        "relation",
    ),
    _pilot(
        "hunger_pilot_textured",
        "chapter 02's pilot: the shape task with every fill pattern, smaller objects and more noise, CNN and ViT, 10,000 images, one seed, 3,000 steps",
        (("image_size", 32), ("textures", TEXTURES), ("size_range", (0.1, 0.2)), ("noise", 0.08)),
        "shape",
    ),
)


def hunger_arms(
    sizes: tuple[int, ...] = SIZES, control_sizes: tuple[int, ...] = (SIZES[0], SIZES[-1])
) -> tuple[Arm, ...]:
    """The main study's arms: CNN and ViT at every size, the permuted CNN at the smallest and largest."""
    arms = []
    for n in sizes:
        arms.append(Arm(f"cnn_n{n}", CNN[0], about=CNN[1], n_train=n))
        arms.append(Arm(f"vit_n{n}", VIT[0], about=VIT[1], n_train=n))
        if n in control_sizes:
            arms.append(
                Arm(
                    f"cnn_perm_n{n}",
                    "patch_permuted",
                    (("model", CNN[0]), ("permutation_seed", 0)),
                    about="the control: the course ResNet on images whose 4x4 patches are shuffled by one fixed permutation",
                    n_train=n,
                )
            )
    return tuple(arms)


# The pilots, run 2026-12-02 (one thread each, 8 and 9 CPU-min), test accuracy at the best validation step:
# - relation: CNN 0.867 (train 0.886); ViT 0.482, at chance (0.5) throughout, stopped by patience at step 2,250.
#   A task the ViT does not start to learn in 3,000 steps cannot show how its gap to the CNN changes.
# - textured shapes: CNN 0.852 (train 0.876), ViT 0.502 (train 0.489, chance 0.2), both still rising at 3,000.
#   Both learn, and the CNN is well below 100% at the largest size: the main study uses this task.
TEXTURED_WORLD = PILOTS[1].world

HUNGER = Study(
    name="hunger",
    arms=hunger_arms(),
    world=TEXTURED_WORLD,
    variant="shape",
    seeds=(0, 1, 2),
    n_train=max(SIZES),
    steps=6000,
    about="chapter 02: CNN and ViT on 1,000, 3,000 and 10,000 textured-shape images, plus the CNN on patch-shuffled images at the smallest and largest size; three seeds, augmentation, early stopping",
    expectation=(
        "On 32x32 textured shapes (every fill pattern, radius 0.1-0.2 of the image, noise 0.08), the same augmentation "
        "for every run (shifts up to 3 px, mirrors), each run stopped at its best validation accuracy (patience 6 "
        "evaluations of 250 steps, budget 6,000 steps), three seeds: (1) the CNN's mean test accuracy is at least 0.05 "
        "above the ViT's at every size, 1,000, 3,000 and 10,000 images (the pilot at 10,000, 3,000 steps: 0.85 against "
        "0.50); (2) the paper's claim in miniature: the gap (CNN minus ViT, means) is smaller at 10,000 images than at "
        "1,000 (the first recipe, on plain shapes without these fair end points, found the opposite); (3) the control: "
        "at 1,000 and at 10,000 images the CNN on patch-shuffled images (one fixed permutation of the 4x4 patches; the "
        "ViT is exactly unchanged by it) falls at least halfway from the CNN's mean test accuracy to the ViT's, so the "
        "CNN's lead is its locality prior."
    ),
    expectation_fixed="2026-12-02",
    **_SETTINGS,
)

# The study, run 2026-12-02/03 (24 runs, 205 CPU-min), test accuracy at the best validation step, mean over
# three seeds: CNN 0.680 / 0.910 / 0.941 at 1,000 / 3,000 / 10,000 images; ViT 0.408 / 0.478 / 0.499; the
# shuffled CNN 0.413 at 1,000 and 0.596 at 10,000. Every ViT run ended with training accuracy near 0.5 (0.50-0.57
# at 1,000 images against 0.41 on test, 0.51 at 10,000 against 0.50): it fits neither small nor large sets, so
# its end point may be set by the budget (6,000 steps, patience 6 x 250) rather than by the data. The follow-up
# below asks that one question before its run; one seed, a check, not an asserted claim.
HUNGER_BUDGET = replace(
    HUNGER,
    name="hunger_budget",
    arms=(Arm("vit_n10000", VIT[0], about=VIT[1], n_train=10000),),
    seeds=(0,),
    steps=24000,
    patience=None,
    save_checkpoints=False,
    about="chapter 02's follow-up: the ViT at 10,000 textured-shape images with four times the study's budget (24,000 steps) and no early stopping, one seed",
    expectation=(
        "A check, one seed, not asserted: the study's ViT at 10,000 images ended on a plateau (test 0.499 +- 0.007, "
        "training accuracy about 0.50). If that plateau is set by the training budget, the same ViT with the same data, "
        "augmentation and settings but four times the steps (24,000, cosine schedule over all of them) and no early "
        "stopping reaches a best-validation test accuracy at least 0.05 above the study's mean, 0.55 or more; if it "
        "stays below 0.55, four times the steps do not move it, and the study's end points are not a budget artefact."
    ),
    expectation_fixed="2026-12-05",
)

# Run 2026-12-05 (2 threads, 61 CPU-min): test 0.632, train 0.675, best step 22,500 of 24,000. The study's
# ViT runs were cut short (by patience and by the cosine schedule); chapter 02's gap claim is inconclusive.

# The test that would decide, defined 2026-12-05 before any of its runs (none has run yet): the study again
# with a budget that lets every arm finish. About five times the study's CPU (roughly 17 CPU-hours, some
# 10 hours on a 2-core machine in two shards); records only (chapter 02 keeps the study's checkpoints).
HUNGER_LONG = replace(
    HUNGER,
    name="hunger_long",
    steps=24000,
    patience=24,
    save_checkpoints=False,
    about="chapter 02's decisive test: the study hunger again with every run allowed to finish (24,000 steps, patience 24 evaluations), three seeds",
    expectation=(
        "The study hunger's 24 runs again (same data, augmentation, seeds and learning rate) with a budget of 24,000 "
        "steps (cosine schedule over all of them) and a patience of 24 evaluations (6,000 steps), because the "
        "follow-up hunger_budget showed the study's ViT stopped short (0.499 -> 0.632 at 10,000 images with four "
        "times the steps, one seed). First an end-point check: a run whose best step lies in the last 2,000 steps "
        "of the budget was still climbing, and if most seeds of any arm were still climbing, the comparison is "
        "again inconclusive. Then: (1) the CNN's mean test accuracy is at least 0.05 above the ViT's at 1,000, "
        "3,000 and 10,000 images; (2) the paper's claim in miniature: the gap (CNN minus ViT, means) is smaller "
        "at 10,000 images than at 1,000; (3) at 1,000 and 10,000 images the CNN on patch-shuffled images falls at "
        "least halfway from the CNN's mean test accuracy to the ViT's."
    ),
    expectation_fixed="2026-12-05",
)

# Run 2026-12-05/06 (one thread per run, 8.1 CPU-h): test accuracy, means of three seeds, CNN / ViT / shuffled
# CNN: 0.679 / 0.424 / 0.421 at 1,000 images, 0.942 / 0.483 at 3,000, 0.970 / 0.620 / 0.745 at 10,000. The
# end-point check failed for one arm: all three shuffled-CNN runs at 10,000 images peaked in the last 2,000
# steps (by 0.003-0.004), so by the rule all three tests are inconclusive. The CNN and ViT arms finished:
# lead 0.255 / 0.459 / 0.350, wider at 10,000 than at 1,000; the shuffle costs 101% and 64% of the lead.

STUDIES: tuple[Study, ...] = PILOTS + (HUNGER, HUNGER_BUDGET, HUNGER_LONG)
