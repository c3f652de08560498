"""The course's one rule of evidence: how a claim tested in miniature is graded from its records.

Chapter 02's methods box states the rule in words; this module is the rule in code, and every claim in
:mod:`vitlite.recipes.claims`, every chapter's verdict and chapter 10's ledger is graded by it. Fixed on
2026-12-07 (``RULE_FIXED``); a change to it is a change of every verdict, made openly.

**Seeds are paired.** The arms of a study share their data and their seeds; seed s of one arm is compared
with seed s of the other, so a claim's quantity is computed per seed (a difference, a gap, a ratio) and
then averaged.

**Verdicts.** ``held``, ``held, not robust``, ``inconclusive`` or ``did not hold``.

* A *superiority* claim (A at least m above B, m >= 0) is ``held`` when the mean of the paired quantity
  meets the threshold and the claimed direction holds in every seed (the quantity above 0); ``held, not
  robust`` when the mean meets it but a seed disagrees; ``did not hold`` when the mean falls short.
* A *bound* (a non-inferiority claim, "A no more than m below B", or a single arm's claim, "every run
  past x") is ``held`` only when every seed is within the bound; ``held, not robust`` when the mean is but
  a seed is not; ``did not hold`` when the mean is not.

Why not a significance test? With three seeds a sign test cannot reach p < 0.05 (all three agreeing has
p = 1/8 one-sided), and a t-test on three differences rests on a normality it cannot check. "Every seed
agrees" is the strongest statement three seeds allow, and it is the one the rule asks of ``held``.

**End points.** A run is *still improving* when its last validation score is more than ``MARGIN`` (0.01,
in the score's own units; every score of the course is a fraction) better than its best score up to
``LATE`` (three quarters) of its planned steps. Under a cosine schedule a finished run's best evaluation
often falls at its very end, by a hair, so "best step near the end" cannot tell a flat curve from a rising
one; a late gain can. A run stopped by patience was not improving. A verdict is ``inconclusive`` when any
run that could reverse it was still improving (any seed: ``held`` asks every pair of runs to agree, so every
pair must be at its end point): for a verdict that held, a run of the arm the claim says should lose; for
one that did not hold, a run of the arm the claim says should win; for a bound between two arms
(non-inferiority) that held, a run of either arm, since parity is a claim about two finished models; for a
quantity that a run's further training could move either way (a train - test gap, a ratio of two scores),
a run of either arm. A still-improving run that could only widen the verdict's margin leaves it standing,
and the row says so (``conservative``).

**A control must train.** An arm offered as a control isolates nothing if it does not fit its own training
images above chance + ``ABOVE_CHANCE`` (0.05) on average: the verdict is ``inconclusive``, with the
training accuracy shown.

**Mechanism rows follow their control.** Where the chapter's control rejects the mechanism, the
mechanism's row cannot be ``held`` (see :class:`vitlite.recipes.claims.Claim`'s ``follows``).

**Where each threshold came from:** ``paper``, ``pilot`` (the pilot's record named), ``a priori`` (fixed
before any run of the task), or ``after the runs`` (a control row added when the course's rule was fixed,
after the records existed; counted apart in the ledger).

**Ties** at the best validation score keep the latest step (:func:`vitlite.train.fit`, from 2026-12-07).

**Several parts.** A claim of several parts holds only as far as its weakest part: ``did not hold`` if a
part did not hold, else ``inconclusive`` if a part is, else ``held, not robust`` if a part is, else
``held``.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any, Callable, Iterable

__all__ = [
    "RULE_FIXED",
    "MARGIN",
    "LATE",
    "ABOVE_CHANCE",
    "VERDICTS",
    "SOURCES",
    "Runs",
    "Budget",
    "Book",
    "Test",
    "Graded",
    "late_gain",
    "still_improving",
    "grade",
    "weakest",
    "mean",
    "stdev",
    "seed_values",
]

RULE_FIXED = "2026-12-07"
MARGIN = 0.01
LATE = 0.75
ABOVE_CHANCE = 0.05
VERDICTS = ("held", "held, not robust", "inconclusive", "did not hold")
SOURCES = ("paper", "pilot", "a priori", "after the runs")

Runs = tuple[str, str]  # (study, arm label): the runs of one arm, one per seed


def mean(values: Iterable[float]) -> float:
    return statistics.fmean(values)


def stdev(values: Iterable[float]) -> float:
    """Sample standard deviation (0 for a single value)."""
    values = list(values)
    return statistics.stdev(values) if len(values) > 1 else 0.0


# ---------------------------------------------------------------- end points
@dataclass(frozen=True)
class Budget:
    """What the end-point check needs to know of a study: its planned steps and the validation score
    that picked each run's checkpoint."""

    steps: int
    metric: str
    minimize: bool = False


def late_gain(record: dict[str, Any], budget: Budget, fraction: float = LATE) -> float:
    """How much better (positive) the run's last validation score is than its best score up to
    ``fraction`` of the planned steps; 0 for a run stopped by patience (it had stopped improving)."""
    if record.get("stopped_by_patience"):
        return 0.0
    history = record.get("history")
    if not history or budget.metric not in history.get("metrics", {}):
        raise KeyError(
            f"{record.get('label', 'run')} seed {record.get('seed')}: the record keeps no validation history of {budget.metric!r}, so its end point cannot be checked"
        )
    steps, values = history["eval_step"], history["metrics"][budget.metric]
    cut = fraction * budget.steps
    before = [v for s, v in zip(steps, values) if s <= cut]
    if not before or steps[-1] <= cut:
        raise ValueError(
            f"{record.get('label', 'run')} seed {record.get('seed')}: no evaluations on both sides of step {cut:,.0f}"
        )
    sign = -1.0 if budget.minimize else 1.0
    return sign * (values[-1] - (min(before) if budget.minimize else max(before)))


def still_improving(record: dict[str, Any], budget: Budget) -> bool:
    """The run's late gain (:func:`late_gain`) is more than ``MARGIN`` (a gain of exactly 0.01, ten images
    of a thousand, is not: scores are compared to six decimals, so float rounding cannot tip it)."""
    return round(late_gain(record, budget), 6) > MARGIN


# ---------------------------------------------------------------- records
class Book:
    """The records a claim reads: per study, every run's record (with its history), and per study the
    :class:`Budget` of its end-point check. ``load(study)`` fetches what is not given."""

    def __init__(
        self,
        records: dict[str, list[dict[str, Any]]] | None = None,
        budgets: dict[str, Budget] | None = None,
        load: Callable[[str], tuple[list[dict[str, Any]], Budget | None]] | None = None,
    ):
        self._records = dict(records or {})
        self._budgets = dict(budgets or {})
        self._load = load

    def records(self, study: str) -> list[dict[str, Any]]:
        if study not in self._records:
            if self._load is None:
                raise KeyError(f"no records of {study!r}")
            self._records[study], budget = self._load(study)
            if budget is not None:
                self._budgets.setdefault(study, budget)
        return self._records[study]

    def budget(self, study: str) -> Budget | None:
        self.records(study)
        return self._budgets.get(study)

    def runs(self, arm: Runs) -> dict[int, dict[str, Any]]:
        """Seed -> record, for one arm."""
        study, label = arm
        out = {r["seed"]: r for r in self.records(study) if r.get("label", label) == label}
        if not out:
            raise KeyError(f"{study} has no runs of {label!r}")
        return dict(sorted(out.items()))

    def values(self, arm: Runs, metric: str, split: str = "test") -> dict[int, float]:
        """Seed -> the arm's score ``metric`` on ``split``."""
        return {seed: r["scores"][split][metric] for seed, r in self.runs(arm).items()}

    def improving(self, arm: Runs) -> dict[int, float]:
        """The seeds of an arm that were still improving at their last evaluation, with their late gains
        ({} when the study has no end-point budget)."""
        budget = self.budget(arm[0])
        if budget is None:
            return {}
        return {seed: late_gain(r, budget) for seed, r in self.runs(arm).items() if still_improving(r, budget)}


def seed_values(
    a: dict[int, float], b: dict[int, float] | None = None, how: Callable[..., float] = lambda x, y: x - y
) -> dict[int, float]:
    """Pair two arms by seed: ``how(a[s], b[s])`` for every seed both have (a ValueError if they differ)."""
    if b is None:
        return dict(a)
    if set(a) != set(b):
        raise ValueError(
            f"the arms do not share their seeds ({sorted(a)} against {sorted(b)}): the rule pairs runs by seed"
        )
    return {s: how(a[s], b[s]) for s in sorted(a)}


# ---------------------------------------------------------------- one test, graded
@dataclass(frozen=True)
class Test:
    """One paired test of a claim: a quantity per seed, oriented so that the claim says it is large.

    ``kind`` is ``"superiority"`` (mean >= ``threshold``, and above 0 in every seed for ``held``),
    ``"non-inferiority"`` or ``"every seed"`` (both: every seed >= ``threshold`` for ``held``).
    ``helps`` are the arms whose further improvement would raise the quantity (the claimed winner),
    ``hurts`` those whose improvement would lower it (the claimed loser); ``controls`` the arms that must
    fit their training images above chance (arm, chance)."""

    what: str
    values: dict[int, float]
    threshold: float
    kind: str = "superiority"
    helps: tuple[Runs, ...] = ()
    hurts: tuple[Runs, ...] = ()
    controls: tuple[tuple[Runs, float], ...] = ()
    digits: int = 3
    percent: bool = False

    def __post_init__(self) -> None:
        if self.kind not in ("superiority", "non-inferiority", "every seed"):
            raise ValueError(f"kind must be 'superiority', 'non-inferiority' or 'every seed', got {self.kind!r}")
        if not self.values:
            raise ValueError(f"{self.what}: no values to grade")

    def show(self, value: float) -> str:
        return f"{value:+.{max(0, self.digits - 2)}%}" if self.percent else f"{value:+.{self.digits}f}"

    def base(self) -> str:
        """The verdict from the values alone (before end points and controls)."""
        values = list(self.values.values())
        met = mean(values) >= self.threshold
        if not met:
            return "did not hold"
        every = all(v > 0 for v in values) if self.kind == "superiority" else all(v >= self.threshold for v in values)
        return "held" if every else "held, not robust"


@dataclass(frozen=True)
class Graded:
    """A claim's verdict by the rule, the result in words (per-seed values), and notes (end points,
    controls) that explain a verdict other than the values' own."""

    verdict: str
    result: str
    notes: tuple[str, ...] = ()
    causes: tuple[str, ...] = ()  # why a verdict is inconclusive: "end point", "untrained control"


def _arm_name(arm: Runs) -> str:
    return arm[1] if arm[0] == arm[1] or not arm[0] else f"{arm[1]} ({arm[0]})"


def _grade_one(test: Test, book: Book) -> Graded:
    values = test.values
    shown = ", ".join(test.show(v) for v in values.values())
    bar = (
        f"each ≥ {test.show(test.threshold)}"
        if test.kind != "superiority"
        else f"mean ≥ {test.show(test.threshold)}, each > 0"
    )
    result = (
        f"{test.what}, seeds {','.join(map(str, values))}: {shown}; mean {test.show(mean(values.values()))} ({bar})"
    )
    verdict, notes = test.base(), []
    for arm, chance in test.controls:
        fitted = mean(r["scores"]["train"][_primary(book, arm)] for r in book.runs(arm).values())
        if fitted <= chance + ABOVE_CHANCE:
            notes.append(
                f"{_arm_name(arm)} never trained (train {fitted:.3f}, chance {chance:.2f}), so it isolates nothing"
            )
    if notes:
        return Graded("inconclusive", result, tuple(notes), ("untrained control",))
    if verdict == "did not hold":
        against, favour = test.helps, test.hurts
    elif test.kind == "non-inferiority":  # parity is a claim about two finished models
        against, favour = test.helps + test.hurts, ()
    else:
        against, favour = test.hurts, test.helps
    favour = tuple(arm for arm in favour if arm not in against)
    rising = [(arm, book.improving(arm)) for arm in against]
    rising = [(arm, seeds) for arm, seeds in rising if seeds]
    causes: tuple[str, ...] = ()
    if rising:
        verdict, causes = "inconclusive", ("end point",)
        notes.append("still improving at the end (late gain), which could reverse it: " + _late(rising))
    widening = [(arm, book.improving(arm)) for arm in favour]
    widening = [(arm, seeds) for arm, seeds in widening if seeds]
    if widening:
        notes.append(
            "conservative: still improving at the end (late gain), which could only widen the margin: "
            + _late(widening)
        )
    return Graded(verdict, result, tuple(notes), causes)


def _late(arms: list[tuple[Runs, dict[int, float]]]) -> str:
    return "; ".join(f"{_arm_name(a)} " + ", ".join(f"seed {s} {v:+.3f}" for s, v in g.items()) for a, g in arms)


def _primary(book: Book, arm: Runs) -> str:
    budget = book.budget(arm[0])
    return budget.metric if budget is not None else "accuracy"


def weakest(verdicts: Iterable[str]) -> str:
    """The verdict of a claim of several parts: its weakest part's."""
    verdicts = list(verdicts)
    for v in ("did not hold", "inconclusive", "held, not robust"):
        if v in verdicts:
            return v
    return "held"


def grade(tests: Test | list[Test], book: Book) -> Graded:
    """Grade one test or several (the parts of one claim) by the rule."""
    tests = [tests] if isinstance(tests, Test) else list(tests)
    parts = [_grade_one(t, book) for t in tests]
    if len(parts) == 1:
        return parts[0]
    result = "; ".join(f"({i + 1}) {p.result} [{p.verdict}]" for i, p in enumerate(parts))
    notes = tuple(f"({i + 1}) {n}" for i, p in enumerate(parts) for n in p.notes)
    verdict = weakest(p.verdict for p in parts)
    causes = (
        tuple(dict.fromkeys(c for p in parts if p.verdict == "inconclusive" for c in p.causes))
        if verdict == "inconclusive"
        else ()
    )
    return Graded(verdict, result, notes, causes)
