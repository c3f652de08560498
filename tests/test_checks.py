"""The exercise checkers: not attempted, correct, wrong (with a useful message), never raising."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from vitlite import checks
from vitlite.checks import CORRECT, NOT_ATTEMPTED, WRONG, Result

CHECKERS = [checks.conv2d_unfold, checks.attention_weights, checks.sharpening_shifts]


# ---------------------------------------------------------------- right answers, written independently
def conv2d_unfold_answer(x, weight):
    b, c, h, w = x.shape
    o, _, k, _ = weight.shape
    cols = F.unfold(x, k, padding=k // 2)  # (B, C k k, H W)
    return (weight.reshape(o, -1) @ cols).reshape(b, o, h, w)


def conv2d_loops_answer(x, weight):
    """The same convolution with explicit loops over the taps."""
    k = weight.shape[-1]
    pad = F.pad(x, [k // 2] * 4)
    out = torch.zeros(x.shape[0], weight.shape[0], x.shape[2], x.shape[3])
    for i in range(k):
        for j in range(k):
            window = pad[:, :, i : i + x.shape[2], j : j + x.shape[3]]
            out += torch.einsum("bchw,oc->bohw", window, weight[:, :, i, j])
    return out


def attention_weights_answer(q, k):
    scores = q @ k.T / q.shape[-1] ** 0.5
    e = torch.exp(scores - scores.max(-1, keepdim=True).values)
    return e / e.sum(-1, keepdim=True)


SHARPEN = [(0, 0), (-1, 0), (1, 0), (0, -1), (0, 1)]

RIGHT = {
    "conv2d_unfold": conv2d_unfold_answer,
    "attention_weights": attention_weights_answer,
    "sharpening_shifts": SHARPEN,
}


def not_implemented(*args):
    raise NotImplementedError  # your code here


# ---------------------------------------------------------------- statuses
# Exercise 4's answer is a list, so a stub function is not one of its "not attempted" forms.
UNATTEMPTED = [
    (c, a)
    for c in CHECKERS
    for a in (None, ..., not_implemented)
    if not (c is checks.sharpening_shifts and a is not_implemented)
]


@pytest.mark.parametrize(("checker", "answer"), UNATTEMPTED, ids=lambda v: getattr(v, "__name__", repr(v)))
def test_not_attempted(checker, answer):
    result = checker(answer)
    assert isinstance(result, Result)
    assert result.status == NOT_ATTEMPTED and not result.correct
    assert str(result).endswith(": not attempted yet")


@pytest.mark.parametrize("name", list(RIGHT))
def test_correct(name):
    result = getattr(checks, name)(RIGHT[name])
    assert result.status == CORRECT and result.correct, str(result)
    assert result.message == ""
    assert str(result).startswith("✓ ") and str(result).endswith(": correct")


def test_other_correct_forms():
    assert checks.conv2d_unfold(conv2d_loops_answer).correct
    assert checks.conv2d_unfold(lambda x, w: F.conv2d(x, w, padding=w.shape[-1] // 2)).correct
    assert checks.sharpening_shifts(list(reversed(SHARPEN))).correct
    assert checks.sharpening_shifts([[0, 1], [0, -1], [1, 0], [-1, 0], [0, 0]]).correct
    assert checks.sharpening_shifts(torch.tensor(SHARPEN)).correct


# ---------------------------------------------------------------- wrong answers
def wrong(result: Result, *fragments: str) -> None:
    assert result.status == WRONG and not result.correct
    for fragment in fragments:
        assert fragment in result.message, result.message
    assert str(result).startswith("✗ ")


def test_conv2d_unfold_wrong():
    # no padding: the output is smaller
    wrong(checks.conv2d_unfold(lambda x, w: F.conv2d(x, w)), "should have shape (2, 4, 7, 6)", "got (2, 4, 5, 4)")
    # cross-correlation with a flipped kernel: right shape, wrong values
    wrong(
        checks.conv2d_unfold(lambda x, w: F.conv2d(x, w.flip(-1, -2), padding=w.shape[-1] // 2)),
        "differs from the expected values",
        "largest difference",
    )
    # a numpy array instead of a tensor
    wrong(
        checks.conv2d_unfold(lambda x, w: conv2d_unfold_answer(x, w).numpy()), "should be a torch.Tensor, got ndarray"
    )

    # only the second case differs: the message names that case
    def first_only(x, w):
        out = conv2d_unfold_answer(x, w)
        return out if x.shape[1] == 3 else out + 1

    wrong(checks.conv2d_unfold(first_only), "x (1, 1, 5, 5)", "weight (2, 1, 5, 5)")


def test_attention_weights_wrong():
    wrong(
        checks.attention_weights(lambda q, k: torch.softmax(q @ k.T, -1)), "differs from the expected values"
    )  # no scaling
    wrong(
        checks.attention_weights(lambda q, k: torch.softmax(q @ k.T / 8**0.5, 0)), "row (one query) should sum to 1"
    )  # wrong axis
    wrong(
        checks.attention_weights(lambda q, k: torch.softmax(k @ q.T / 8**0.5, -1)),
        "should have shape (5, 7)",
        "got (7, 5)",
    )
    wrong(checks.attention_weights(lambda q, k: (q @ k.T).tolist()), "should be a torch.Tensor, got list")


def test_learner_code_raising_is_reported_not_raised():
    def broken(x, w):
        return x @ w  # shapes do not match

    result = checks.conv2d_unfold(broken)
    wrong(result, "your code raised RuntimeError", "line ")
    result = checks.attention_weights(lambda q, k: torch.softmax(q @ k, -1))
    wrong(result, "your code raised RuntimeError")

    def type_error(x, weight):
        return x - "weight"

    wrong(checks.conv2d_unfold(type_error), "your code raised TypeError")
    lineno = type_error.__code__.co_firstlineno + 1
    assert f"(line {lineno})" in checks.conv2d_unfold(type_error).message


@pytest.mark.parametrize(
    "answer, fragments",
    [
        (SHARPEN[:4], ["a non-zero tap has no head", "(0, 1)"]),
        (SHARPEN + [(1, 1)], ["meet a zero tap", "(1, 1)"]),
        (SHARPEN[:4] + [(2, 0)], ["(0, 1)", "(2, 0)", "outside the 3x3 kernel"]),
        (SHARPEN + [(0, 0)], ["appears twice"]),
        ([(0, 0, 1)] * 5, ["each shift is a pair"]),
        (5, ["list of (row, col) pairs"]),
        ([("a", "b")], ["list of (row, col) pairs"]),
        ([], ["a non-zero tap has no head"]),
    ],
)
def test_sharpening_shifts_wrong(answer, fragments):
    wrong(checks.sharpening_shifts(answer), *fragments)


@pytest.mark.parametrize("checker", CHECKERS, ids=lambda c: c.__name__)
@pytest.mark.parametrize(
    "answer",
    [42, "text", lambda *a: None, lambda *a: 1 / 0, lambda: 0, object()],
    ids=["int", "str", "returns-none", "zerodiv", "no-args", "object"],
)
def test_checkers_never_raise(checker, answer):
    result = checker(answer)
    assert result.status == WRONG
    assert result.message


def test_nan_answer_gets_a_values_message():
    result = checks.conv2d_unfold(lambda x, w: torch.full_like(conv2d_unfold_answer(x, w), float("nan")))
    assert result.status == WRONG
    assert "your code raised" not in result.message and "NaN" in result.message


def test_float64_attention_weights_are_correct():
    result = checks.attention_weights(lambda q, k: torch.softmax(q.double() @ k.double().T / q.shape[-1] ** 0.5, -1))
    assert result.correct, str(result)


# ---------------------------------------------------------------- Result and helpers
def test_result_text_and_html():
    ok, bad, todo = Result("Ex", CORRECT), Result("Ex", WRONG, "x < y & z"), Result("Ex", NOT_ATTEMPTED)
    assert str(ok) == "✓ Ex: correct" and repr(ok) == str(ok)
    assert str(bad) == "✗ Ex: wrong. x < y & z"
    assert str(todo) == "· Ex: not attempted yet"
    html = bad._repr_html_()
    assert html.startswith("<span") and html.endswith("</span>")
    assert "x &lt; y &amp; z" in html and "<y" not in html
    colors = {r._repr_html_().split("color:")[1][:7] for r in (ok, bad, todo)}
    assert len(colors) == 3


def test_custom_checker_and_helpers():
    @checks.checker("My exercise", answers="value")
    def my_check(answer):
        checks.expect_close(answer, torch.tensor([1.0, 2.0]), what="the vector")

    assert my_check(torch.tensor([1.0, 2.0])).correct
    r = my_check(torch.tensor([1.0, 2.5]))
    assert r.exercise == "My exercise" and r.status == WRONG
    assert "the vector differs" in r.message and "0.5" in r.message and "(1,)" in r.message
    assert "should have shape (2,)" in my_check(torch.zeros(3)).message
    assert my_check.__name__ == "my_check"
