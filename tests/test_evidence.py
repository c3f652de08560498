"""The course's one rule of evidence (vitlite.recipes.evidence) on hand-made records: every verdict and its edges."""

from __future__ import annotations

import math

import pytest

from vitlite.recipes import evidence as E

BUDGET = E.Budget(4000, "accuracy")
FLAT = [0.50, 0.70, 0.800, 0.805]  # +0.005 after three quarters of the budget: finished
RISING = [0.50, 0.60, 0.70, 0.75]  # +0.05 after three quarters: still improving


def run(label, seed, test, train=0.9, curve=FLAT, **extra):
    return {
        "label": label,
        "seed": seed,
        "scores": {"train": {"accuracy": train}, "test": {"accuracy": test}},
        "history": {"eval_step": [1000, 2000, 3000, 4000], "metrics": {"accuracy": list(curve)}},
        **extra,
    }


def book(a_tests, b_tests, a_curves=None, b_curves=None, b_train=0.9):
    a_curves = a_curves or [FLAT] * len(a_tests)
    b_curves = b_curves or [FLAT] * len(b_tests)
    records = [run("a", k, t, curve=c) for k, (t, c) in enumerate(zip(a_tests, a_curves))]
    records += [run("b", k, t, train=b_train, curve=c) for k, (t, c) in enumerate(zip(b_tests, b_curves))]
    return E.Book({"s": records}, {"s": BUDGET})


def diff(b: E.Book, threshold: float, kind: str = "superiority", **kw) -> E.Test:
    va, vb = b.values(("s", "a"), "accuracy"), b.values(("s", "b"), "accuracy")
    return E.Test("A - B", E.seed_values(va, vb), threshold, kind=kind, helps=(("s", "a"),), hurts=(("s", "b"),), **kw)


def test_late_gain_tells_a_finished_cosine_curve_from_a_rising_one():
    assert E.late_gain(run("a", 0, 0.8), BUDGET) == pytest.approx(0.005)
    assert not E.still_improving(run("a", 0, 0.8), BUDGET)
    assert E.still_improving(run("a", 0, 0.8, curve=RISING), BUDGET)
    # the best step at the very end, by a hair, is what a finished cosine run looks like: not improving
    hair = run("a", 0, 0.8, curve=[0.5, 0.79, 0.800, 0.801])
    assert not E.still_improving(hair, BUDGET)
    exactly = run("a", 0, 0.9, curve=[0.5, 0.7, 0.892, 0.902])  # 0.902 - 0.892 is 0.01000000000000001 in floats
    assert E.late_gain(exactly, BUDGET) > E.MARGIN and not E.still_improving(exactly, BUDGET)
    assert E.late_gain(run("a", 0, 0.8, curve=RISING, stopped_by_patience=True), BUDGET) == 0.0
    lower = E.Budget(4000, "abs_rel", minimize=True)
    falling = {
        "label": "d",
        "seed": 0,
        "history": {"eval_step": [1000, 2000, 3000, 4000], "metrics": {"abs_rel": [0.3, 0.2, 0.10, 0.05]}},
    }
    assert E.late_gain(falling, lower) == pytest.approx(0.05) and E.still_improving(falling, lower)
    with pytest.raises(ValueError, match="both sides"):
        E.late_gain(run("a", 0, 0.8), E.Budget(6000, "accuracy"))
    with pytest.raises(KeyError, match="no validation history"):
        E.late_gain({"label": "x", "seed": 0}, BUDGET)


def test_superiority_needs_the_mean_and_every_seed():
    b = book([0.85, 0.86, 0.87], [0.80, 0.81, 0.82])
    assert E.grade(diff(b, 0.03), b).verdict == "held"  # +0.05 in every seed
    b = book([0.95, 0.86, 0.80], [0.80, 0.81, 0.82])  # mean +0.06, seed 2 below
    graded = E.grade(diff(b, 0.03), b)
    assert (
        graded.verdict == "held, not robust"
        and "+0.150, +0.050, -0.020" in graded.result
        and "mean +0.060" in graded.result
    )
    b = book([0.82, 0.83, 0.84], [0.80, 0.81, 0.82])  # every seed +0.02, short of +0.03
    assert E.grade(diff(b, 0.03), b).verdict == "did not hold"


def test_non_inferiority_holds_only_if_every_pair_stays_inside_the_margin():
    b = book([0.79, 0.80, 0.81], [0.80, 0.81, 0.82])  # -0.01 each: inside 2 points
    assert E.grade(diff(b, -0.02, "non-inferiority"), b).verdict == "held"
    b = book([0.85, 0.80, 0.775], [0.80, 0.81, 0.82])  # mean -0.002, seed 2 at -0.045
    assert E.grade(diff(b, -0.02, "non-inferiority"), b).verdict == "held, not robust"
    b = book([0.76, 0.77, 0.78], [0.80, 0.81, 0.82])
    assert E.grade(diff(b, -0.02, "non-inferiority"), b).verdict == "did not hold"


def test_a_climbing_loser_makes_a_held_comparison_inconclusive_a_climbing_winner_makes_it_conservative():
    b = book([0.85, 0.86, 0.87], [0.80, 0.81, 0.82], b_curves=[FLAT, RISING, FLAT])
    graded = E.grade(diff(b, 0.03), b)
    assert graded.verdict == "inconclusive" and "could reverse it: b (s) seed 1 +0.050" in graded.notes[0]
    b = book([0.85, 0.86, 0.87], [0.80, 0.81, 0.82], a_curves=[RISING, RISING, FLAT])
    graded = E.grade(diff(b, 0.03), b)
    assert (
        graded.verdict == "held"
        and graded.notes[0].startswith("conservative")
        and "a (s) seed 0 +0.050, seed 1 +0.050" in graded.notes[0]
    )


def test_a_climbing_winner_makes_a_verdict_against_the_claim_inconclusive():
    b = book([0.80, 0.81, 0.82], [0.80, 0.81, 0.82], a_curves=[FLAT, FLAT, RISING])
    assert E.grade(diff(b, 0.03), b).verdict == "inconclusive"
    b = book(
        [0.80, 0.81, 0.82], [0.80, 0.81, 0.82], b_curves=[RISING] * 3
    )  # only the loser climbs: the failure can only widen
    graded = E.grade(diff(b, 0.03), b)
    assert graded.verdict == "did not hold" and graded.notes[0].startswith("conservative")


def test_non_inferiority_that_held_needs_both_arms_finished():
    b = book([0.79, 0.80, 0.81], [0.80, 0.81, 0.82], a_curves=[RISING, FLAT, FLAT])
    assert E.grade(diff(b, -0.02, "non-inferiority"), b).verdict == "inconclusive"
    b = book([0.79, 0.80, 0.81], [0.80, 0.81, 0.82], b_curves=[FLAT, FLAT, RISING])
    assert E.grade(diff(b, -0.02, "non-inferiority"), b).verdict == "inconclusive"


def test_a_control_that_does_not_train_isolates_nothing():
    b = book([0.85, 0.86, 0.87], [0.21, 0.20, 0.22], b_train=0.23)
    graded = E.grade(diff(b, 0.03, controls=((("s", "b"), 0.2),)), b)
    assert graded.verdict == "inconclusive" and "never trained (train 0.230, chance 0.20)" in graded.notes[0]
    b = book([0.85, 0.86, 0.87], [0.21, 0.20, 0.22], b_train=0.26)
    assert E.grade(diff(b, 0.03, controls=((("s", "b"), 0.2),)), b).verdict == "held"


def test_every_seed_kind_for_a_single_arm_and_a_claim_of_several_parts():
    b = book([0.85, 0.86, 0.87], [0.80, 0.81, 0.82])
    single = E.Test(
        "A above 0.8",
        {k: v - 0.8 for k, v in b.values(("s", "a"), "accuracy").items()},
        0.0,
        kind="every seed",
        helps=(("s", "a"),),
    )
    assert E.grade(single, b).verdict == "held"
    spotty = E.Test("x", {0: 0.1, 1: -0.02, 2: 0.1}, 0.0, kind="every seed")
    assert E.grade(spotty, b).verdict == "held, not robust"
    both = E.grade([single, spotty], b)
    assert (
        both.verdict == "held, not robust" and "(1) A above 0.8" in both.result and "[held, not robust]" in both.result
    )
    assert E.weakest(["held", "inconclusive", "did not hold"]) == "did not hold"
    assert E.weakest(["held", "inconclusive"]) == "inconclusive"
    assert E.weakest(["held", "held"]) == "held"


def test_pairs_need_the_same_seeds_and_tests_need_values():
    with pytest.raises(ValueError, match="pairs runs by seed"):
        E.seed_values({0: 1.0, 1: 2.0}, {0: 1.0, 2: 2.0})
    with pytest.raises(ValueError, match="no values"):
        E.Test("x", {}, 0.0)
    with pytest.raises(ValueError, match="kind must be"):
        E.Test("x", {0: 1.0}, 0.0, kind="roughly")
    assert E.mean([1, 2, 3]) == 2 and math.isclose(E.stdev([1, 2, 3]), 1.0) and E.stdev([4]) == 0.0


def test_a_study_without_an_end_point_budget_is_graded_on_its_values():
    b = E.Book(
        {"s": [run("a", k, 0.9, curve=RISING) for k in range(3)] + [run("b", k, 0.8, curve=RISING) for k in range(3)]}
    )
    assert b.improving(("s", "b")) == {}
    assert E.grade(diff(b, 0.03), b).verdict == "held"
