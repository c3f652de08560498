"""Chapter 04's studies on 64x64 ShapesWorld: Swin with and without shifted windows (the paper's Table 4).

Issue 15 asks for the shift ablation with three seeds, on a task where windows can matter. The course
Swin stayed at chance on the shape task in its first recipe (1,700 steps, no warm-up). The one-seed
pilots below ask, with the study runner's warm-up, cosine schedule and best-validation checkpoint, what
makes it learn the task at all (the first two: nothing tried; the third: max pooling over the last
stage's tokens does), before the main study's expectation was written. The main study, ``swin_shift``,
is the paper's Table 4 ablation on the Swin with that one switch, three seeds, with a ViT beside it.
"""

from __future__ import annotations

from dataclasses import replace

from vitlite.recipes.runner import Arm, Study

__all__ = [
    "SWIN_ARMS",
    "SWIN_SHIFT_PILOT",
    "SWIN_TRIES_PILOT",
    "SWIN_POOL_PILOT",
    "SWIN_SHIFT",
    "SWIN_GLOBAL_PILOT",
    "SWIN_GLOBAL_SHIFT",
    "SWIN_GLOBAL_LONG",
    "SWIN_SHIFT_LONG_PILOT",
    "SWIN_POOL_SMALL",
    "SWIN_POOL_LARGE",
    "STUDIES",
]

SWIN_ARMS = {
    "swin": Arm(
        "swin", "swin_tiny_shapes", about="the course Swin: 2x2 patches, 4x4 windows, every second block shifted"
    ),
    "swin_noshift": Arm(
        "swin_noshift",
        "swin_tiny_shapes",
        (("shift", False),),
        about="the same Swin, every block on the regular window grid",
    ),
    "vit_p4": Arm(
        "vit_p4",
        "vit_tiny_shapes",
        (("img_size", 64), ("patch_size", 4), ("embed_dim", 40), ("depth", 4), ("num_heads", 2), ("mlp_ratio", 2.0)),
        about="chapter 04's ViT with 4x4 patches: global attention at the Swin's second-stage resolution",
    ),
}

# Data and optimisation shared by the one-seed pilots here.
PILOT_SETTINGS = dict(
    world=(("image_size", 64),),
    variant="shape",
    seeds=(0,),
    steps=1500,
    n_train=10000,
    n_val=500,
    n_test=1000,
    n_score=1000,
    batch_size=32,
    lr=1e-3,
    save_checkpoints=False,
)

SWIN_SHIFT_PILOT = Study(
    name="swin_shift_pilot",
    task="classification",
    arms=tuple(SWIN_ARMS.values()),
    **PILOT_SETTINGS,
    about="chapter 04 pilot: Swin with and without shifted windows, and a ViT with 4x4 patches, on the shape task, one seed, 1,500 steps",
)

# The pilot, run 2026-12-02 (one seed, 1,500 steps, on one thread beside another job): both Swins stayed
# at chance the whole way (validation accuracy 0.22 at every evaluation, training loss 1.61 = ln 5, test
# 0.207), with and without the shift alike, so warm-up and a cosine schedule are not what it lacked. The
# ViT with 4x4 patches learned, slowly (validation 0.22 -> 0.34, test 0.350; 204 s against Swin's 775 s).
# Next, before any expectation: what gets the Swin off chance (a convolutional stem, augmentation, a
# larger learning rate, fewer but wider stages), each tried for one seed.

# A second pilot, two one-seed tries that need no new code: twice the learning rate, and 4x4 patches
# (16x16 tokens, where the ViT with 4x4 patches learned), both with the shift.
SWIN_TRIES_PILOT = Study(
    name="swin_tries_pilot",
    task="classification",
    arms=(
        Arm("swin_lr2e-3", "swin_tiny_shapes", about="the course Swin, learning rate 2e-3", lr=2e-3),
        Arm(
            "swin_p4",
            "swin_tiny_shapes",
            (("patch_size", 4),),
            about="the course Swin with 4x4 patches: 16x16 tokens, then 8x8",
        ),
    ),
    **PILOT_SETTINGS,
    about="chapter 04 pilot: what gets the course Swin off chance on the shape task (lr 2e-3; 4x4 patches), one seed, 1,500 steps",
)

# Run 2026-12-02: both stayed at chance too (test 0.207, loss ln 5 throughout; 363 s and 116 s). At
# initialisation the course Swin's logits barely vary across images (std 0.018 over 64 shape images), and
# its loss never leaves the class prior, where chapter 04's recipe learned textures; what it lacks on
# shapes is still open (a convolutional stem, augmentation, a stage layout closer to Swin-T's).

# Quick looks before a third pilot (2026-12-02, one seed, a few hundred steps, not recorded): the course
# Swin can memorise 32 shape images (loss 1.61 -> 0.22 in 120 steps), so gradients flow. On the task, the
# loss stayed at ln 5 for 400 steps with inputs normalised to zero mean and unit spread, with a two-layer
# convolutional stem, without the last LayerNorm, and with three stages and 4x4 patches (a last stage of a
# single 4x4 window, as Swin-T's last stage is one 7x7 window). It moved only when the last stage's tokens
# were max-pooled instead of averaged (validation 0.27 at 300 steps), and clearly with a stem and max
# pooling together (0.46 at 200 steps, 0.49 at 300; the small ResNet of chapter 02: 0.89 at 400). The
# likely reason: a shape covers a few of the 256 last-stage tokens, and after the last LayerNorm every
# token, background or not, has the same size, so the average is mostly background. The third pilot
# tries the two switches alone and together (they are not the paper's; the chapter would say so), and the
# shift's effect with both.
SWIN_POOL_PILOT = Study(
    name="swin_pool_pilot",
    task="classification",
    arms=(
        Arm(
            "swin_max",
            "swin_tiny_shapes",
            (("global_pool", "max"),),
            about="the course Swin, max pooling over the last stage's tokens",
        ),
        Arm(
            "swin_stem",
            "swin_tiny_shapes",
            (("stem_width", 32),),
            about="the course Swin after two 3x3 convolutions (32 channels)",
        ),
        Arm(
            "swin_stem_max",
            "swin_tiny_shapes",
            (("stem_width", 32), ("global_pool", "max")),
            about="the course Swin with the stem and max pooling",
        ),
        Arm(
            "swin_stem_max_noshift",
            "swin_tiny_shapes",
            (("stem_width", 32), ("global_pool", "max"), ("shift", False)),
            about="the same, every block on the regular window grid",
        ),
    ),
    **PILOT_SETTINGS,
    about="chapter 04 pilot: a convolutional stem and max pooling, alone and together (and without the shift), on the shape task, one seed, 1,500 steps",
)

# The pilot's first arm answered its question while the others ran (2026-12-02): max pooling alone got
# the Swin off chance (validation 0.23, 0.37, 0.57, 0.69, 0.73, 0.74 every 250 steps; test 0.739 after
# 1,500 steps, train 0.757; 886 s beside two other jobs), where the ViT with 4x4 patches of the first pilot
# reached 0.350. The main study below was written then, before the pilot's stem arms had finished, and
# measures the shift on the Swin with that one switch.

# The pilot's other arms, finished after the main study was written (test / train accuracy, validation
# every 250 steps): the stem alone 0.337 / 0.326 (0.23 -> 0.35, barely off chance); the stem with max
# pooling 0.992 / 0.995 (0.58 at the first evaluation); the same without the shift 0.926 / 0.935. Stem and
# max pooling together nearly solve the task, which leaves little room for a difference to show; the
# main study keeps the one switch.

SWIN_SHIFT = Study(
    name="swin_shift",
    task="classification",
    arms=(
        Arm(
            "swin",
            "swin_tiny_shapes",
            (("global_pool", "max"),),
            about="the course Swin (2x2 patches, 4x4 windows, every second block shifted), max pooling over the last stage's tokens",
        ),
        Arm(
            "swin_noshift",
            "swin_tiny_shapes",
            (("global_pool", "max"), ("shift", False)),
            about="the same Swin with every block on the regular window grid (the paper's Table 4 ablation)",
        ),
        SWIN_ARMS["vit_p4"],
    ),
    world=(("image_size", 64),),
    variant="shape",
    seeds=(0, 1, 2),
    steps=1500,
    batch_size=32,
    lr=1e-3,
    expectation=(
        "On 64x64 ShapesWorld shapes, 10,000 training images, 1,500 steps of 32 for every arm, three seeds each, "
        "best-validation checkpoints, the course Swin with max pooling over its last stage's tokens: (1) with "
        "shifted windows its mean test accuracy is at least 0.03 above the same Swin without them (the paper's "
        "Table 4: +1.1 ImageNet top-1, +2.8 COCO box AP, +2.8 ADE20K mIoU). The reason to expect more than the "
        "paper's margin: without the shift no token ever sees past its window, and a last-stage window covers "
        "16x16 of the 64x64 pixels, less than a large shape; with it, tokens reach across window borders "
        "(chapter 04's token reach). (2) The Swin is at least 0.05 above the ViT with 4x4 patches (global "
        "attention over 256 tokens, read out by its class token) at the same steps (the pilots, one seed each: "
        "0.739 against 0.350)."
    ),
    expectation_fixed="2026-12-02",
    about="chapter 04: Swin with and without shifted windows (max pooling), and a ViT with 4x4 patches, on the shape task, three seeds, 1,500 steps",
)

# Run 2026-12-02 (two shards on one thread each, 77 CPU-min): test accuracy with the shift 0.740 / 0.802 /
# 0.760, without 0.734 / 0.791 / 0.555, ViT/4 0.350 / 0.347 / 0.345. (1) held on the means (+0.074), but
# seed by seed the shift adds 0.007, 0.010 and 0.204: the mean rests on one seed whose no-shift run stalled
# (validation 0.42 from step 500 to 750, 0.54 at the end). (2) held by far, with the caveat that the ViT
# reads out through its class token and the Swin through max pooling.

# Issue 15 also asks for a course Swin whose last stage is a single window, as Swin-T's 7x7 stage is at
# 224 pixels. The course Swin's two stages end at 16x16 tokens, four windows of 4x4 a side. A layout like
# Swin-T's in miniature: four stages (2, 2, 2, 2 blocks) from 2x2 patches, 32 -> 16 -> 8 -> 4 tokens a side,
# so the last stage is one 4x4 window whose blocks do not shift; width 16 doubling per stage (400k
# parameters against 94k). A one-seed pilot, defined before its run, with the switch that got the course
# Swin off chance (max pooling); the earlier quick look at a 3-stage layout used mean pooling.
_GLOBAL_LAST = (("embed_dim", 16), ("depths", (2, 2, 2, 2)), ("num_heads", (1, 2, 4, 8)), ("global_pool", "max"))
SWIN_GLOBAL_PILOT = Study(
    name="swin_global_pilot",
    task="classification",
    arms=(
        Arm(
            "swin_global_last",
            "swin_tiny_shapes",
            _GLOBAL_LAST,
            about="a Swin-T layout in miniature: four stages, 32/16/8/4 tokens a side, 4x4 windows, so the last stage is one window; max pooling",
        ),
    ),
    **PILOT_SETTINGS,
    expectation=(
        "A pilot, one seed, not asserted: the four-stage Swin whose last stage is a single window, with max pooling, "
        "trains on the shape task in 1,500 steps (training accuracy above chance + 0.05, 0.25). Its test accuracy is "
        "set beside the course Swin with max pooling in the pool pilot (0.739); within 0.05 of it or above, the "
        "layout is a candidate for the course Swin's default (which would mean retraining swin_shift)."
    ),
    expectation_fixed="2026-12-05",
    about="chapter 04 pilot: a four-stage Swin whose last stage is a single window (max pooling), one seed, 1,500 steps",
)

# Run 2026-12-05 (2 threads, 5 CPU-min): it trains, and fast: validation 0.41, 0.59, 0.66, 0.74, 0.77, 0.78
# every 250 steps, test 0.777, train 0.823, still rising at step 1,500 (the course Swin with max pooling:
# 0.739). A candidate for the default layout.

# The shift ablation on that layout, defined 2026-12-05 before its runs. Here the last stage is one window,
# so even without the shift every token is mixed with every other once, at the end; in the two-stage course
# Swin of swin_shift no token ever sees past its window without the shift. If the shift's value is that it
# connects windows, it should matter less here than there.
SWIN_GLOBAL_SHIFT = replace(
    SWIN_SHIFT,
    name="swin_global_shift",
    arms=(
        Arm(
            "swin",
            "swin_tiny_shapes",
            _GLOBAL_LAST,
            about="the four-stage Swin whose last stage is one window, every second block shifted where the stage has more than one window; max pooling",
        ),
        Arm(
            "swin_noshift",
            "swin_tiny_shapes",
            _GLOBAL_LAST + (("shift", False),),
            about="the same, every block on the regular window grid",
        ),
    ),
    save_checkpoints=False,
    expectation=(
        "On swin_shift's task, data, budget and seeds (64x64 shapes, 10,000 training images, 1,500 steps of 32, "
        "best-validation checkpoints), the four-stage Swin whose last stage is a single 4x4 window, with max pooling: "
        "(1) with shifted windows its mean test accuracy is at least 0.03 above the same Swin without them (the "
        "paper's Table 4; swin_shift's threshold). Beside it, a prediction not asserted: the shift's gain here is "
        "smaller than in swin_shift (+0.074 on the means there, +0.007, +0.010, +0.204 seed by seed), because the "
        "single-window last stage connects every token without it."
    ),
    expectation_fixed="2026-12-05",
    about="chapter 04: the shift ablation on a four-stage Swin whose last stage is a single window, three seeds, 1,500 steps",
)

# Run 2026-12-05 (two shards on one thread each, 24 CPU-min): test accuracy with the shift 0.775 / 0.734 /
# 0.777, without 0.757 / 0.768 / 0.734: +0.009 on the means (+0.018, -0.034, +0.043 seed by seed), so the
# claim did not hold; the prediction (a smaller gain than swin_shift's) did. Every run's best step was its
# last (1,500): both arms were still climbing when the budget ran out, so the comparison is of end points
# that the budget set, as chapter 02's first study was.

# The same ablation with a budget long enough to reach end points, defined 2026-12-05 (a later session)
# before any of its runs. Same layout, data, seeds, learning rate and threshold; 4,000 steps (cosine
# schedule over all of them; 12,800 images seen per 100 steps, so each training image about 13 times).
# About 2.7 times swin_global_shift's CPU (some 65 CPU-min). Records only. Written before the run: it
# replaces swin_global_shift as the record of chapter 04's claims row for this layout, with the end-point
# check below deciding whether that row is conclusive.
SWIN_GLOBAL_LONG = replace(
    SWIN_GLOBAL_SHIFT,
    name="swin_global_long",
    steps=4000,
    about="chapter 04: the shift ablation on the four-stage Swin whose last stage is a single window, 4,000 steps (end points), three seeds",
    expectation=(
        "swin_global_shift again (the four-stage Swin whose last stage is one 4x4 window, max pooling; 64x64 shapes, "
        "10,000 training images, batches of 32, learning rate 1e-3, best-validation checkpoints, three seeds) with "
        "4,000 steps instead of 1,500 (cosine schedule over all of them), because every run of swin_global_shift "
        "was still rising at its last step. First an end-point check: a run is still climbing if its validation "
        "accuracy at the last evaluation (step 4,000) is more than 0.01 above its best up to step 3,000; if most "
        "seeds of either arm are still climbing, the comparison is inconclusive. Then (1) with shifted windows the "
        "mean test accuracy is at least 0.03 above the same Swin without them (the paper's Table 4; swin_shift's "
        "threshold). Beside it, predictions not asserted: both arms end above their 1,500-step means (0.762 and "
        "0.753), and the shift's gain stays below 0.03 here, because the single-window last stage mixes every "
        "token with every other without it."
    ),
    expectation_fixed="2026-12-05",
)

# Run 2026-12-05 (two shards on one thread each, 60 CPU-min): test accuracy with the shift 0.968 / 0.951 /
# 0.909, without 0.928 / 0.937 / 0.929 (train 0.98-1.00): +0.011 on the means (+0.040, +0.014, -0.021 seed
# by seed), under the threshold: (1) did not hold. The end-point check passed (one seed of each arm still
# climbing after step 3,000, two levelled off), so the verdict stands. Both predictions held: every arm
# ended far above its 1,500-step mean (+0.18), and the gain stayed under 0.03.

# The two-stage Swin, where the shifted window is the only path between windows, at end points: its budget
# is not known (every swin_shift run was still improving at 1,500 steps), so a one-seed pilot first,
# defined 2026-12-07 before its run: both arms of swin_shift, seed 0, four times the steps (6,000, cosine over
# all of them) with patience 16 evaluations (4,000 steps). It sets the main study's budget: if both runs
# stop improving (late gain at most 0.01 after step 4,500, or stopped by patience), five seeds per arm get
# this budget; if a run is still improving, the budget is doubled first.
SWIN_SHIFT_LONG_PILOT = replace(
    SWIN_SHIFT,
    name="swin_shift_long_pilot",
    arms=SWIN_SHIFT.arms[:2],
    seeds=(0,),
    steps=6000,
    patience=16,
    save_checkpoints=False,
    expectation=(
        "A pilot, one seed, not asserted: the two-stage course Swin with and without shifted windows (max pooling; "
        "swin_shift's data and settings) with 6,000 steps and patience 16. Does each run reach its end point (a late "
        "gain of at most 0.01 after step 4,500, or stopped by patience)? If so, the five-seed study gets this budget."
    ),
    expectation_fixed="2026-12-07",
    about="chapter 04's pilot: the two-stage Swin with and without the shift, one seed, 6,000 steps with patience 16: where are the end points?",
)

# Run 2026-12-07 (one thread, 63 CPU-min): both runs reached their end points by the course's rule (late gain
# after step 4,500: +0.008 with the shift, +0.006 without; neither stopped by patience). So the five-seed study
# gets this budget.

# The five-seed study, defined 2026-12-07 from that pilot and committed before any of its runs. Seeds 1-5, so
# that no run repeats the pilot's seed 0 (same seed and budget would give the pilot's run again, and the pilot
# has been looked at). The threshold is swin_shift's 0.03, unchanged.
SWIN_SHIFT_FIVE = replace(
    SWIN_SHIFT_LONG_PILOT,
    name="swin_shift_five",
    seeds=(1, 2, 3, 4, 5),
    expectation=(
        "The two-stage course Swin (2x2 patches, 4x4 windows, max pooling; 64x64 shapes, 10,000 training images, "
        "batches of 32, learning rate 1e-3, best-validation checkpoints), where the shifted window is the only path "
        "between windows, with and without the shift, five seeds (1-5) paired by seed, 6,000 steps (cosine over all "
        "of them) with patience 16 evaluations, the budget at which the pilot's two runs reached their end points. "
        "(1) With shifted windows the mean test accuracy is at least 0.03 above the same Swin without them, and the "
        "shift is ahead in every seed (swin_shift's threshold; the paper's Table 4 gains are 1.1 to 2.8 points). "
        "Graded by the course's rule: inconclusive if a run without the shift is still improving at the end (a "
        "late gain above 0.01 after step 4,500). A prediction, not asserted: the pilot's gap was +0.026 at seed 0, "
        "just under the threshold, so the mean lands near 0.03 and the verdict may be 'did not hold' or 'held, not "
        "robust' rather than 'held'."
    ),
    expectation_fixed="2026-12-07",
    about="chapter 04: the two-stage Swin with and without shifted windows at end points, five seeds, 6,000 steps with patience 16",
)

# Run 2026-12-07 (two cores, one thread per run, 4.2 CPU-hours): the shift ahead in every seed, by +0.016,
# +0.002, +0.023, +0.033, +0.012 (mean +0.017, under the threshold); no run still improving by the rule, so
# (1) did not hold. The paper's own gains (1.1-2.8 points) lie where this one does.

# "Swin beats a ViT of its size" at end points and at matched size, defined 2026-12-07 and committed before
# its runs. swin_shift compared the Swin (94,001 parameters) with a ViT/4 of 65k at 1,500 steps, where the
# ViT was still improving. Here the ViT/4 is widened to 48 (two heads, depth 4, MLP ratio 2): 90,917
# parameters, 3.3% under the Swin's; it runs swin_shift_five's data, settings, budget and patience, seeds 1-3,
# so each run pairs with the five-seed study's shifted Swin of the same seed (its seeds 4 and 5 have no pair).
# No pilot: the budget is the Swin's, so the comparison is at equal steps; if the ViT is still improving at
# the end, the rule makes the row inconclusive, which is the honest outcome of an equal budget.
SWIN_VIT_MATCHED = replace(
    SWIN_SHIFT_FIVE,
    name="swin_vit_matched",
    arms=(
        Arm(
            "vit_p4_matched",
            "vit_tiny_shapes",
            (
                ("img_size", 64),
                ("patch_size", 4),
                ("embed_dim", 48),
                ("depth", 4),
                ("num_heads", 2),
                ("mlp_ratio", 2.0),
            ),
            about="the ViT with 4x4 patches widened to 48: 90,917 parameters against the Swin's 94,001",
        ),
    ),
    seeds=(1, 2, 3),
    expectation=(
        "The ViT with 4x4 patches (global attention over 256 tokens, class-token read-out) widened to 90,917 "
        "parameters, within 5% of the two-stage Swin's 94,001, on swin_shift_five's data, settings, budget (6,000 "
        "steps, patience 16) and seeds 1-3, each paired with swin_shift_five's shifted Swin of the same seed. (1) "
        "The Swin's mean test accuracy is at least 0.05 above the ViT's, and the Swin is ahead in every seed "
        "(swin_shift's threshold, from its pilot: 0.739 against 0.350). Graded by the course's rule: "
        "inconclusive if a ViT run is still improving at the end (a late gain above 0.01 after step 4,500). A "
        "prediction, not asserted: the ViT learns slowly here (0.35 after 1,500 steps), so it may still be "
        "improving at 6,000 and the row may be inconclusive; if it has levelled off, the Swin leads by far more "
        "than 0.05."
    ),
    expectation_fixed="2026-12-07",
    about="chapter 04: a ViT/4 of the Swin's size at the Swin's end-point budget, three seeds, paired with swin_shift_five",
)

# The pooling hypothesis, tested cheaply (defined 2026-12-07, committed before its runs). The course Swin with
# the paper's average pooling stayed at chance on the shape task (test 0.207 in swin_shift_pilot: it always
# answers one class), and the chapter's reason is that a shape covers a fiftieth to a fifth of the image
# (8% on average), so the mean of the last stage's tokens is mostly background. If that is the reason, the
# same Swin learns when the object fills much of the frame, as ImageNet's objects usually do: radii of 0.35
# to 0.5 of the image (41% of it on average, 16% to 79%). Two studies with the pilots' data sizes and
# settings, seeds 0-2, paired by seed: the same average-pooled Swin on the usual sizes (the control: it must
# stay at chance, as swin_shift_pilot's seed 0 did) and on large objects.
_POOL_TEST = dict(PILOT_SETTINGS, seeds=(0, 1, 2))
_POOL_EXPECTATION = (
    "The pooling hypothesis: the course Swin with the paper's average pooling (2x2 patches, 4x4 windows, shift; "
    "the pilots' data sizes and settings, 1,500 steps, batches of 32, learning rate 1e-3, best-validation "
    "checkpoints), seeds 0-2, on one-object shape images of 64x64. (1) With large objects (radius 0.35-0.5 of the "
    "image, swin_pool_large) its test accuracy is at least 0.5 in every seed: clearly off chance (0.2), a threshold "
    "fixed a priori halfway to the max-pooled Swin's 0.74 on the usual sizes in swin_pool_pilot, rounded down. "
    "(2) The control, the same Swin on the usual sizes (radius 0.12-0.25, swin_pool_small), stays within 0.05 of "
    "chance in every seed (it was at 0.207 in swin_shift_pilot). If both hold, 'a small object is lost in the "
    "mean' is supported; if the large-object Swin also stays at chance, the reason lies elsewhere (the "
    "near-constant logits at initialisation that swin_tries_pilot measured)."
)
SWIN_AVG = Arm(
    "swin_avg",
    "swin_tiny_shapes",
    about="the course Swin with the paper's average pooling over the last stage's tokens",
)
SWIN_POOL_SMALL = Study(
    name="swin_pool_small",
    task="classification",
    arms=(SWIN_AVG,),
    **_POOL_TEST,
    expectation=_POOL_EXPECTATION,
    expectation_fixed="2026-12-07",
    about="chapter 04: the average-pooled Swin on the usual object sizes (the pooling test's control), three seeds, 1,500 steps",
)
SWIN_POOL_LARGE = replace(
    SWIN_POOL_SMALL,
    name="swin_pool_large",
    world=(("image_size", 64), ("size_range", (0.35, 0.5))),
    about="chapter 04: the average-pooled Swin on objects that fill much of the frame (radius 0.35-0.5), three seeds, 1,500 steps",
)

STUDIES: tuple[Study, ...] = (
    SWIN_SHIFT_PILOT,
    SWIN_TRIES_PILOT,
    SWIN_POOL_PILOT,
    SWIN_SHIFT,
    SWIN_GLOBAL_PILOT,
    SWIN_GLOBAL_SHIFT,
    SWIN_GLOBAL_LONG,
    SWIN_SHIFT_LONG_PILOT,
    SWIN_SHIFT_FIVE,
    SWIN_VIT_MATCHED,
    SWIN_POOL_SMALL,
    SWIN_POOL_LARGE,
)
