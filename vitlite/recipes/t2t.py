"""Chapter 03's study on 32x32 ShapesWorld shapes: ViT, T2T-ViT, and T2T-ViT without overlap (the control).

T2T-ViT's claim is that the soft split, an unfold whose windows overlap, lets the tokens model the local
structure of neighbouring pixels that a ViT's hard split into patches cuts apart. The control keeps
everything of T2T-ViT (three re-structurisations, the token transformers between them, the same final
8x8 grid and backbone) except the overlap: every kernel equals its stride, so each pixel goes into one
token only. Its unfolded vectors are shorter (a 2x2 window instead of 5x5), so its tokens are made 44
wide instead of 24, which gives it T2T-ViT's parameter count (144.6k against 143.6k). If the control
keeps most of T2T's gain over the ViT, the gain comes from something other than the soft split (the
extra token layers, the progressive tokenisation), and the chapter says so.

The data are those of chapter 03's first recipe, ``soft_split`` (10,000 training images with seed 0,
2,000 test images with seed 1; here also 1,000 validation images with seed 2 to pick each run's best
checkpoint). That recipe's one run per model, 4,800 steps for the ViT and 3,000 for T2T-ViT, serves as
the pilot: test accuracy ViT 0.66, T2T-ViT 0.77, on the training images 0.78 and 0.81.
"""

from __future__ import annotations

import math
from dataclasses import replace

from vitlite.recipes.runner import Arm, Study

__all__ = [
    "T2T_ARMS",
    "T2T_STUDY",
    "T2T_CONTROL_PILOT",
    "T2T_CONTROL_INIT_PILOT",
    "T2T_NO_TOKEN_ATTENTION",
    "T2T_MLP_NO_OVERLAP",
    "T2T_LEARNED_POS_PILOT",
    "T2T_LEARNED_POS",
    "T2T_LEARNED_TABLE",
    "T2T_LONG",
    "CONTROL_PROJECT_STD",
    "STUDIES",
]

T2T_ARMS = {
    "vit": Arm("vit", "vit_tiny_shapes", about="the course ViT: a hard split into 4x4 patches, 8x8 tokens, depth 4"),
    "t2t": Arm(
        "t2t",
        "t2t_vit_tiny_shapes",
        about="T2T-ViT: soft splits 5/3/3 with strides 2/2/1 (overlapping), 8x8 tokens, depth 3",
    ),
    "t2t_no_overlap": Arm(
        "t2t_no_overlap",
        "t2t_vit_tiny_shapes",
        (("kernels", (2, 2, 1)), ("strides", (2, 2, 1)), ("paddings", (0, 0, 0)), ("token_dim", 44)),
        about="the control: T2T-ViT with every kernel equal to its stride (2/2/1), the same grids and layers, no overlap; tokens 44 wide instead of 24 so that it has as many parameters",
    ),
}

T2T_STUDY = Study(
    name="t2t",
    task="classification",
    arms=tuple(T2T_ARMS.values()),
    world=(("image_size", 32),),
    variant="shape",
    seeds=(0, 1, 2),
    steps=3000,
    n_train=10000,
    n_val=1000,
    n_test=2000,
    n_score=2000,
    batch_size=64,
    lr=1e-3,
    expectation=(
        "On 32x32 ShapesWorld shapes, 10,000 training images, 3,000 steps for every arm (the same images seen), "
        "three seeds each, best-validation checkpoints: (1) T2T-ViT's mean test accuracy is at least 0.05 above "
        "the ViT's (the pilot: 0.77 against 0.66); (2) T2T-ViT's gap between accuracy on its own training images "
        "and on the test images is smaller than the ViT's (the pilot: 0.04 against 0.12): its gain is in "
        "generalisation; (3) the control, T2T-ViT with kernel = stride (no overlap), keeps at most half of T2T's "
        "gain: its mean test accuracy is at most halfway between the ViT's and T2T-ViT's, so the gain is the soft "
        "split's overlap."
    ),
    expectation_fixed="2026-12-02",
    about="chapter 03: ViT, T2T-ViT and T2T-ViT without overlap (kernel = stride) on the shape task, three seeds, 3,000 steps",
)

# Run 2026-12-02 (two shards on one thread each, 54 CPU-min): test accuracy ViT 0.627 / 0.628 / 0.613,
# T2T-ViT 0.730 / 0.840 / 0.652 (train 0.709 / 0.687 / 0.708 against 0.786 / 0.908 / 0.723). The control
# never left chance (test 0.209 / 0.218 / 0.218, training loss ln 5 throughout), like the course Swin on
# this task (recipes/swin.py): part (3) holds by its letter, but a control that does not train isolates
# nothing; chapter 03 says so, and the claims table marks it inconclusive. A control that trains is still
# to find. A quick look (not recorded): kernel = stride = 4 at the first split, then 1 and 1 (tokens 56
# wide, 141,061 trainable parameters) stayed at chance for 400 steps; the pilot below ran it for 3,000.

# The pilot for a control that trains, defined before its run. Its arm keeps all of T2T-ViT's layers (the two
# token transformers, the same 8x8 grid, the same backbone) but tokenises like a ViT: a hard 4x4 split first,
# then 1x1 "splits" that only re-read each token, so no pixel is in two tokens. Against the ViT it adds the
# token layers; against T2T-ViT it lacks the soft split. It only informs a control if it trains.
T2T_CONTROL_PILOT = replace(
    T2T_STUDY,
    name="t2t_control_pilot",
    arms=(
        Arm(
            "t2t_hard_split",
            "t2t_vit_tiny_shapes",
            (("kernels", (4, 1, 1)), ("strides", (4, 1, 1)), ("paddings", (0, 0, 0)), ("token_dim", 56)),
            about="a second control: T2T-ViT with a hard 4x4 split first, then 1x1 re-reads (kernels = strides 4/1/1, no overlap), the token layers kept; tokens 56 wide",
        ),
    ),
    seeds=(0,),
    save_checkpoints=False,
    expectation=(
        "A pilot, one seed, not asserted: the control T2T-ViT with kernels = strides 4/1/1 (a hard 4x4 split, then "
        "the token layers on the same 8x8 grid) trains on the t2t study's data and budget (3,000 steps), i.e. fits "
        "its best checkpoint's training images above chance + 0.05 (0.25). If it does, a three-seed study sets it "
        "against the ViT and T2T-ViT; if not, it isolates nothing either."
    ),
    expectation_fixed="2026-12-05",
    about="chapter 03's pilot: T2T-ViT with a hard 4x4 first split (kernels = strides 4/1/1), one seed, 3,000 steps: does this control train?",
)

# Run 2026-12-05 (2 threads, 9 CPU-min): chance throughout (validation 0.19-0.21; test 0.206, train 0.221).
# It does not train either, so it isolates nothing; chapter 03 reports it as a pilot, and no three-seed
# study was run.

# A likely reason, found 2026-12-05 (a later session) by looking at the models at initialisation, no
# training: every linear layer starts at std 0.02 whatever its fan-in, and the T2T module's last projection
# reads token_dim * k * k inputs: 24 * 9 = 216 for T2T-ViT, 44 * 1 = 44 for the control. So the control's
# tokens start about half as spread (across 128 training images, three init seeds: 0.024-0.027 against
# T2T-ViT's 0.051-0.059; the hard-split pilot's 0.016-0.018), and they enter the backbone beside a fixed
# sinusoidal position table of spread about 0.6. T2T-ViT itself sits at chance for 500-1,000 steps before it
# takes off (the t2t study's curves); a control whose image signal starts half as strong may never leave.
# That is an initialisation effect, not the overlap. The fix keeps the control's architecture and gives its
# last projection the std that equalises the fan-in, 0.02 * sqrt(216 / 44) = 0.044 (T2TViT's project_std):
# its tokens then start at 0.053-0.062, as T2T-ViT's do. A quick look (500 steps, schedule compressed, not
# recorded) stayed at chance, but T2T-ViT itself does not leave chance that early.
CONTROL_PROJECT_STD = 0.02 * math.sqrt(24 * 3 * 3 / 44)

T2T_CONTROL_INIT_PILOT = replace(
    T2T_CONTROL_PILOT,
    name="t2t_control_init_pilot",
    arms=(
        Arm(
            "t2t_no_overlap_init",
            "t2t_vit_tiny_shapes",
            T2T_ARMS["t2t_no_overlap"].model_kwargs + (("project_std", CONTROL_PROJECT_STD),),
            about="the t2t study's control (kernels = strides 2/2/1, tokens 44 wide) with its last projection drawn at std 0.044 instead of 0.02, so that its tokens start as spread as T2T-ViT's",
        ),
    ),
    expectation=(
        "A pilot, one seed, not asserted: the t2t study's control (T2T-ViT with kernels = strides 2/2/1, no overlap), "
        "whose three runs stayed at chance, trains on the same data and budget (3,000 steps) once its last projection "
        "starts at std 0.02 * sqrt(216 / 44) = 0.044, so that its tokens start as spread as T2T-ViT's: its best "
        "checkpoint fits its training images above chance + 0.05 (0.25). If it does, a three-seed study sets it against "
        "the t2t study's ViT and T2T-ViT runs (same data, seeds and budget); if not, initial scale is not why it stalls."
    ),
    expectation_fixed="2026-12-05",
    about="chapter 03's pilot: the no-overlap control with its last projection scaled at init to T2T-ViT's token spread, one seed, 3,000 steps: does it train now?",
)

# Run 2026-12-05 (2 threads, 11 CPU-min): chance again (validation 0.19-0.22 throughout, training loss
# 1.60-1.61; test 0.216, train 0.215). Initial scale is not why the control stalls. The three-seed study
# defined for the case that it trained (t2t_control_init, in the commit before this one) was not run and is
# removed.

# A control for the other half of the question, defined 2026-12-05 after that pilot and before its own runs.
# The kernel = stride controls take out the overlap and never train, so they cannot say what T2T-ViT's gain
# is. This one keeps the overlapping soft splits and takes out the attention of the two token layers instead
# (tokens_type "mlp": each token layer keeps its LayerNorms, its value projection and its MLP, but every
# token is transformed alone), so the soft splits still mix neighbouring pixels and tokens, and only the
# token layers' global mixing is gone. It has about 15k fewer parameters (no q, k and output projections),
# which if anything works against it. Its test includes the training check, so no pilot.
T2T_NO_TOKEN_ATTENTION = replace(
    T2T_STUDY,
    name="t2t_no_token_attention",
    arms=(
        Arm(
            "t2t_no_token_attention",
            "t2t_vit_tiny_shapes",
            (("tokens_type", "mlp"),),
            about="T2T-ViT with its token layers' attention taken out: the same overlapping soft splits 5/3/3, strides 2/2/1, each token transformed alone before the next split",
        ),
    ),
    expectation=(
        "On the t2t study's data, settings, budget (3,000 steps) and seeds, T2T-ViT with the attention taken out of "
        "its two token layers (overlapping soft splits kept; each token layer a value projection and an MLP on each "
        "token alone). First a check: it fits its training images above chance + 0.05 (0.25) on average, or it "
        "isolates nothing. Then (4) it keeps at least half of T2T-ViT's gain over the ViT: its mean test accuracy is at "
        "least halfway between the t2t study's ViT and T2T-ViT means (0.623 and 0.741, halfway 0.682), so most of the "
        "gain comes from the overlapping, staged splits, not from attention among the early tokens."
    ),
    expectation_fixed="2026-12-05",
    about="chapter 03: T2T-ViT without attention in its token layers (overlap kept), three seeds, 3,000 steps, against the t2t study's ViT and T2T-ViT",
)

# Run 2026-12-05 (two shards on one thread each, 17 CPU-min): test accuracy 0.846 / 0.727 / 0.748 (train
# 0.938 / 0.800 / 0.831), mean 0.774 +- 0.064: above the halfway mark (0.682) and even above T2T-ViT's 0.741,
# within the spread (seed by seed +0.116, -0.113, +0.096). It trained, and sat at chance for 250 to 1,000
# steps first, as T2T-ViT does: that plateau is not the token layers' attention either. (4) held: in this
# miniature T2T-ViT's gain over the ViT comes from its overlapping, staged splits, not from attention
# among the early tokens. Best steps 3,000 / 3,000 / 2,750: like the t2t study's runs, still rising.

# The overlap control again, among models that train; defined 2026-12-05 (second session that day), before
# its runs. Every model without overlap so far kept the token layers' attention, and none trained; the model
# without that attention trained with overlap. So this one takes both out: t2t_no_token_attention with every
# kernel equal to its stride (2/2/1, no padding), tokens 48 wide so that it has as many trainable parameters
# (123,293 against 124,307). Each token layer then transforms one 2x2 block of its input alone, so the three
# splits together read each 4x4 patch once, as the ViT's hard split does, through a deeper per-patch network.
# Against t2t_no_token_attention the only difference is the overlap (and the padding that comes with it).
# Its test includes the training check, so no pilot.
T2T_MLP_NO_OVERLAP = replace(
    T2T_STUDY,
    name="t2t_mlp_no_overlap",
    arms=(
        Arm(
            "t2t_mlp_no_overlap",
            "t2t_vit_tiny_shapes",
            (
                ("kernels", (2, 2, 1)),
                ("strides", (2, 2, 1)),
                ("paddings", (0, 0, 0)),
                ("token_dim", 48),
                ("tokens_type", "mlp"),
            ),
            about="T2T-ViT without token attention and without overlap: kernels = strides 2/2/1, each token transformed alone, tokens 48 wide (as many parameters as with overlap)",
        ),
    ),
    expectation=(
        "On the t2t study's data, settings, budget (3,000 steps) and seeds, T2T-ViT without attention in its token "
        "layers (as t2t_no_token_attention) and without overlap: every kernel equal to its stride (2/2/1, no "
        "padding), tokens 48 wide for the same number of parameters. First a check: it fits its training images "
        "above chance + 0.05 (0.25) on average, or it isolates nothing. Then (5) the overlap is the gain: its mean "
        "test accuracy is at most halfway between the t2t study's ViT (0.623) and t2t_no_token_attention (0.774), "
        "that is at most 0.698. A guess, not part of the test: it lands near the ViT, since without overlap and "
        "without token attention it reads each 4x4 patch alone, as the ViT's hard split does."
    ),
    expectation_fixed="2026-12-05",
    about="chapter 03: T2T-ViT without token attention and without overlap (kernel = stride), three seeds, 3,000 steps, against the ViT and T2T-ViT without token attention",
)

# Run 2026-12-05 (one thread, 15 CPU-min): test accuracy 0.223 / 0.235 / 0.215, train 0.221 / 0.245 / 0.206
# (mean 0.224, under the check's 0.25), validation at chance at every evaluation, training loss 1.57 against
# ln 5 = 1.61. It did not train, so (5) is inconclusive: taking the token attention out does not make a model
# without overlap trainable. Four models without overlap have now stalled on this task in the T2T backbone
# (fixed sinusoidal positions, depth 3), while the ViT (hard split, learned positions) trains.

# The next guess, defined 2026-12-05 before its run. Four models without overlap stalled at chance in the T2T
# backbone; the ViT, which also reads each 4x4 patch alone, trains. Besides depth (3 against 4), the backbones
# differ in their position tables: T2T-ViT's is a fixed sinusoid of spread about 0.6, added to tokens whose
# spread is 0.02-0.06 at init; the ViT's is learned and starts at std 0.02. A pilot, one seed: the study's
# control (kernels = strides 2/2/1, token layers with attention, tokens 44 wide) with a learned table drawn as
# the ViT's (T2TViT's pos_embed="learned"). If it trains, the next step is a three-seed pair with learned
# tables, with overlap and without, so that the overlap is again the only difference.
T2T_LEARNED_POS_PILOT = replace(
    T2T_CONTROL_PILOT,
    name="t2t_learned_pos_pilot",
    arms=(
        Arm(
            "t2t_no_overlap_learned_pos",
            "t2t_vit_tiny_shapes",
            T2T_ARMS["t2t_no_overlap"].model_kwargs + (("pos_embed", "learned"),),
            about="the t2t study's control (kernels = strides 2/2/1, tokens 44 wide) with a learned position table (std 0.02 at init, as the ViT's) instead of the fixed sinusoid",
        ),
    ),
    expectation=(
        "A pilot, one seed, not asserted: the t2t study's control (T2T-ViT with kernels = strides 2/2/1, no overlap, "
        "tokens 44 wide) with a learned position table drawn at std 0.02, as the course ViT's, in place of the fixed "
        "sinusoid, with the study's data, settings and 3,000 steps. If it fits its training images above chance + 0.05 "
        "(0.25), the fixed table is why the controls stalled, and a three-seed pair with learned tables (with and "
        "without overlap) can test the overlap; if it stays at or below 0.25, the table is not the reason either."
    ),
    expectation_fixed="2026-12-05",
    about="chapter 03's pilot: the no-overlap control with a learned position table, one seed, 3,000 steps: does it train?",
)

# Run 2026-12-05 (one thread, 9 CPU-min): it trained, late. Validation 0.19-0.21 up to step 2,000, then 0.26,
# 0.27, 0.28, 0.295 at steps 2,250-3,000, the best at the last evaluation (still climbing); train = validation =
# test = 0.295 at that checkpoint (590/2,000, 295/1,000 and 590/2,000 right, with different confusion
# matrices: a coincidence, checked by retraining). By its expectation the fixed sinusoid is part of why the
# controls stalled. The three-seed pair it opens is T2T_LEARNED_POS below, with a longer budget since this
# run was still climbing at 3,000 steps.

# The pair the pilot opened, defined 2026-12-06 before any of its runs. With learned position tables both
# T2T-ViT and its no-overlap control can train, so the overlap is again the only difference between them.
# The pilot needed 2,000 steps to leave chance and was still rising at 3,000, so the budget is four times the
# study's with early stopping; records only. About 2.5 CPU-hours at most (patience may stop runs sooner).
_LEARNED = (("pos_embed", "learned"),)
T2T_LEARNED_POS = replace(
    T2T_STUDY,
    name="t2t_learned_pos",
    arms=(
        Arm(
            "t2t_learned_pos",
            "t2t_vit_tiny_shapes",
            _LEARNED,
            about="T2T-ViT (soft splits 5/3/3, strides 2/2/1, overlapping) with a learned position table (std 0.02 at init) instead of the fixed sinusoid",
        ),
        T2T_LEARNED_POS_PILOT.arms[0],
    ),
    steps=12000,
    patience=16,
    save_checkpoints=False,
    expectation=(
        "Two arms with learned position tables (std 0.02 at init, as the course ViT's) in place of the fixed sinusoid: "
        "T2T-ViT (overlapping soft splits 5/3/3) and the same model without overlap (kernels = strides 2/2/1, tokens "
        "44 wide, the same number of parameters), three seeds each, the t2t study's data and settings but a budget "
        "of 12,000 steps (cosine schedule over all of them) and a patience of 16 evaluations (4,000 steps), scored "
        "at the best validation checkpoint. Two checks first, either of which makes the test inconclusive if it "
        "fails: the arm without overlap fits its training images above chance + 0.05 (mean train accuracy above "
        "0.25), and no arm has most seeds with their best step in the last 2,000 steps of the budget. Then the "
        "test: T2T-ViT with overlap has a mean test accuracy at least 0.05 above the model without overlap."
    ),
    expectation_fixed="2026-12-06",
    about="chapter 03: T2T-ViT with and without overlap, both with learned position tables, three seeds, up to 12,000 steps with early stopping",
)

# Run 2026-12-06 (one thread per run, 3.0 CPU-h over two sessions): with overlap, test 0.943 / 0.951 / 0.959
# (train 1.000, best steps 8,500 / 8,250 / 8,500); without overlap, test 0.204 / 0.219 / 0.259, train 0.207 /
# 0.226 / 0.254 (mean 0.229, under the check's 0.25): seeds 0 and 1 stayed at chance until patience stopped
# them (steps 5,750 and 11,750), seed 2 crept off chance after step 9,000 (best 0.277 validation at 11,250).
# The first check failed, so the test is inconclusive; the end-point check passed (1 of 3 seeds late). The
# pilot's escape at step 2,000 of a 3,000-step schedule did not recur with the schedule stretched to 12,000.

# Defined 2026-12-06, after t2t_learned_pos and before any of its own runs: the learned table at equal steps.
# t2t_learned_pos found T2T-ViT with a learned table at 0.951 test accuracy against the t2t study's 0.741 with
# the fixed sinusoid, but at four times the steps. This study holds everything else equal: the t2t study's
# data, settings, seeds and 3,000-step budget, T2T-ViT with the learned table, compared with the study's own
# T2T-ViT runs. The guess is informed (the long runs had 0.88-0.93 validation accuracy at step 3,000, with
# the learning rate still high), which the expectation says.
T2T_LEARNED_TABLE = replace(
    T2T_STUDY,
    name="t2t_learned_table",
    arms=(T2T_LEARNED_POS.arms[0],),
    save_checkpoints=False,
    expectation=(
        "On the t2t study's data, settings, seeds and budget (3,000 steps, cosine schedule over them, best "
        "validation checkpoint), T2T-ViT with a learned position table (std 0.02 at init) in place of the fixed "
        "sinusoid, against the t2t study's T2T-ViT runs (fixed table, the same seeds): (6) the learned table's mean "
        "test accuracy is at least 0.05 above the fixed table's (0.741), that is at least 0.791. Written after "
        "t2t_learned_pos, whose learned-table runs had validation accuracy 0.88-0.93 at step 3,000 of a 12,000-step "
        "schedule, so the guess is informed, not blind. Reported beside it, not asserted: both arms' train - test "
        "gaps, and how many seeds had their best step at the last evaluation (a budget comparison, not end points)."
    ),
    expectation_fixed="2026-12-06",
    about="chapter 03: T2T-ViT with a learned position table at the t2t study's budget (3,000 steps), three seeds, against the study's T2T-ViT with the fixed sinusoid",
)

# Run 2026-12-06 (seeds 0 and 1 on one thread each side by side, seed 2 on two threads; 26 CPU-min): test
# 0.219 / 0.839 / 0.798 (train 0.210 / 0.887 / 0.854) against the fixed table's 0.730 / 0.840 / 0.652. Seed 0
# never left chance in 3,000 steps (it had left it by step 1,000 under t2t_learned_pos's 12,000-step
# schedule, whose warm-up is 600 steps rather than 150). Mean 0.618 < 0.791: (6) did not hold. The long
# runs' 0.951 is likely mostly their budget (the fixed table at 12,000 steps was not run).

# Chapter 03's headline at end points, defined 2026-12-07 before any of its runs. The t2t study compared the
# models at 3,000 steps with the ViT still rising; this one gives the ViT, T2T-ViT and T2T-ViT without token
# attention (the model that kept T2T's gain) the schedule t2t_learned_pos used: 12,000 steps, cosine over
# all of them, patience 16 evaluations. Everything else is the t2t study's (data, settings, seeds, the fixed
# sinusoid in T2T-ViT's backbone). Records only.
T2T_LONG = replace(
    T2T_STUDY,
    name="t2t_long",
    arms=(T2T_ARMS["vit"], T2T_ARMS["t2t"], T2T_NO_TOKEN_ATTENTION.arms[0]),
    steps=12000,
    patience=16,
    save_checkpoints=False,
    expectation=(
        "Chapter 03's comparison at end points: the ViT, T2T-ViT and T2T-ViT without token attention (the t2t and "
        "t2t_no_token_attention studies' arms), the t2t study's data, settings and seeds, but a budget of 12,000 steps "
        "(cosine schedule over all of them) and a patience of 16 evaluations (4,000 steps), as t2t_learned_pos; scored "
        "at the best validation checkpoint. Graded by the course's rule of evidence (vitlite.recipes.evidence, fixed "
        "2026-12-07): seeds paired, held needs the threshold on the mean and the claimed direction in every seed, and a "
        "verdict is inconclusive while a run that could reverse it was still improving (its last evaluation more than "
        "0.01 above its best up to step 9,000). (1) T2T-ViT's mean test accuracy is at least 0.05 above the ViT's (the "
        "t2t study's threshold, set from the soft_split pilot's +0.11); (2) T2T-ViT's train - test accuracy gap is "
        "smaller than the ViT's; (3) T2T-ViT without token attention reaches at least halfway between the ViT and "
        "T2T-ViT (per seed and on the means), if it fits its training images above chance + 0.05. A guess, not part of "
        "the test: the ViT gains more from the longer budget than T2T-ViT, so (1) may not hold."
    ),
    expectation_fixed="2026-12-07",
    about="chapter 03: ViT, T2T-ViT and T2T-ViT without token attention, three seeds, up to 12,000 steps with early stopping (end points)",
)

STUDIES: tuple[Study, ...] = (
    T2T_STUDY,
    T2T_CONTROL_PILOT,
    T2T_CONTROL_INIT_PILOT,
    T2T_NO_TOKEN_ATTENTION,
    T2T_MLP_NO_OVERLAP,
    T2T_LEARNED_POS_PILOT,
    T2T_LEARNED_POS,
    T2T_LEARNED_TABLE,
    T2T_LONG,
)
