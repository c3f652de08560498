"""Auto-checkers for the exercises.

Each checker takes the learner's answer (usually a function) and returns a
:class:`Result` that reads "not attempted yet", "correct", or what is wrong. A
checker never raises, so an unattempted exercise never breaks a run::

    def conv2d_unfold(x, weight):
        raise NotImplementedError  # your code here

    checks.conv2d_unfold(conv2d_unfold)   # -> not attempted yet
"""

from __future__ import annotations

import functools
import html
import inspect
import numbers
import traceback
from dataclasses import dataclass
from typing import Any, Callable

import torch
import torch.nn.functional as F

__all__ = [
    "Result",
    "Mismatch",
    "checker",
    "call",
    "expect_close",
    "expect_shape",
    "expect_int",
    "conv2d_unfold",
    "attention_weights",
    "sharpening_shifts",
    "verdict_by_rule",
    "outline_fourth_seed",
    "patchify",
    "resize_pos_embed",
    "pool_tokens",
    "soft_split_tokens",
    "soft_split",
    "restructurize",
    "window_partition",
    "shifted_window_mask",
    "relative_position_index",
    "inverted_residual_params",
    "unfold_fold",
    "patch_attention_macs",
    "separable_attention",
    "separable_macs",
    "flop_ratio_at_8192",
    "v2_without_end_points",
    "paired_giou",
    "matching_by_hand",
    "detr_trails_if_stopped",
    "bilinear_sample",
    "deformable_reads",
    "denoising_mask_by_hand",
    "target_weight",
    "smallest_alpha",
    "kernel_5x5_heads_alpha",
    "vit_params_added_at_384",
    "hunger_vit_late_gains",
    "t2t_grids_at_384",
    "swin_influence",
    "swin_shift_reach",
    "traced_module_outputs",
    "pup_shapes_at_96x128",
    "reassemble_at_80x112",
    "setr_band_drop",
    "dpt_readout_gap",
]

NOT_ATTEMPTED, CORRECT, WRONG = "not attempted yet", "correct", "wrong"


@dataclass(frozen=True)
class Result:
    exercise: str
    status: str  # one of NOT_ATTEMPTED, CORRECT, WRONG
    message: str = ""

    @property
    def correct(self) -> bool:
        return self.status == CORRECT

    def __str__(self) -> str:
        mark = {CORRECT: "✓", WRONG: "✗", NOT_ATTEMPTED: "·"}[self.status]
        text = f"{mark} {self.exercise}: {self.status}"
        return f"{text}. {self.message}" if self.message else text

    __repr__ = __str__

    def _repr_html_(self) -> str:
        color = {CORRECT: "#1a7f37", WRONG: "#cf222e", NOT_ATTEMPTED: "#6e7781"}[self.status]
        return f'<span style="color:{color}">{html.escape(str(self))}</span>'


class Mismatch(Exception):
    """Raised inside a checker to report what is wrong with an answer."""


def checker(exercise: str, answers: str = "function") -> Callable[[Callable[..., None]], Callable[..., Result]]:
    """Turn ``test(*answers)`` (raising :class:`Mismatch` on a wrong answer) into a checker.

    ``answers`` says what the learner passes: ``"function"`` (their function, which the test
    calls through :func:`call`) or ``"value"`` (a number, a list). ``None``, ``...`` and a
    function raising ``NotImplementedError`` count as not attempted.
    """
    if answers not in ("function", "value"):
        raise ValueError(f"answers must be 'function' or 'value', got {answers!r}")

    def wrap(test: Callable[..., None]) -> Callable[..., Result]:
        @functools.wraps(test)
        def run(*given: Any) -> Result:
            if any(answer is None or answer is Ellipsis for answer in given):
                return Result(exercise, NOT_ATTEMPTED)
            if answers == "function":
                for answer in given:
                    if not callable(answer):
                        what = f"a {type(answer).__name__}" + (
                            f" of shape {tuple(answer.shape)}" if isinstance(answer, torch.Tensor) else ""
                        )
                        return Result(
                            exercise,
                            WRONG,
                            f"pass the function itself (for example checks.{test.__name__}(my_function)), not what it returns; got {what}",
                        )
            try:
                test(*given)
            except NotImplementedError:
                return Result(exercise, NOT_ATTEMPTED)
            except Mismatch as wrong:
                return Result(exercise, WRONG, str(wrong))
            except Exception as error:  # the learner's code crashed: say where, in their code
                return Result(exercise, WRONG, f"your code raised {type(error).__name__}: {error}{_where(error)}")
            return Result(exercise, CORRECT)

        return run

    return wrap


def call(fn: Callable[..., Any], *args: Any, how: str) -> Any:
    """Call the learner's ``fn`` on copies of ``args``, so an answer that changes its input in place
    cannot spoil the reference, after checking that it accepts the arguments (``how`` shows the call,
    e.g. ``"fn(x, weight)"``)."""
    try:
        inspect.signature(fn).bind(*args)
    except TypeError:
        raise Mismatch(
            f"the exercise calls your function as {how}, but it is defined as {getattr(fn, '__name__', 'fn')}{inspect.signature(fn)}"
        ) from None
    except ValueError:  # a builtin without a signature: just call it
        pass
    return fn(*(a.clone() if isinstance(a, torch.Tensor) else a for a in args))


def expect_int(got: Any, what: str) -> int:
    """``got`` as an int, or a Mismatch that names its type ("3136" is a string, not a number)."""
    if isinstance(got, torch.Tensor) and got.numel() == 1 and not got.is_floating_point():
        return int(got)
    if isinstance(got, bool) or not isinstance(got, numbers.Integral):
        if isinstance(got, float) and got.is_integer():
            raise Mismatch(f"{what} should be an int, got the float {got!r}; use // for integer division or int(...)")
        raise Mismatch(f"{what} should be an int, got {type(got).__name__} {got!r}")
    return int(got)


def _where(error: Exception) -> str:
    """' (line N)' of the innermost frame in the learner's code, skipping library and checker frames."""
    library = ("site-packages", "dist-packages", "/vitlite/", "<frozen")
    frames = [f for f in traceback.extract_tb(error.__traceback__) if not any(part in f.filename for part in library)]
    return f" (line {frames[-1].lineno})" if frames else ""


def expect_shape(got: Any, shape: tuple[int, ...], what: str = "the output") -> None:
    if not isinstance(got, torch.Tensor):
        raise Mismatch(f"{what} should be a torch.Tensor, got {type(got).__name__}")
    if tuple(got.shape) != tuple(shape):
        raise Mismatch(f"{what} should have shape {tuple(shape)}, got {tuple(got.shape)}")


def expect_close(
    got: Any, want: torch.Tensor, what: str = "the output", atol: float = 1e-5, rtol: float = 1e-4
) -> None:
    expect_shape(got, tuple(want.shape), what)
    got = got.detach().to(want.dtype)
    if not torch.isfinite(got).all():
        raise Mismatch(f"{what} contains NaN or infinite values")
    if not torch.allclose(got, want, atol=atol, rtol=rtol):
        diff = (got - want).abs()
        where = tuple(int(i) for i in torch.nonzero(diff == diff.max())[0])
        raise Mismatch(
            f"{what} differs from the expected values: largest difference {diff.max().item():.3g} at index {where}"
        )


# ---------------------------------------------------------------- chapter 01
@checker("Exercise 1: convolution with unfold")
def conv2d_unfold(fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> None:
    """``fn(x, weight)`` must equal ``F.conv2d(x, weight, padding=k//2)`` for (B, C, H, W) x and (O, C, k, k) weight."""
    gen = torch.Generator().manual_seed(1)
    for shape, wshape in (((2, 3, 7, 6), (4, 3, 3, 3)), ((1, 1, 5, 5), (2, 1, 5, 5))):
        x, w = torch.randn(shape, generator=gen), torch.randn(wshape, generator=gen)
        want = F.conv2d(x, w, padding=wshape[-1] // 2)
        expect_close(call(fn, x, w, how="fn(x, weight)"), want, what=f"the output for x {shape} and weight {wshape}")


@checker("Exercise 2: attention weights")
def attention_weights(fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> None:
    """``fn(q, k)`` must return softmax(q k^T / sqrt(d)) over the keys, for (N, d) queries and (M, d) keys."""
    gen = torch.Generator().manual_seed(2)
    q, k = torch.randn(5, 8, generator=gen), torch.randn(7, 8, generator=gen)
    want = torch.softmax(q @ k.T / 8**0.5, dim=-1)
    got = call(fn, q, k, how="fn(q, k)")
    expect_shape(got, (5, 7), "the attention matrix")
    rows = got.detach().float().sum(-1)
    if not torch.allclose(rows, torch.ones(5), atol=1e-4):
        raise Mismatch(f"each row (one query) should sum to 1 over the keys; row sums are {rows.tolist()}")
    expect_close(got, want, "the attention matrix")


@checker("Exercise 3: the heads the sharpening kernel needs", answers="value")
def sharpening_shifts(answer: Any) -> None:
    """``answer`` lists the (row, col) shifts of the five heads that compute the sharpening kernel."""
    try:
        given = [tuple(int(v) for v in pair) for pair in answer]
    except (TypeError, ValueError):
        raise Mismatch("give a list of (row, col) pairs, e.g. [(0, 0), (1, 0)]") from None
    if any(len(pair) != 2 for pair in given):
        raise Mismatch("each shift is a pair (row, col)")
    want = {(0, 0), (-1, 0), (1, 0), (0, -1), (0, 1)}
    if len(set(given)) != len(given):
        raise Mismatch("a shift appears twice; each head needs its own")
    missing, extra = want - set(given), set(given) - want
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"a non-zero tap has no head: {sorted(missing)}")
        if extra:
            parts.append(f"these shifts meet a zero tap (or lie outside the 3x3 kernel): {sorted(extra)}")
        raise Mismatch("; ".join(parts))


def _verdict_answer(answer: Any) -> str:
    """A learner's verdict, lower-cased, or a Mismatch listing the four."""
    from vitlite.recipes.evidence import VERDICTS

    if not isinstance(answer, str) or answer.strip().lower() not in VERDICTS:
        raise Mismatch(f"give one of the verdicts {list(VERDICTS)} as a string, got {answer!r}")
    return answer.strip().lower()


def _same_verdict(given: str, want: str, hints: dict[str, str], what: str = "the row would not be") -> None:
    if given != want:
        hint = hints.get(given, "")
        raise Mismatch(f"by the rule {what} {given!r}" + (f": {hint}" if hint else ""))


def verdict_by_rule(answer: Any, test: Any, traps: dict[str, str] | None = None) -> None:
    """Compare a learner's verdict (a string) with the course's rule applied to the values of ``test`` (a
    :class:`vitlite.recipes.evidence.Test`; its end points and controls are left out); ``traps`` maps a
    wrong verdict to the hint it deserves."""
    from dataclasses import replace

    from vitlite.recipes.evidence import Book, grade

    given = _verdict_answer(answer)
    want = grade(
        replace(test, helps=(), hurts=(), controls=()), Book()
    ).verdict  # the values alone: no end points, no controls
    _same_verdict(given, want, traps or {}, "this record is not")


@checker("Exercise 4: grade a record by the rule", answers="value")
def outline_fourth_seed(answer: Any) -> None:
    """``answer``: the verdict of chapter 01's F1 test (above 0.6 in every seed) if a fourth seed had
    reached F1 0.55, the three recorded seeds unchanged."""
    from vitlite.recipes.evidence import Test
    from vitlite.recipes.runner import manifest

    f1 = {r["seed"]: r["f1_after"] for r in manifest("outline_heads")["runs"]} | {3: 0.55}
    test = Test("test F1 above 0.6", {s: v - 0.6 for s, v in f1.items()}, 0.0, kind="every seed")
    mean = sum(f1.values()) / len(f1)
    verdict_by_rule(
        answer,
        test,
        {
            "held": f"the mean F1 ({mean:.2f}) is past 0.6, but 'held' asks every seed to pass, and seed 3 does not",
            "did not hold": f"'did not hold' is for a mean that misses the threshold; the mean F1 here is {mean:.2f}, past 0.6",
            "inconclusive": "nothing here is unfinished or untrained: the four F1 values decide it",
        },
    )


# ---------------------------------------------------------------- chapter 02
@checker("Exercise 4: would the rule have caught the short budget?", answers="value")
def hunger_vit_late_gains(answer: Any) -> None:
    """``answer``: (the late gains of the first study's three ViT runs at 10,000 images, seeds 0, 1, 2, by
    ``vitlite.recipes.evidence.late_gain``; whether the rule would call any of them still improving)."""
    from vitlite.recipes import claims
    from vitlite.recipes.evidence import MARGIN, late_gain

    gains, caught = _pair(answer, "(late gains, still improving?)")
    try:
        gains = [float(g) for g in gains]
    except (TypeError, ValueError):
        raise Mismatch("give the three late gains as a list of numbers, seeds 0, 1, 2") from None
    book = claims.book()
    budget = book.budget("hunger")
    want = [late_gain(r, budget) for r in book.runs(("hunger", "vit_n10000")).values()]
    if len(gains) != len(want):
        raise Mismatch(f"give one late gain per seed ({len(want)} seeds), got {len(gains)}")
    for seed, (g, w) in enumerate(zip(gains, want)):
        if abs(g - w) > 1e-3:
            raise Mismatch(
                f"seed {seed}'s late gain is not {g:+.3f}; a run stopped by patience had stopped improving (late gain 0), and the others compare the last validation score with the best up to step {0.75 * budget.steps:,.0f}"
            )
    if not isinstance(caught, bool):
        raise Mismatch(f"say whether the rule calls any run still improving with True or False, got {caught!r}")
    rising = any(w > MARGIN for w in want)
    if caught != rising:
        raise Mismatch(
            f"right gains; now compare each with the rule's margin of {MARGIN}: "
            + ("one is above it" if rising else "none is above it, so the rule calls every run finished")
        )


@checker("Exercise 1: patchify")
def patchify(fn: Callable[[torch.Tensor, int], torch.Tensor]) -> None:
    """``fn(images, p)``: (B, C, H, W) -> (B, H/p * W/p, p * p * C), patches in reading order, each flattened row by row with the channels last."""
    from einops import rearrange

    gen = torch.Generator().manual_seed(4)
    for shape, p in (((2, 3, 8, 12), 4), ((1, 1, 6, 6), 2), ((1, 3, 16, 16), 16)):
        x = torch.randn(shape, generator=gen)
        want = rearrange(x, "b c (h p1) (w p2) -> b (h w) (p1 p2 c)", p1=p, p2=p)
        expect_close(call(fn, x, p, how="fn(images, p)"), want, f"the patches of a {shape} batch with p={p}")


@checker("Exercise 2: resize position embeddings")
def resize_pos_embed(fn: Callable[[torch.Tensor, tuple[int, int]], torch.Tensor]) -> None:
    """``fn(pos_embed, new_grid)``: (1, 1 + h*w, D) on a square grid -> (1, 1 + H*W, D), the class
    token's row kept as it is and the grid resized bicubically (align_corners=False)."""
    from vitlite.models.vit import resample_pos_embed

    gen = torch.Generator().manual_seed(5)
    pos = torch.randn(1, 1 + 4 * 4, 8, generator=gen)
    for grid in ((6, 6), (3, 5)):
        want = resample_pos_embed(pos, grid)
        got = call(fn, pos, grid, how="fn(pos_embed, new_grid)")
        expect_shape(got, (1, 1 + grid[0] * grid[1], 8), f"the embeddings for a {grid} grid")
        if not torch.allclose(got[:, 0], pos[:, 0]):
            raise Mismatch("the class token's embedding (row 0) must be kept unchanged")
        expect_close(got, want, f"the embeddings for a {grid} grid", atol=1e-4)


@checker("Exercise 3: class token or mean pooling")
def pool_tokens(fn: Callable[[torch.Tensor, str], torch.Tensor]) -> None:
    """``fn(tokens, mode)`` for tokens (B, 1 + N, D): ``"token"`` returns the class token's state (B, D),
    ``"avg"`` the mean of the N patch tokens (B, D), leaving the class token out."""
    gen = torch.Generator().manual_seed(6)
    tokens = torch.randn(3, 1 + 9, 5, generator=gen)
    expect_close(call(fn, tokens, "token", how="fn(tokens, mode)"), tokens[:, 0], 'the "token" pooling')
    got = call(fn, tokens, "avg", how="fn(tokens, mode)")
    if isinstance(got, torch.Tensor) and got.shape == (3, 5) and torch.allclose(got, tokens.mean(1), atol=1e-5):
        raise Mismatch('"avg" should average the patch tokens only; yours includes the class token')
    expect_close(got, tokens[:, 1:].mean(1), 'the "avg" pooling')


# ---------------------------------------------------------------- chapter 03
@checker("Exercise 1: tokens after a soft split")
def soft_split_tokens(fn: Callable[[int, int, int, int], int]) -> None:
    """``fn(size, kernel, stride, padding)``: the number of tokens a soft split of a size x size image makes."""
    for size, k, s, p in ((224, 7, 4, 2), (56, 3, 2, 1), (32, 5, 2, 2), (17, 3, 2, 0), (10, 4, 3, 1)):
        side = (size + 2 * p - k) // s + 1
        got = expect_int(
            call(fn, size, k, s, p, how="fn(size, kernel, stride, padding)"),
            f"the token count for a {size}x{size} image",
        )
        if got != side * side:
            hint = " (that is the side of the grid; the count is its square)" if got == side else ""
            raise Mismatch(
                f"for a {size}x{size} image, kernel {k}, stride {s}, padding {p}: expected {side * side} tokens, got {got}{hint}"
            )


@checker("Exercise 2: soft split with unfold")
def soft_split(fn: Callable[[torch.Tensor, int, int, int], torch.Tensor]) -> None:
    """``fn(images, kernel, stride, padding)``: (B, C, H, W) -> tokens (B, N, C * k * k), one per window."""
    gen = torch.Generator().manual_seed(7)
    for shape, k, s, p in (((2, 3, 16, 16), 7, 4, 2), ((1, 8, 9, 9), 3, 2, 1)):
        x = torch.randn(shape, generator=gen)
        want = F.unfold(x, k, stride=s, padding=p).transpose(1, 2)
        expect_close(
            call(fn, x, k, s, p, how="fn(images, kernel, stride, padding)"),
            want,
            f"the tokens of a {shape} batch (k={k}, s={s}, p={p})",
        )


@checker("Exercise 3: re-structurization")
def restructurize(fn: Callable[[torch.Tensor], torch.Tensor]) -> None:
    """``fn(tokens)``: (B, h*w, C) on a square grid -> an image (B, C, h, w), token i at row i // w, column i % w."""
    gen = torch.Generator().manual_seed(8)
    for b, side, c in ((2, 4, 5), (1, 7, 3)):
        tokens = torch.randn(b, side * side, c, generator=gen)
        want = tokens.transpose(1, 2).reshape(b, c, side, side)
        expect_close(call(fn, tokens, how="fn(tokens)"), want, f"the image of {side * side} tokens")


# ---------------------------------------------------------------- chapter 04
@checker("Exercise 1: window partition and reverse")
def window_partition(
    partition: Callable[[torch.Tensor, int], torch.Tensor],
    reverse: Callable[[torch.Tensor, int, int, int], torch.Tensor],
) -> None:
    """``partition(x, m)``: (B, H, W, C) -> (B * num_windows, M*M, C), windows in reading order, each read row
    by row; ``reverse(windows, m, h, w)`` undoes it."""
    from vitlite.models import swin

    gen = torch.Generator().manual_seed(9)
    for shape, m in (((2, 8, 12, 3), 4), ((1, 6, 6, 2), 3)):
        x = torch.randn(shape, generator=gen)
        want = swin.window_partition(x, m)
        expect_close(call(partition, x, m, how="partition(x, m)"), want, f"the windows of a {shape} map with M={m}")
        expect_close(
            call(reverse, want, m, shape[1], shape[2], how="reverse(windows, m, h, w)"),
            x,
            f"the map rebuilt from its windows (M={m})",
        )


@checker("Exercise 2: the shifted-window mask")
def shifted_window_mask(fn: Callable[[int, int, int, int], torch.Tensor]) -> None:
    """``fn(h, w, m, s)``: (num_windows, M*M, M*M), 0 where two tokens of a window may attend to each other after
    the cyclic shift and a large negative number (-100) where the roll brought them from different regions."""
    from vitlite.models import swin

    for h, w, m, s in ((8, 8, 4, 2), (12, 8, 4, 2), (14, 14, 7, 3)):
        want = swin.shifted_window_mask(h, w, m, s)
        got = call(fn, h, w, m, s, how="fn(h, w, m, s)")
        expect_shape(got, tuple(want.shape), f"the mask for {h}x{w}, M={m}, shift {s}")
        allowed = want == 0
        if not (got[allowed] == 0).all():
            raise Mismatch(f"for {h}x{w}, M={m}, shift {s}: some pairs from the same region are masked")
        if not (got[~allowed] <= -50).all():
            raise Mismatch(
                f"for {h}x{w}, M={m}, shift {s}: some pairs from different regions are not masked (use -100)"
            )


@checker("Exercise 3: the relative position index")
def relative_position_index(fn: Callable[[int], torch.Tensor]) -> None:
    """``fn(m)``: (M*M, M*M) integers, the bias-table row of every pair of tokens in an M x M window."""
    from vitlite.models import swin

    for m in (2, 3, 7):
        want = swin.relative_position_index(m)
        got = call(fn, m, how="fn(m)")
        expect_shape(got, tuple(want.shape), f"the index for M={m}")
        if not torch.equal(got.long(), want):
            wrong = (got.long() != want).nonzero()[0].tolist()
            raise Mismatch(
                f"for M={m}, pair {tuple(wrong)} should use row {want[tuple(wrong)].item()}, not {got[tuple(wrong)].item()}; rows go from 0 to {(2 * m - 1) ** 2 - 1}"
            )


# ---------------------------------------------------------------- chapter 05
@checker("Exercise 1: the parameters of an inverted residual")
def inverted_residual_params(fn: Callable[[int, int, float, int], int]) -> None:
    """``fn(in_ch, out_ch, expand_ratio, stride)``: the number of parameters of vitlite's InvertedResidual
    (1x1 expansion, depthwise 3x3, linear 1x1, each followed by BatchNorm; hidden width rounded to a multiple of 8)."""
    from vitlite.layers import count_parameters
    from vitlite.models.mobilevit import InvertedResidual, make_divisible

    for cin, cout, t, s in ((16, 24, 4.0, 2), (32, 32, 2.0, 1), (24, 40, 3.0, 1), (48, 64, 6.0, 2)):
        want = count_parameters(InvertedResidual(cin, cout, s, t))
        got = expect_int(
            call(fn, cin, cout, t, s, how="fn(in_ch, out_ch, expand_ratio, stride)"),
            f"the count for in_ch={cin}, out_ch={cout}, expand_ratio={t}",
        )
        if got != want:
            hidden = make_divisible(int(round(cin * t)))
            hints = []
            if hidden != round(cin * t):
                hints.append(f"the hidden width is make_divisible(round({cin} * {t})) = {hidden}, not {cin * t:g}")
            bn = 2 * (2 * hidden + cout)
            if got == want - bn:
                hints.append(
                    "each BatchNorm has 2 parameters per channel (its weight and bias; the running mean and variance are buffers)"
                )
            if got == want + hidden * 8:
                hints.append("the depthwise 3x3 has 9 weights per channel, not 9 per pair of channels")
            raise Mismatch(
                f"for in_ch={cin}, out_ch={cout}, expand_ratio={t}, stride {s}: expected {want:,} parameters, got {got:,}"
                + ("; " + "; ".join(hints) if hints else "")
            )


@checker("Exercise 2: unfold and fold without einops")
def unfold_fold(
    unfold: Callable[[torch.Tensor, int], torch.Tensor],
    fold: Callable[[torch.Tensor, tuple[int, int], int], torch.Tensor],
) -> None:
    """``unfold(x, p)``: (B, d, H, W) -> (B * p * p, N, d) as :func:`vitlite.models.mobilevit.unfold_patches`;
    ``fold(patches, (H // p, W // p), p)`` undoes it."""
    from vitlite.models.mobilevit import fold_patches, unfold_patches

    gen = torch.Generator().manual_seed(10)
    for shape, p in (((2, 5, 8, 6), 2), ((1, 3, 9, 12), 3)):
        x = torch.randn(shape, generator=gen)
        want = unfold_patches(x, p)
        expect_close(call(unfold, x, p, how="unfold(x, p)"), want, f"the patches of a {shape} map with p={p}")
        grid = (shape[2] // p, shape[3] // p)
        expect_close(
            call(fold, want, grid, p, how="fold(patches, grid, p)"),
            fold_patches(want, grid, p),
            f"the map folded back from {tuple(want.shape)} (p={p})",
        )


@checker("Exercise 3: the cost of attention across patches")
def patch_attention_macs(fn: Callable[[int, int, int, int], int]) -> None:
    """``fn(h, w, d, p)``: multiply-adds of the two attention products (Q K^T and A V, one head of width d)
    when an h x w map is unfolded into p x p patches; measured with torch's FLOP counter."""
    from torch.utils.flop_counter import FlopCounterMode

    for h, w, d, p in ((8, 8, 48, 2), (32, 32, 144, 2), (16, 24, 64, 4), (12, 12, 32, 1)):
        q = torch.zeros(p * p, h * w // (p * p), d)
        with FlopCounterMode(display=False) as counter:
            (q @ q.transpose(1, 2)).softmax(-1) @ q
        want = counter.get_total_flops() // 2
        got = expect_int(call(fn, h, w, d, p, how="fn(h, w, d, p)"), f"the count for a {h}x{w} map, d={d}, p={p}")
        if got != want:
            hint = " (that is one of the two products; A V costs as much as Q K^T)" if got * 2 == want else ""
            hint = hint or (
                " (that counts every pixel attending to every pixel, as a ViT over pixels would)"
                if got == 2 * (h * w) ** 2 * d
                else ""
            )
            raise Mismatch(f"for a {h}x{w} map, d={d}, p={p}: measured {want:,} multiply-adds, you said {got:,}{hint}")


# ---------------------------------------------------------------- chapter 06
@checker("Exercise 1: separable self-attention by hand")
def separable_attention(fn: Callable[..., torch.Tensor]) -> None:
    """``fn(x, w_qkv, b_qkv, w_out, b_out)`` for tokens x (B, d, P, N), projection weights (1 + 2d, d) and
    (d, d) with their biases: the output of separable self-attention, (B, d, P, N)."""
    from vitlite.models.mobilevitv2 import SeparableSelfAttention

    gen = torch.Generator().manual_seed(11)
    for b, d, p, n in ((2, 8, 4, 10), (1, 5, 1, 7)):
        attn = SeparableSelfAttention(d).eval()
        with torch.no_grad():
            for param in attn.parameters():
                param.copy_(torch.randn(param.shape, generator=gen) * 0.5)
        x = torch.randn(b, d, p, n, generator=gen)
        with torch.no_grad():
            want = attn(x)
        args = (
            x,
            attn.qkv_proj.weight[:, :, 0, 0].detach(),
            attn.qkv_proj.bias.detach(),
            attn.out_proj.weight[:, :, 0, 0].detach(),
            attn.out_proj.bias.detach(),
        )
        got = call(fn, *args, how="fn(x, w_qkv, b_qkv, w_out, b_out)")
        if isinstance(got, torch.Tensor) and got.shape == want.shape and not torch.allclose(got, want, atol=1e-4):
            # The most common slip: the softmax over the wrong axis.
            q, k, v = torch.einsum("oc,bcpn->bopn", args[1], x).add(args[2][None, :, None, None]).split([1, d, d], 1)
            wrong_axis = (
                torch.einsum("oc,bcpn->bopn", args[3], torch.relu(v) * (k * q.softmax(2)).sum(-1, keepdim=True))
                + args[4][None, :, None, None]
            )
            if torch.allclose(got, wrong_axis, atol=1e-4):
                raise Mismatch(
                    "the context scores must be a softmax over the N tokens of a sequence (the last axis), not over the P places"
                )
        expect_close(got, want, f"the output for x of shape {(b, d, p, n)}", atol=1e-4)


@checker("Exercise 2: separable attention's cost, counted")
def separable_macs(fn: Callable[[int, int], int]) -> None:
    """``fn(n, d)``: multiply-adds of separable self-attention on one sequence of n tokens of width d: the two
    1x1 projections (measured with torch's FLOP counter) plus the context step (score x key, summed over
    the tokens, and value x context: one multiply-add per element each)."""
    from torch.utils.flop_counter import FlopCounterMode

    from vitlite.models.mobilevitv2 import SeparableSelfAttention

    for n, d in ((16, 8), (256, 64), (1000, 32), (4096, 96)):
        attn = SeparableSelfAttention(d)
        with FlopCounterMode(display=False) as counter, torch.no_grad():
            attn(torch.zeros(1, d, 1, n))
        want = counter.get_total_flops() // 2 + 2 * d * n
        got = expect_int(call(fn, n, d, how="fn(n, d)"), f"the count for n={n}, d={d}")
        if got != want:
            projections = counter.get_total_flops() // 2
            hint = " (that is the two projections only; add the context step)" if got == projections else ""
            raise Mismatch(
                f"for n={n}, d={d}: expected {want:,} multiply-adds ({projections:,} in the projections), got {got:,}{hint}"
            )


@checker("Exercise 3: predict the cost ratio at 8,192 tokens", answers="value")
def flop_ratio_at_8192(prediction: Any) -> None:
    """``prediction``: the ratio of multiply-adds, attention over all tokens (one head, with its projections)
    to separable self-attention, for 8,192 tokens of width 64, counted as chapter 06's table counts them
    (PyTorch's counter: matrix products only). Correct within 1%, which a fit of a N + b N^2 passes and
    doubling the ratio at 4,096 tokens does not."""
    from torch.utils.flop_counter import FlopCounterMode

    from vitlite.layers import Attention, attention_maps
    from vitlite.models.mobilevitv2 import SeparableSelfAttention

    if isinstance(prediction, bool) or not isinstance(prediction, (int, float)):
        raise Mismatch(f"give the ratio as a number, e.g. 150.0; got {type(prediction).__name__} {prediction!r}")
    d = 64

    def ratio(n: int) -> float:
        full, sep = Attention(d, num_heads=1), SeparableSelfAttention(d)
        with torch.no_grad():
            with attention_maps(full), FlopCounterMode(display=False) as counter:
                full(torch.zeros(1, n, d))
            full_macs = counter.get_total_flops() // 2
            with FlopCounterMode(display=False) as counter:
                sep(torch.zeros(1, d, 1, n))
            return full_macs / (counter.get_total_flops() // 2)

    want, doubled = ratio(8192), 2 * ratio(4096)
    if abs(prediction - want) > 0.01 * want:
        hint = (
            "; that is twice the ratio at 4,096, but only the quadratic part of self-attention's count doubles its share: fit a N + b N^2 to the table"
            if abs(prediction - doubled) <= 0.01 * doubled
            else ". Doubling the tokens doubles separable attention's count and quadruples the quadratic part of the other's"
        )
        raise Mismatch(f"measured {want:.1f}x; you predicted {prediction:g}x{hint}")


@checker("Exercise 4: grade v2 as if every run had finished", answers="value")
def v2_without_end_points(answer: Any) -> None:
    """``answer``: the verdict of chapter 06's v2 claim (v2 no more than 2 points below v1, seeds paired) if
    no run had been still improving: the rule applied to the paired differences alone."""
    from vitlite.recipes import claims

    test = claims.claim("06.v2").measure(claims.book())
    values = ", ".join(f"{v:+.3f}" for v in test.values.values())
    verdict_by_rule(
        answer,
        test,
        {
            "held": f"the mean difference is inside the 2-point margin, but a bound holds only if every seed is inside it ({values})",
            "did not hold": f"'did not hold' needs the mean outside the margin; the mean of {values} is inside it",
            "inconclusive": "the exercise asks for the verdict with every run finished: only the values decide",
        },
    )


# ---------------------------------------------------------------- chapter 07
@checker("Exercise 1: generalised IoU of paired boxes")
def paired_giou(fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> None:
    """``fn(a, b)`` for xyxy boxes a, b of shape (N, 4): the generalised IoU of each pair (a[i], b[i]), shape (N,)."""
    from vitlite.boxes import generalized_box_iou

    gen = torch.Generator().manual_seed(12)
    xy = torch.rand(16, 2, generator=gen)
    a = torch.cat([xy, xy + 0.05 + 0.4 * torch.rand(16, 2, generator=gen)], 1)
    xy = torch.rand(16, 2, generator=gen)
    b = torch.cat([xy, xy + 0.05 + 0.4 * torch.rand(16, 2, generator=gen)], 1)
    b[:4] = a[:4]  # identical pairs: GIoU 1
    b[4:8] = a[4:8] + torch.tensor([2.0, 0.0, 2.0, 0.0])  # far apart: GIoU close to -1
    want = generalized_box_iou(a, b).diag()
    got = call(fn, a, b, how="fn(a, b)")
    expect_shape(got, (16,), "the GIoU of 16 pairs")
    from vitlite.boxes import box_iou

    if torch.allclose(got.double(), box_iou(a, b).diag().double(), atol=1e-5):
        raise Mismatch(
            "that is the plain IoU: subtract the part of the enclosing box that neither box covers, over the enclosing box's area"
        )
    expect_close(got, want, "the GIoU of 16 pairs", atol=1e-5)


@checker("Exercise 2: the matching, by hand", answers="value")
def matching_by_hand(pairs: Any) -> None:
    """``pairs``: the (query, object) pairs of the least-cost matching of the 2 x 3 cost matrix in the exercise."""
    from vitlite.matching import linear_sum_assignment

    cost = torch.tensor([[1.0, 4.0, 2.0], [3.0, 9.0, 5.0]])
    try:
        given = sorted((int(q), int(o)) for q, o in pairs)
    except (TypeError, ValueError):
        raise Mismatch("give a list of (query, object) pairs, e.g. [(0, 1), (1, 2)]") from None
    rows, cols = linear_sum_assignment(cost)
    if len(given) != 2 or len({q for q, _ in given}) != 2 or len({o for _, o in given}) != 2:
        raise Mismatch(
            "with 2 queries and 3 objects, each query takes one object and one object is left unmatched: give two pairs with different queries and different objects"
        )
    total = sum(cost[q, o].item() for q, o in given)
    if total > cost[rows, cols].sum().item() + 1e-9:
        greedy = (
            " (that is the greedy choice: query 0 takes its cheapest object first)" if given == [(0, 0), (1, 2)] else ""
        )
        raise Mismatch(
            f"your matching costs {total:g}; there is one that costs {cost[rows, cols].sum().item():g}{greedy}. Hint: the object nobody can cover cheaply is the one to give up"
        )


@checker("Exercise 3: what patience would have changed", answers="value")
def detr_trails_if_stopped(answer: Any) -> None:
    """``answer``: the verdict of chapter 07's first row (DETR trails the dense detector, and gains more over
    the last third) if every DETR run had been stopped by patience at the same scores."""
    from vitlite.recipes import claims
    from vitlite.recipes.evidence import Book, grade

    given = _verdict_answer(answer)
    real = claims.book()
    records = [dict(r, stopped_by_patience=True) if r["label"] == "detr" else r for r in real.records("detr")]
    stopped = Book({"detr": records}, {"detr": real.budget("detr")})
    want = grade(claims.claim("07.slow").measure(stopped), stopped).verdict
    _same_verdict(
        given,
        want,
        {
            "inconclusive": "a run stopped by patience had stopped improving: its late gain counts as 0, so nothing is left that could reverse the row",
            "did not hold": "DETR trails in every seed by more than 0.2 AP: the threshold is met",
            "held, not robust": "every seed agrees in both parts",
        },
    )


# ---------------------------------------------------------------- chapter 08
@checker("Exercise 1: bilinear sampling with zero padding")
def bilinear_sample(fn: Callable[[torch.Tensor, float, float], torch.Tensor]) -> None:
    """``fn(image, x, y)``: image (d, H, W), (x, y) in [0, 1] of its width and height -> (d,), as
    ``grid_sample(..., align_corners=False, padding_mode="zeros")`` samples it."""
    import torch.nn.functional as F

    gen = torch.Generator().manual_seed(8)
    image = torch.randn(3, 5, 7, generator=gen)
    points = [(0.5, 0.5), ((2 + 0.5) / 7, (1 + 0.5) / 5), (0.03, 0.9), (1.02, 0.4), (-0.3, 0.2), (0.61, 0.13)]
    for x, y in points:
        grid = torch.tensor([[[[2 * x - 1, 2 * y - 1]]]], dtype=image.dtype)
        want = F.grid_sample(image[None], grid, mode="bilinear", padding_mode="zeros", align_corners=False)[0, :, 0, 0]
        got = call(fn, image, x, y, how="fn(image, x, y)")
        expect_shape(got, (3,), f"the sample at ({x:.2f}, {y:.2f})")
        if not torch.allclose(got.detach().double(), want.double(), atol=1e-5):
            hint = ""
            if (x, y) == ((2 + 0.5) / 7, (1 + 0.5) / 5):
                hint = (
                    ": a point at a pixel's centre must read that pixel exactly (pixel j's centre is at (j + 0.5) / W)"
                )
            elif not (0 <= x <= 1 and 0 <= y <= 1) or x < 0.1:
                hint = ": near and beyond the border, neighbours outside the map count as zeros (they are not clamped to the edge)"
            raise Mismatch(
                f"the sample at (x={x:.2f}, y={y:.2f}) is {got.detach().tolist()}, expected {want.tolist()}{hint}"
            )


@checker("Exercise 2: how much deformable attention reads")
def deformable_reads(fn: Callable[[int, int, int, int, int], Any]) -> None:
    """``fn(queries, positions, heads, levels, points)`` -> (values read by deformable attention, values
    read by full attention over all positions), per layer, counting one read per (query, head, value)."""
    cases = [(80, 80, 4, 2, 4), (22_223, 22_223, 8, 4, 4), (900, 22_223, 8, 4, 4), (10, 336, 4, 3, 4)]
    for q, s, h, lv, p in cases:
        got = call(fn, q, s, h, lv, p, how="fn(queries, positions, heads, levels, points)")
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            raise Mismatch(f"return two numbers, (deformable, full); got {got!r}")
        deformable, full = (expect_int(v, "each count") for v in got)
        if deformable != q * h * lv * p:
            wrong_full = (
                " (that is full attention's count; deformable attention reads levels x points values per query and head)"
                if deformable == q * h * s
                else ""
            )
            raise Mismatch(
                f"for {q} queries, {h} heads, {lv} levels and {p} points, deformable attention reads {q * h * lv * p:,} values, you said {deformable:,}{wrong_full}"
            )
        if full != q * h * s:
            raise Mismatch(
                f"full attention: each of {q} queries and {h} heads reads all {s:,} positions: {q * h * s:,}, you said {full:,}"
            )


@checker("Exercise 3: the denoising attention mask, by hand", answers="value")
def denoising_mask_by_hand(mask: Any) -> None:
    """``mask``: the (8, 8) bool self-attention mask (True = blocked) for three denoising groups of two
    queries each (one object: a positive and a negative), followed by two matching queries."""
    from vitlite.models.dino import denoising_attention_mask

    want = denoising_attention_mask(3, 2, 2)
    try:
        given = torch.as_tensor(mask)
    except (TypeError, ValueError, RuntimeError):
        raise Mismatch("give an 8 x 8 table of True/False (or 1/0), e.g. a torch.Tensor or a list of lists") from None
    expect_shape(given, (8, 8), "the mask")
    given = given.bool()
    if torch.equal(given, ~want):
        raise Mismatch(
            "every entry is the opposite: True means *blocked* in this mask (the official code's convention)"
        )
    wrong = (given != want).nonzero().tolist()
    if wrong:
        row, col = wrong[0]
        who = lambda i: f"matching query {i - 6}" if i >= 6 else f"denoising query {i} (group {i // 2})"  # noqa: E731
        if want[row, col]:
            why = (
                "it would read the ground truth that the denoising queries carry"
                if row >= 6
                else "groups are kept apart, so that no group can copy another's noised answer"
            )
            raise Mismatch(f"{who(row)} must not see {who(col)}: {why} ({len(wrong)} entries differ)")
        raise Mismatch(f"{who(row)} may see {who(col)}: nothing needs to be hidden there ({len(wrong)} entries differ)")


# ---------------------------------------------------------------- chapters 01-04: exercises that ask for thought
def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise Mismatch(f"{what} should be a number, got {type(value).__name__} {value!r}")
    return float(value)


def _pair(answer: Any, what: str) -> tuple[Any, Any]:
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        raise Mismatch(f"give {what} as a pair in parentheses, e.g. (10, 2.5); got {type(answer).__name__} {answer!r}")
    return answer[0], answer[1]


def target_weight(alpha: float, shift: tuple[int, int] = (2, 2), size: int = 15) -> float:
    """The attention weight one head puts on its own pixel (query at the centre of a size x size image,
    scores -alpha |delta - shift|^2 over every pixel as a key, as in chapter 01's construction)."""
    r = torch.arange(size, dtype=torch.float64) - size // 2
    dy, dx = torch.meshgrid(r, r, indexing="ij")
    scores = -alpha * ((dy - shift[0]) ** 2 + (dx - shift[1]) ** 2)
    return float(scores.flatten().softmax(0).max())


def smallest_alpha(share: float = 0.99) -> float:
    """The smallest alpha with target_weight(alpha) >= share, by bisection."""
    lo, hi = 0.0, 64.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if target_weight(mid) < share else (lo, mid)
    return hi


@checker("Exercise 2: a 5x5 kernel by the construction", answers="value")
def kernel_5x5_heads_alpha(answer: Any) -> None:
    """``answer``: (heads, alpha): the heads a 5x5 convolution needs, and the smallest alpha that puts at
    least 99% of every head's attention on its own pixel. The alpha is measured (within 10%)."""
    heads, alpha = _pair(answer, "(heads, alpha)")
    heads = expect_int(heads, "the number of heads")
    alpha = _number(alpha, "alpha")
    if heads != 25:
        hint = " (that is a 3x3 kernel's)" if heads == 9 else ""
        raise Mismatch(
            f"{heads} heads{hint}: every tap of the kernel is one offset, and each head can attend to one offset only"
        )
    want = smallest_alpha()
    if alpha < want * 0.9:
        raise Mismatch(
            f"at alpha = {alpha:g} a head puts only {target_weight(alpha):.1%} of its weight on its own pixel; count the neighbours at distance 1, and what each one gets relative to the target"
        )
    if alpha > want * 1.1:
        raise Mismatch(
            f"alpha = {alpha:g} works ({target_weight(alpha):.2%} on the target) but is not the smallest: about {want:.1f} already gives 99%"
        )


@checker("Exercise 3: what a larger image adds to ViT-B/16", answers="value")
def vit_params_added_at_384(answer: Any) -> None:
    """``answer``: how many parameters ViT-B/16 gains when built for 384 x 384 instead of 224 x 224
    (measured on the meta device)."""
    from vitlite.layers import count_parameters
    from vitlite.models import create_model

    got = expect_int(answer, "the number of parameters")
    small = count_parameters(create_model("vit_base_patch16_224", device="meta"))
    large = count_parameters(create_model("vit_base_patch16_224", img_size=384, device="meta"))
    want = large - small
    if got == 0:
        raise Mismatch("one part of the model does depend on the image size: what has one row per token?")
    if got == (24 * 24 + 1) * 768:
        raise Mismatch(
            f"{got:,} is the whole position table at 384; the model at 224 already has {14 * 14 + 1} of its rows"
        )
    if got != want:
        raise Mismatch(
            f"measured {want:,}; you gave {got:,}. Which tensors have a size that depends on the number of tokens?"
        )


@checker("Exercise 4: grade the gap at 3,000 steps", answers="value")
def t2t_gap_at_3000(answer: Any) -> None:
    """``answer``: the verdict of chapter 03's generalisation row (T2T-ViT's train - test gap smaller than
    the ViT's, seed by seed) had it been read on the 3,000-step t2t study instead of t2t_long."""
    from vitlite.recipes import claims
    from vitlite.recipes.evidence import Book, grade

    given = _verdict_answer(answer)
    real = claims.book()
    short = Book(
        {"t2t_long": [r for r in real.records("t2t") if r["label"] in ("vit", "t2t")]}, {"t2t_long": real.budget("t2t")}
    )
    want = grade(claims.claim("03.generalises").measure(short), short).verdict
    _same_verdict(
        given,
        want,
        {
            "held": "the mean gap is smaller for T2T-ViT, but look at seed 1, and at the T2T-ViT runs' late gains",
            "held, not robust": "one seed disagrees, yes; but first ask whether every run had reached its end point",
            "did not hold": "the mean difference is on the claim's side, so it cannot fail outright; what keeps it open?",
        },
    )


@checker("Exercise 3: T2T-ViT-14 at 384 x 384", answers="value")
def t2t_grids_at_384(answer: Any) -> None:
    """``answer``: (sides, entries): the sides of the token grid after the three soft splits for a 384 x 384
    image (a list of three ints), and the number of entries of the first token layer's attention matrix for
    one image (one head). Measured from ``t2t_vit_14(img_size=384)``."""
    from vitlite.models import create_model

    sides, entries = _pair(answer, "(sides, entries)")
    if not isinstance(sides, (tuple, list)) or len(sides) != 3:
        raise Mismatch(f"sides should be a list of three ints (one per soft split), got {sides!r}")
    sides = [expect_int(s, "a grid side") for s in sides]
    entries = expect_int(entries, "the number of attention entries")
    want = list(create_model("t2t_vit_14", img_size=384, device="meta").tokens_to_token.grids)
    if sides != want:
        first = next(i for i in range(3) if sides[i] != want[i])
        raise Mismatch(
            f"soft split {first}: the grid is {want[first]}x{want[first]}, you gave {sides[first]}; use floor((size + 2 padding - kernel) / stride) + 1"
        )
    tokens = want[0] ** 2
    if entries == tokens:
        raise Mismatch(f"{entries:,} is the number of tokens; every token attends to every token")
    if entries != tokens**2:
        raise Mismatch(f"{tokens:,} tokens attend to each other: expected {tokens**2:,} entries, got {entries:,}")


def swin_influence(shifts: tuple[int, ...], row: int = 5, col: int = 5, size: int = 16, window: int = 4) -> int:
    """How many of the size x size input patches change output patch (row, col) after a stack of Swin
    blocks (window ``window``, one block per entry of ``shifts``), computed from the window geometry
    (:func:`vitlite.models.swin.token_reach`, which the tests check against gradients)."""
    from vitlite.models.swin import token_reach

    return int(token_reach(shifts, size, window, row, col).sum())


@checker("Exercise 3: what the shift buys", answers="value")
def swin_shift_reach(answer: Any) -> None:
    """``answer``: (without, with): how many of the 16 x 16 input patches can change output patch (5, 5)
    after two Swin blocks with 4 x 4 windows, both regular (without) or regular then shifted by 2 (with)."""
    without, with_shift = (expect_int(v, "a number of patches") for v in _pair(answer, "(without, with)"))
    want = (swin_influence((0, 0)), swin_influence((0, 2)))
    if without != want[0]:
        raise Mismatch(
            f"without the shift: the answer is {want[0]}, you gave {without}. Can a patch ever read outside its own window, however many blocks there are?"
        )
    if with_shift != want[1]:
        raise Mismatch(
            f"with the shift: the answer is {want[1]}, you gave {with_shift}. Which windows of the second block hold patch (5, 5), and what did each of its patches read in the first block?"
        )


# ---------------------------------------------------------------- chapters 09 and 10
def _shape_list(answer: Any, n: int, what: str) -> list[tuple[int, ...]]:
    if not isinstance(answer, (list, tuple)) or len(answer) != n:
        raise Mismatch(f"give {what} as a list of {n} (channels, height, width) tuples; got {answer!r:.80}")
    out = []
    for item in answer:
        if not isinstance(item, (list, tuple)) or len(item) != 3:
            raise Mismatch(f"each entry should be a (channels, height, width) tuple, got {item!r}")
        out.append(tuple(expect_int(v, "a size") for v in item))
    return out


def traced_module_outputs(
    model: torch.nn.Module, modules: list[torch.nn.Module], x: torch.Tensor
) -> list[tuple[int, ...]]:
    """The output shape (no batch axis) of each module, in the given order, then the model's own, when ``model(x)`` runs."""
    from vitlite.schematics import traced_shapes

    shapes = traced_shapes(model, x, {**{str(k): m for k, m in enumerate(modules)}, "model": model})
    return [shapes[str(k)] for k in range(len(modules))] + [shapes["model"]]


@checker("Exercise 1: SETR-PUP at 96 x 128", answers="value")
def pup_shapes_at_96x128(answer: Any) -> None:
    """``answer``: for the course SETR-PUP (``setr_pup_tiny_shapes``) on a 96 x 128 image, the (channels,
    height, width) after each of its three conv-BN-ReLU stages (before that stage's upsampling) and of the
    output: four tuples. Traced from the model."""
    from vitlite.models import create_model

    given = _shape_list(answer, 4, "the three stages and the output")
    model = create_model("setr_pup_tiny_shapes")
    want = traced_module_outputs(model, list(model.decoder.bns), torch.zeros(1, 3, 96, 128))
    for i, (g, w) in enumerate(zip(given, want)):
        if g != w:
            where = f"stage {i + 1}" if i < 3 else "the output"
            hint = (
                " (the classifier comes before the last 2x upsampling)"
                if i == 3
                else (
                    " (the first stage runs on the token grid: 96/8 by 128/8)"
                    if i == 0
                    else " (each earlier stage ends with a 2x upsampling)"
                )
            )
            raise Mismatch(f"{where}: expected {w}, got {g}{hint}")


def band_drops(study: Any) -> dict[str, float]:
    """Per arm of a segmentation study: the mean over seeds of its runs' band drops (the reading
    :func:`vitlite.recipes.dense.band_drops` computes for the ledger too), from the shipped records."""
    from vitlite.recipes.dense import band_drops as per_seed

    return {label: sum(v.values()) / len(v) for label, v in per_seed(study.results()).items()}


@checker("Exercise 2: who loses most at the edges", answers="value")
def setr_band_drop(answer: Any) -> None:
    """``answer``: (label, share): the arm of chapter 09's SETR study (``naive``, ``pup``, ``mla``,
    ``fcn``) that loses the largest share of its mIoU in the 2-px band, and that share (mean over the
    seeds, within 0.005). Computed from the study's records."""
    from vitlite.recipes.dense import SETR

    label, share = _pair(answer, "(label, share)")
    drops = band_drops(SETR)
    if not isinstance(label, str) or label not in drops:
        raise Mismatch(f"the label should be one of {sorted(drops)}, got {label!r}")
    share = _number(share, "the share")
    if share > 1.5:
        raise Mismatch(f"give the share as a fraction (0.3), not a percentage ({share})")
    top = max(drops, key=drops.get)
    if label != top:
        raise Mismatch(
            f"{label} loses {drops[label]:.3f} of its mIoU in the band; one model loses more. Compute the share for every label and take the largest"
        )
    if abs(share - drops[top]) > 0.005:
        raise Mismatch(
            f"right model; its share is {drops[top]:.3f}, you gave {share:.3f}. Average 1 - band / away over the seeds (scores['test'])"
        )


@checker("Exercise 1: DPT's reassembled maps at 80 x 112", answers="value")
def reassemble_at_80x112(answer: Any) -> None:
    """``answer``: for the course DPT (``dpt_depth_tiny_shapes``: 8x8 patches, factors 2, 1, 1/2, 1/4,
    channels 32, 64, 128, 128) on an 80 x 112 image, the (channels, height, width) of the four reassembled
    maps. Traced from the model."""
    from vitlite.models import create_model

    given = _shape_list(answer, 4, "the four reassembled maps")
    model = create_model("dpt_depth_tiny_shapes")
    want = traced_module_outputs(model, list(model.reassemble), torch.zeros(1, 3, 80, 112))[:4]
    for i, (g, w) in enumerate(zip(given, want)):
        if g != w:
            hint = ""
            if i >= 2 and g[1:] == (10 // 2 ** (i - 1), 14 // 2 ** (i - 1)):
                hint = ": a 3x3 convolution with padding 1 and stride s rounds *up* (ceil(n / s)), it does not floor"
            elif i < 2 and g[1:] != w[1:]:
                hint = ": the token grid is 80/8 by 112/8, and this map is resampled from it by a transposed convolution (or not at all)"
            raise Mismatch(f"map {i}: expected {w}, got {g}{hint}")


def readout_means() -> dict[str, float]:
    """Chapter 10's readout ablation: per readout (``project``, ``ignore``, ``add``), the mean test AbsRel
    over its seeds (the reading :func:`vitlite.recipes.dense.readout_values` gives the ledger), from the
    shipped records."""
    from vitlite.recipes.dense import DPT, DPT_READOUT, readout_values

    values = readout_values({DPT.name: DPT.results(), DPT_READOUT.name: DPT_READOUT.results()})
    return {name: sum(v.values()) / len(v) for name, v in values.items()}


@checker("Exercise 2: which readout matters least", answers="value")
def dpt_readout_gap(answer: Any) -> None:
    """``answer``: (readout, gap): the readout (``"project"``, ``"ignore"`` or ``"add"``) with the lowest
    mean test AbsRel in chapter 10's depth runs, and the gap between the highest and the lowest mean
    (within 0.0005). Computed from the records."""
    readout, gap = _pair(answer, "(readout, gap)")
    means = readout_means()
    if not isinstance(readout, str) or readout not in means:
        raise Mismatch(f"the readout should be one of {sorted(means)}, got {readout!r}")
    gap = _number(gap, "the gap")
    best = min(means, key=means.get)
    spread = max(means.values()) - min(means.values())
    if readout != best:
        raise Mismatch(
            f"{readout} has a mean test AbsRel of {means[readout]:.4f}; another readout is lower. Average each readout's three seeds, then take the smallest"
        )
    if gap < 0:
        raise Mismatch("the gap is the highest mean minus the lowest: it cannot be negative")
    if abs(gap - spread) > 0.0005:
        raise Mismatch(
            f"right readout; the gap between the highest and the lowest mean is {spread:.4f}, you gave {gap:.4f}"
        )
