"""The course's claims, each computed from the records a recipe shipped: chapter 10's table of what
reproduced in miniature and what did not.

A :class:`Claim` names the paper's claim, the test in miniature with its threshold (as the recipe's
expectation fixed it before the runs), the studies whose records it reads, and a function that turns
those records into a result and a verdict. Nothing here is typed in by hand but the claims and their
thresholds: :func:`verdicts` reads the records each time. A chapter whose experiment has no record
that meets the rules of evidence (three seeds, scores recorded) shows as such.

    >>> from vitlite.recipes.claims import verdicts, markdown_table
    >>> rows = verdicts()                       # one Verdict per claim, chapters 01 to 10
    >>> print(markdown_table(rows))             # doctest: +SKIP
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

from vitlite.recipes.hunger import HUNGER_LONG
from vitlite.recipes.hunger import SIZES as HUNGER_SIZES
from vitlite.recipes.t2t import T2T_LEARNED_POS

__all__ = ["Claim", "Verdict", "Measured", "CLAIMS", "verdicts", "markdown_table", "still_climbing", "best_step_near_budget", "hunger_long_measures", "t2t_learned_pos_measure", "manifest_entries", "write_to_manifests"]

Records = dict[str, list[dict[str, Any]]]


@dataclass(frozen=True)
class Measured:
    """What a claim's function returns: the result in words (with means, spreads and seeds) and whether
    the threshold held."""

    result: str
    held: bool
    conclusive: bool = True  # False when the test could not decide (e.g. a control that did not train)


@dataclass(frozen=True)
class Claim:
    chapter: int
    paper: str
    test: str
    studies: tuple[str, ...] = ()
    measure: Callable[[Records], Measured] | None = None
    missing: str = ""  # why there is no record yet, when there is none
    recipe: str = ""  # the recipe that tests it, whose manifest records it (default: the first study it reads)

    def __post_init__(self) -> None:
        if (self.measure is None) == (not self.missing):
            raise ValueError(f"chapter {self.chapter}: give either a measure or the reason there is no record, not both")
        if self.recipe and self.recipe not in self.studies:
            raise ValueError(f"chapter {self.chapter}: recipe {self.recipe!r} is not among the studies the claim reads {self.studies}")

    @property
    def owner(self) -> str:
        """The recipe whose manifest records this claim's verdict ("" for a claim with no study yet)."""
        return self.recipe or (self.studies[0] if self.studies else "")


@dataclass(frozen=True)
class Verdict:
    claim: Claim
    result: str
    verdict: str  # "held", "did not hold", "inconclusive" or "no record"


# ---------------------------------------------------------------- reading records
def _values(records: Records, study: str, label: str, metric: str, split: str = "test") -> list[float]:
    values = [r["scores"][split][metric] for r in records[study] if r["label"] == label]
    if not values:
        raise KeyError(f"{study} has no runs of {label!r}")
    return values


def _stats(values: list[float]) -> tuple[float, float]:
    mean = sum(values) / len(values)
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1)) if len(values) > 1 else 0.0
    return mean, std


def _show(values: list[float]) -> str:
    mean, std = _stats(values)
    return f"{mean:.3f} ± {std:.3f}" if len(values) > 1 else f"{mean:.3f} (1 seed)"


def _within_spread(a: list[float], b: list[float]) -> str:
    """"; the difference is within the spread" when the means of a and b differ by less than the larger
    seed standard deviation (both with more than one seed), else ""."""
    if len(a) < 2 or len(b) < 2:
        return ""
    (ma, sa), (mb, sb) = _stats(a), _stats(b)
    return "; the difference is within the spread" if abs(ma - mb) < max(sa, sb) else ""


def _difference(a: tuple[str, str], b: tuple[str, str], metric: str, at_least: float, names: tuple[str, str]) -> Callable[[Records], Measured]:
    """Holds when mean(a) - mean(b) >= at_least; a and b are (study, arm label)."""

    def measure(records: Records) -> Measured:
        va, vb = _values(records, *a, metric), _values(records, *b, metric)
        diff = _stats(va)[0] - _stats(vb)[0]
        seeds = (f"{len(va)}/{len(vb)} seeds" if len(va) != len(vb) else f"{len(va)} seeds") + _within_spread(va, vb)
        return Measured(f"{names[0]} {_show(va)}, {names[1]} {_show(vb)}: {diff:+.3f} ({seeds})", diff >= at_least)

    return measure


def _late_mean(record: dict[str, Any], metric: str) -> float:
    h = record["history"]
    late = [v for s, v in zip(h["eval_step"], h["metrics"][metric]) if s > record["steps"] // 2]
    return sum(late) / len(late)


def still_climbing(record: dict[str, Any], metric: str, since: int, margin: float = 0.01) -> bool:
    """A run is still climbing when its last evaluation is more than ``margin`` above its best evaluation
    up to step ``since`` (higher is better)."""
    h = record["history"]
    before = [v for s, v in zip(h["eval_step"], h["metrics"][metric]) if s <= since]
    if not before or h["eval_step"][-1] <= since:
        raise ValueError(f"{record['label']} seed {record['seed']}: no evaluations on both sides of step {since:,}")
    return h["metrics"][metric][-1] > max(before) + margin


def _climb_counts(records: Records, study: str, climbing: Callable[[dict[str, Any]], bool]) -> tuple[dict[str, list[bool]], list[str]]:
    """Per arm of ``study``, which seeds were still climbing; and the arms where most seeds were."""
    flags: dict[str, list[bool]] = {}
    for run in records[study]:
        flags.setdefault(run["label"], []).append(climbing(run))
    return flags, [label for label, f in flags.items() if sum(f) > len(f) / 2]


def _unless_unfinished(base: Measured, result: str, unfinished: list[str]) -> Measured:
    if unfinished:
        result += " (most seeds of " + ", ".join(unfinished) + " had not finished, so the end points cannot decide)"
    return Measured(result, base.held, conclusive=base.conclusive and not unfinished)


def _with_end_points(measure: Callable[[Records], Measured], study: str, since: int, metric: str = "accuracy") -> Callable[[Records], Measured]:
    """``measure``, made inconclusive when most seeds of any arm of ``study`` were still climbing at the end
    (their last evaluation more than 0.01 above their best up to step ``since``)."""

    def checked(records: Records) -> Measured:
        base = measure(records)
        flags, unfinished = _climb_counts(records, study, lambda run: still_climbing(run, metric, since))
        counts = ", ".join(f"{label} {sum(f)}/{len(f)}" for label, f in flags.items())
        return _unless_unfinished(base, f"{base.result}; runs still climbing after step {since:,}: {counts}", unfinished)

    return checked


def _detr_converges(records: Records) -> Measured:
    r = records["detr"]

    def gain(label: str) -> float:
        gains = []
        for run in (x for x in r if x["label"] == label):
            steps, ap = run["history"]["eval_step"], run["history"]["metrics"]["AP"]
            gains.append(ap[steps.index(6000)] - ap[steps.index(4000)])
        return sum(gains) / len(gains)

    detr, dense = _values(records, "detr", "detr", "AP"), _values(records, "detr", "dense", "AP")
    held = _stats(detr)[0] < _stats(dense)[0] and gain("detr") > gain("dense")
    return Measured(f"AP DETR {_show(detr)}, dense {_show(dense)}; last third +{gain('detr'):.3f} against +{gain('dense'):.3f} (3 seeds)", held)


def _detr_sizes(records: Records) -> Measured:
    ratio = {}
    for label in ("detr", "dense"):
        ap = _stats(_values(records, "detr", label, "AP"))[0]
        ratio[label] = (_stats(_values(records, "detr", label, "AP_small"))[0] / ap, _stats(_values(records, "detr", label, "AP_large"))[0] / ap)
    held = ratio["detr"][0] < ratio["dense"][0] and ratio["detr"][1] > ratio["dense"][1]
    return Measured(f"AP_S / AP {ratio['detr'][0]:.2f} against {ratio['dense'][0]:.2f}; AP_L / AP {ratio['detr'][1]:.2f} against {ratio['dense'][1]:.2f} (3 seeds)", held)


def _detr_nms(records: Records) -> Measured:
    detr = _stats(_values(records, "detr", "detr", "AP_nms"))[0] - _stats(_values(records, "detr", "detr", "AP"))[0]
    dense = _stats(_values(records, "detr", "dense", "AP_raw"))[0] - _stats(_values(records, "detr", "dense", "AP"))[0]
    return Measured(f"NMS added to DETR {detr:+.3f} AP; removed from the dense detector {dense:+.3f} (3 seeds)", abs(detr) < 0.01 and dense < -0.10)


def _dino_instability(records: Records) -> Measured:
    late = {label: [_late_mean(r, "instability") for r in records["dino"] if r["label"] == label] for label in ("dino", "lft")}
    (md, sd), (ml, sl) = _stats(late["dino"]), _stats(late["lft"])
    return Measured(f"second-half instability {md:.3f} ± {sd:.3f} with denoising, {ml:.3f} ± {sl:.3f} without (3 seeds{_within_spread(late['dino'], late['lft'])})", md < ml)


def _dino_against_detr(records: Records) -> Measured:
    dino, detr = _values(records, "dino", "dino", "AP"), _values(records, "detr", "detr", "AP")
    return Measured(f"DINO at 3,000 steps {_show(dino)}, DETR at 6,000 {_show(detr)} (3 seeds each)", _stats(dino)[0] > _stats(detr)[0])


def _band_drop(records: Records, study: str, label: str) -> list[float]:
    from vitlite.recipes.dense import band_drop

    return [band_drop(r) for r in records[study] if r["label"] == label]


def _setr_order(records: Records) -> Measured:
    naive, pup, mla = (_stats(_values(records, "setr", label, "miou"))[0] for label in ("naive", "pup", "mla"))
    held = pup - naive >= 0.05 and mla - naive >= 0.05 and mla > pup
    return Measured(f"test mIoU Naive {naive:.3f}, PUP {pup:.3f}, MLA {mla:.3f} (3 seeds each)", held)


def _setr_band(records: Records) -> Measured:
    drop = {label: _stats(_band_drop(records, "setr", label))[0] for label in ("naive", "pup", "mla")}
    held = drop["naive"] > drop["pup"] and drop["naive"] > drop["mla"]
    return Measured(f"share of mIoU lost in the band: Naive {drop['naive']:.1%}, PUP {drop['pup']:.1%}, MLA {drop['mla']:.1%} (3 seeds)", held)


def _outline_heads(records: Records) -> Measured:
    runs = records["outline_heads"]
    f1 = [r["f1_after"] for r in runs]
    before, after = (sum(r[k] for r in runs) / len(runs) for k in ("mass_before", "mass_after"))
    sharp = [r["sharp_heads"] for r in runs]
    return Measured(f"F1 {min(f1):.2f} to {max(f1):.2f}; 3x3 share {before:.2f} -> {after:.2f}; sharp heads {', '.join(map(str, sharp))} of 9 ({len(runs)} seeds, the chapter's live run recorded)", all(r["held"] for r in runs))


def _ratio(a: tuple[str, str], b: tuple[str, str], metric: str, at_most: float, names: tuple[str, str], what: str) -> Callable[[Records], Measured]:
    """Holds when mean(a) <= at_most * mean(b), for an error where lower is better; a and b are (study, arm label)."""

    def measure(records: Records) -> Measured:
        va, vb = _values(records, *a, metric), _values(records, *b, metric)
        ratio = _stats(va)[0] / _stats(vb)[0]
        return Measured(f"{what}: {names[0]} {_show(va)}, {names[1]} {_show(vb)}: {ratio:.2f} times ({len(va)} seeds each)", ratio <= at_most)

    return measure


def _dpt_band(records: Records) -> Measured:
    dpt, naive = _band_drop(records, "dpt_segmentation", "dpt"), _band_drop(records, "setr", "naive")
    return Measured(f"share of mIoU lost in the band: DPT {_stats(dpt)[0]:.1%}, SETR-Naive {_stats(naive)[0]:.1%} (3 seeds each)", _stats(dpt)[0] < _stats(naive)[0])


def _readouts(records: Records) -> Measured:
    means = {label: _stats(_values(records, study, arm, "abs_rel"))[0] for label, (study, arm) in {"project": ("dpt", "dpt"), "ignore": ("dpt_readout", "dpt_ignore"), "add": ("dpt_readout", "dpt_add")}.items()}
    spread = max(means.values()) - min(means.values())
    return Measured("test AbsRel " + ", ".join(f"{k} {v:.4f}" for k, v in means.items()) + f": within {spread:.4f} (3 seeds each)", spread <= 0.005)


def _train_test_gap(records: Records, study: str, label: str, metric: str = "accuracy") -> list[float]:
    return [r["scores"]["train"][metric] - r["scores"]["test"][metric] for r in records[study] if r["label"] == label]


def _t2t_gap(records: Records) -> Measured:
    t2t, vit = _train_test_gap(records, "t2t", "t2t"), _train_test_gap(records, "t2t", "vit")
    return Measured(f"train - test accuracy T2T-ViT {_show(t2t)}, ViT {_show(vit)} ({len(t2t)} seeds{_within_spread(t2t, vit)})", _stats(t2t)[0] < _stats(vit)[0])


def _if_trained(base: Measured, records: Records, study: str, label: str, chance: float, who: str = "it") -> Measured:
    """``base``, made inconclusive when arm ``label`` of ``study`` does not fit its own training images above
    ``chance`` + 0.05 on average: a control that learns nothing cannot isolate anything."""
    fitted = _stats(_values(records, study, label, "accuracy", "train"))[0]
    if fitted > chance + 0.05:
        return base
    return Measured(f"{base.result}; {who} never trained (train accuracy {fitted:.3f}, chance {chance:.2f}), so it isolates nothing", base.held, conclusive=False)


def _t2t_control(records: Records, chance: float = 0.2) -> Measured:
    control = _values(records, "t2t", "t2t_no_overlap", "accuracy")
    halfway = (_stats(_values(records, "t2t", "vit", "accuracy"))[0] + _stats(_values(records, "t2t", "t2t", "accuracy"))[0]) / 2
    base = Measured(f"control {_show(control)} test accuracy, halfway {halfway:.3f} ({len(control)} seeds)", _stats(control)[0] <= halfway)
    return _if_trained(base, records, "t2t", "t2t_no_overlap", chance)


def _t2t_no_token_attention(records: Records, chance: float = 0.2) -> Measured:
    """Chapter 03's second control: T2T-ViT without its token layers' attention (overlap kept) keeps at least
    half of T2T-ViT's gain over the ViT, if it fits its own training images above chance."""
    label = "t2t_no_token_attention"
    control = _values(records, label, label, "accuracy")
    halfway = (_stats(_values(records, "t2t", "vit", "accuracy"))[0] + _stats(_values(records, "t2t", "t2t", "accuracy"))[0]) / 2
    base = Measured(f"without token attention {_show(control)} test accuracy, halfway {halfway:.3f} ({len(control)} seeds)", _stats(control)[0] >= halfway)
    return _if_trained(base, records, label, label, chance)


def _t2t_mlp_no_overlap(records: Records, chance: float = 0.2) -> Measured:
    """Chapter 03's third control: among models without token attention, taking the overlap out (kernel =
    stride) leaves at most half of the gain over the ViT, if the control fits its own training images above chance."""
    label, reference = "t2t_mlp_no_overlap", "t2t_no_token_attention"
    control = _values(records, label, label, "accuracy")
    halfway = (_stats(_values(records, "t2t", "vit", "accuracy"))[0] + _stats(_values(records, reference, reference, "accuracy"))[0]) / 2
    base = Measured(f"without token attention and overlap {_show(control)} test accuracy, halfway {halfway:.3f} ({len(control)} seeds)", _stats(control)[0] <= halfway)
    return _if_trained(base, records, label, label, chance)


def t2t_learned_pos_measure(last: int = 2000, chance: float = 0.2) -> Callable[[Records], Measured]:
    """Chapter 03's pair with learned position tables (``t2t_learned_pos``), as its expectation fixed it:
    T2T-ViT with overlap at least 0.05 test accuracy above the same model without overlap; inconclusive if
    the arm without overlap does not fit its training images above ``chance`` + 0.05, or if most seeds of
    an arm had their best step in the last ``last`` steps of the budget."""
    study = T2T_LEARNED_POS.name
    overlap, control = (arm.label for arm in T2T_LEARNED_POS.arms)
    compare = _difference((study, overlap), (study, control), "accuracy", 0.05, ("overlap", "no overlap"))

    def measure(records: Records) -> Measured:
        return _if_trained(compare(records), records, study, control, chance, who="the arm without overlap")

    return _with_best_step_check(measure, study, T2T_LEARNED_POS.steps, last)


def _hunger_lead_at(records: Records, n: int, study: str = "hunger") -> tuple[list[float], list[float], float]:
    """Chapter 02's study at ``n`` training images: the CNN's and the ViT's test accuracies and the CNN's lead (means)."""
    cnn, vit = (_values(records, study, f"{model}_n{n}", "accuracy") for model in ("cnn", "vit"))
    return cnn, vit, _stats(cnn)[0] - _stats(vit)[0]


def _hunger_lead(records: Records, study: str = "hunger") -> Measured:
    """Chapter 02 (1): the CNN at least 0.05 above the ViT at every training size."""
    parts, held = [], True
    for n in HUNGER_SIZES:
        cnn, vit, lead = _hunger_lead_at(records, n, study)
        held &= lead >= 0.05
        parts.append(f"{n:,}: CNN {_show(cnn)}, ViT {_show(vit)} ({lead:+.3f})")
    return Measured("; ".join(parts) + f" ({len(cnn)} seeds)", held)


def _hunger_gaps(records: Records, study: str) -> tuple[str, bool, list]:
    leads = [_hunger_lead_at(records, n, study) for n in HUNGER_SIZES]
    gaps = [lead for _, _, lead in leads]
    result = f"gap at {', '.join(f'{n:,}' for n in HUNGER_SIZES)} images: {', '.join(f'{g:+.3f}' for g in gaps)} ({len(leads[0][0])} seeds each)"
    return result, gaps[-1] < gaps[0], leads


def _hunger_control(records: Records, chance: float = 0.2, study: str = "hunger") -> Measured:
    """Chapter 02 (3): at the smallest and largest size the CNN on shuffled patches falls at least halfway to the ViT."""
    parts, held, trained = [], True, True
    for n in (HUNGER_SIZES[0], HUNGER_SIZES[-1]):
        perm = _values(records, study, f"cnn_perm_n{n}", "accuracy")
        cnn, vit, _ = _hunger_lead_at(records, n, study)
        halfway = (_stats(cnn)[0] + _stats(vit)[0]) / 2
        held &= _stats(perm)[0] <= halfway
        trained &= _stats(_values(records, study, f"cnn_perm_n{n}", "accuracy", "train"))[0] > chance + 0.05
        parts.append(f"{n:,}: shuffled CNN {_show(perm)} against halfway {halfway:.3f} (CNN {_stats(cnn)[0]:.3f}, ViT {_stats(vit)[0]:.3f})")
    result = "; ".join(parts)
    if not trained:
        result += "; the shuffled CNN did not fit its own training images above chance, so it isolates nothing"
    return Measured(result, held, conclusive=trained)


def best_step_near_budget(record: dict[str, Any], budget: int, last: int) -> bool:
    """A run was still climbing when its best evaluation lies in the last ``last`` steps of its ``budget``
    (``hunger_long``'s end-point check, fixed with its expectation)."""
    if "best_step" not in record:
        raise KeyError(f"{record.get('label')} seed {record.get('seed')}: the record has no best_step (records from the runner have one)")
    return record["best_step"] > budget - last


def _with_best_step_check(measure: Callable[[Records], Measured], study: str, budget: int, last: int) -> Callable[[Records], Measured]:
    """``measure``, made inconclusive when most seeds of any arm of ``study`` had their best evaluation in the
    last ``last`` steps of the ``budget`` (still climbing when the budget ran out)."""

    def checked(records: Records) -> Measured:
        base = measure(records)
        flags, unfinished = _climb_counts(records, study, lambda run: best_step_near_budget(run, budget, last))
        some = ", ".join(f"{label} {sum(f)}/{len(f)}" for label, f in flags.items() if any(f)) or "none"
        return _unless_unfinished(base, f"{base.result}; runs with their best step in the last {last:,} of {budget:,}: {some}", unfinished)

    return checked


def hunger_long_measures(last: int = 2000) -> tuple[Callable[[Records], Measured], ...]:
    """Chapter 02's claims (1), (2) and (3) read from ``hunger_long`` (every run allowed to finish), each
    behind that study's end-point check (best step in the last ``last`` steps of its budget)."""
    study, budget = HUNGER_LONG.name, HUNGER_LONG.steps

    def gap(records: Records) -> Measured:
        result, held, _ = _hunger_gaps(records, study)
        return Measured(result, held)

    return tuple(_with_best_step_check(m, study, budget, last) for m in (
        lambda r: _hunger_lead(r, study), gap, lambda r: _hunger_control(r, study=study)))


_HUNGER_LONG = hunger_long_measures()

CLAIMS: tuple[Claim, ...] = (
    Claim(1, "A multi-head self-attention layer can express any convolution, and trained attention heads behave like convolution taps (Cordonnier et al.).",
          "Outline task, 3 seeds, each: F1 > 0.6; attention share in the 3x3 window > 0.5 and up by 0.25; at least 4 of 9 heads sharp, none farther than 1.5 px.",
          ("outline_heads",), _outline_heads),
    Claim(2, "Without a CNN's inductive biases a ViT trails a ResNet of its size when data are few (Dosovitskiy et al.: ImageNet-1k alone).",
          "Textured shapes, 3 seeds, the same augmentation for both, every run trained to its end point (24,000-step budget, patience 6,000 steps, best validation checkpoint): the CNN at least 5 points above the ViT at 1,000, 3,000 and 10,000 images; inconclusive if most seeds of an arm had their best step in the last 2,000.",
          (HUNGER_LONG.name,), _HUNGER_LONG[0]),
    Claim(2, "(same paper) with more data the ViT catches up: it draws level on ImageNet-21k and pulls ahead on JFT-300M.",
          "The same runs: the gap (CNN minus ViT, means) smaller at 10,000 images than at 1,000; the same end-point check.",
          (HUNGER_LONG.name,), _HUNGER_LONG[1]),
    Claim(2, "(control) the CNN's edge is its spatial prior (locality, translation equivariance).",
          "The same runs: the CNN on images with shuffled 4x4 patches (which a ViT cannot notice) falls at least halfway to the ViT, at 1,000 and at 10,000 images; the same end-point check.",
          (HUNGER_LONG.name,), _HUNGER_LONG[2]),
    Claim(3, "Tokens-to-token soft splits make a ViT trainable from scratch on mid-size data: T2T-ViT-14 81.5% against DeiT-S 79.9% (Yuan et al.).",
          "Shapes, 3 seeds, 3,000 steps each: T2T-ViT at least 5 points above a ViT of the same size.",
          ("t2t",), _difference(("t2t", "t2t"), ("t2t", "vit"), "accuracy", 0.05, ("T2T-ViT", "ViT"))),
    Claim(3, "(same paper) the hard split's loss is local structure, so T2T's gain shows on new images: it generalises better.",
          "Shapes, 3 seeds: T2T-ViT's train - test accuracy gap smaller than the ViT's.",
          ("t2t",), _t2t_gap),
    Claim(3, "(control) the gain is the soft split's overlap.",
          "Shapes, 3 seeds: T2T-ViT with kernel = stride (no overlap, same size) at most halfway between the ViT and T2T-ViT.",
          ("t2t",), _t2t_control),
    Claim(3, "(control) the gain is the overlapping, staged soft splits, not attention among the early tokens.",
          "Shapes, 3 seeds: T2T-ViT with its token layers' attention taken out (overlap kept) at least halfway between the ViT and T2T-ViT, if it fits its training images above chance.",
          ("t2t", "t2t_no_token_attention"), _t2t_no_token_attention, recipe="t2t_no_token_attention"),
    Claim(3, "(control) the gain is the soft split's overlap, tested among models without token attention (which train with overlap).",
          "Shapes, 3 seeds: T2T-ViT without token attention and without overlap (kernel = stride, same size) at most halfway between the ViT and T2T-ViT without token attention, if it fits its training images above chance.",
          ("t2t", "t2t_no_token_attention", "t2t_mlp_no_overlap"), _t2t_mlp_no_overlap, recipe="t2t_mlp_no_overlap"),
    Claim(3, "(control) the gain is the soft split's overlap, tested with learned position tables (with which a model without overlap can train).",
          "Shapes, 3 seeds, up to 12,000 steps with early stopping (patience 4,000): T2T-ViT with overlap at least 5 points above the same model without overlap (kernel = stride, same size), both with learned position tables; inconclusive if the arm without overlap does not fit its training images above chance + 0.05, or if most seeds of an arm had their best step in the last 2,000.",
          ("t2t_learned_pos",), t2t_learned_pos_measure()),
    Claim(4, "Shifted windows connect neighbouring windows and improve accuracy: +1.1 ImageNet top-1, +2.8 COCO box AP, +2.8 ADE20K mIoU (Liu et al., Table 4).",
          "Shapes, 3 seeds, 1,500 steps: the course Swin (with max pooling) at least 3 points more accurate with shifted windows than without.",
          ("swin_shift",), _difference(("swin_shift", "swin"), ("swin_shift", "swin_noshift"), "accuracy", 0.03, ("shift", "no shift"))),
    Claim(4, "(same, on Swin-T's layout) with the last stage a single window, shifted windows still improve accuracy.",
          "Shapes, 3 seeds, 4,000 steps (swin_global_long; 1,500 in swin_global_shift left every run still rising): a four-stage Swin whose last stage is one window (max pooling) at least 3 points more accurate with shifted windows than without; inconclusive if most seeds of an arm were still climbing (last evaluation more than 0.01 above the best up to step 3,000).",
          ("swin_global_long",), _with_end_points(_difference(("swin_global_long", "swin"), ("swin_global_long", "swin_noshift"), "accuracy", 0.03, ("shift", "no shift")), "swin_global_long", 3000)),
    Claim(4, "(same paper) Swin beats a ViT of its size: Swin-T 81.3 against DeiT-S 79.8 top-1.",
          "Shapes, 3 seeds, same steps: the Swin (with max pooling) at least 5 points above a ViT with 4x4 patches.",
          ("swin_shift",), _difference(("swin_shift", "swin"), ("swin_shift", "vit_p4"), "accuracy", 0.05, ("Swin", "ViT/4"))),
    Claim(5, "MobileViT is as accurate as light CNNs and more accurate than ViTs of its size (Mehta and Rastegari).",
          "Count task, 3 seeds: MobileViT no more than 2 points below MobileNetV2.",
          ("mobilevit",), _difference(("mobilevit", "mobilevit"), ("mobilevit", "mobilenetv2"), "accuracy", -0.02, ("MobileViT", "MobileNetV2"))),
    Claim(5, "(same paper) MobileViT beats a ViT of the same size.",
          "Count task, 3 seeds: MobileViT at least 3 points above the ViT.",
          ("mobilevit",), _difference(("mobilevit", "mobilevit"), ("mobilevit", "vit"), "accuracy", 0.03, ("MobileViT", "ViT"))),
    Claim(5, "(control) MobileViT's gain comes from its attention (global representations).",
          "Count task, 3 seeds: without attention MobileViT loses at least 2 points.",
          ("mobilevit",), _difference(("mobilevit", "mobilevit"), ("mobilevit", "mobilevit_noattn"), "accuracy", 0.02, ("MobileViT", "no attention"))),
    Claim(5, "(same paper) the backbone carries over to segmentation (DeepLabv3 on PASCAL VOC).",
          "Segmentation, 3 seeds: MobileViT + DeepLabv3 no more than 2 points of mIoU below MobileNetV2 + DeepLabv3.",
          ("mobilevit_segmentation",), _difference(("mobilevit_segmentation", "mobilevit"), ("mobilevit_segmentation", "mobilenetv2"), "miou", -0.02, ("MobileViT", "MobileNetV2"))),
    Claim(6, "MobileViTv2's separable attention is nearly as accurate as self-attention: 78.1 against 78.4 top-1 (Mehta and Rastegari).",
          "Count task, 3 seeds: v2 no more than 2 points below v1 (chapter 05's runs).",
          ("mobilevit", "mobilevit_v2_v3"), _difference(("mobilevit_v2_v3", "v2"), ("mobilevit", "mobilevit"), "accuracy", -0.02, ("v2", "v1")), recipe="mobilevit_v2_v3"),
    Claim(6, "MobileViTv3's fusion block improves on v1 (Wadekar and Chaurasia).",
          "Count task, 3 seeds: v3 at least 1 point above v1.",
          ("mobilevit", "mobilevit_v2_v3"), _difference(("mobilevit_v2_v3", "v3"), ("mobilevit", "mobilevit"), "accuracy", 0.01, ("v3", "v1")), recipe="mobilevit_v2_v3"),
    Claim(6, "(control) v3's input residual is part of the gain.",
          "Count task, 3 seeds: without the residual v3 loses at least 1 point.",
          ("mobilevit_v2_v3",), _difference(("mobilevit_v2_v3", "v3"), ("mobilevit_v2_v3", "v3_noresidual"), "accuracy", 0.01, ("v3", "no residual"))),
    Claim(7, "DETR converges slowly: 500 epochs against Faster R-CNN's 36 (Carion et al.).",
          "6,000 steps, 3 seeds: DETR trails the dense detector and gains more over the last third.",
          ("detr",), _detr_converges),
    Claim(7, "(same paper) DETR is weaker on small objects and stronger on large ones: AP_S 20.5 against 24.2, AP_L 61.1 against 52.5.",
          "3 seeds: relative to its AP, DETR lower on small and higher on large objects than the dense detector.",
          ("detr",), _detr_sizes),
    Claim(7, "(same paper) set prediction needs no NMS.",
          "3 seeds: NMS changes DETR's AP by less than a point; removing it costs the dense detector more than 10.",
          ("detr",), _detr_nms),
    Claim(8, "Contrastive denoising improves DINO: +0.5 AP in the paper's ablation (Zhang et al.).",
          "3,000 steps, 3 seeds: denoising adds at least 1 point of AP.",
          ("dino",), _difference(("dino", "dino"), ("dino", "lft"), "AP", 0.01, ("DINO", "without denoising"))),
    Claim(8, "(mechanism, DN-DETR) denoising steadies the bipartite matching.",
          "3 seeds: the share of objects whose query changes, second half of training, lower with denoising.",
          ("dino",), _dino_instability),
    Claim(8, "(same paper) DINO converges far faster than DETR: 49.0 AP in 12 epochs.",
          "DINO at 3,000 steps ahead of chapter 07's DETR at 6,000.",
          ("dino", "detr"), _dino_against_detr),
    Claim(9, "PUP and MLA decoders beat the naive one: Pascal Context 54.40 and 54.87 against 52.89 (Zheng et al.).",
          "2,000 steps, 3 seeds: PUP and MLA each at least 0.05 test mIoU above Naive, and MLA ahead of PUP.",
          ("setr",), _setr_order),
    Claim(9, "(mechanism) Naive, predicting at 1/16 (1/8 here) and upsampling in one step, loses most at boundaries.",
          "3 seeds: Naive's share of mIoU lost in the 2-px band larger than PUP's and MLA's.",
          ("setr",), _setr_band),
    Claim(9, "(same paper) SETR beats fully convolutional segmenters: 54.87 against FCN's 44.47 on Pascal Context.",
          "3 seeds: MLA's test mIoU at least the convolutional baseline's (MobileNetV2 + DeepLabv3).",
          ("setr",), _difference(("setr", "mla"), ("setr", "fcn"), "miou", 0.0, ("MLA", "conv. baseline"))),
    Claim(10, "DPT, reading four layers and fusing them at rising resolution, predicts finer depth than a decoder of one coarse map (Ranftl et al.; the review's feature resolution and granularity).",
          "Depth, 1,000 steps, 3 seeds: DPT's test AbsRel at most half of SETR-Naive's on the same encoder.",
          ("dpt",), _ratio(("dpt", "dpt"), ("dpt", "setr"), "abs_rel", 0.5, ("DPT", "SETR-Naive"), "AbsRel")),
    Claim(10, "(mechanism) the gain holds where fine detail is: at the objects' edges.",
          "3 seeds: in the 2-px band DPT's AbsRel also at most half of SETR-Naive's.",
          ("dpt",), _ratio(("dpt", "dpt"), ("dpt", "setr"), "abs_rel_band", 0.5, ("DPT", "SETR-Naive"), "AbsRel in the band")),
    Claim(10, "(same paper) fewer gross depth errors (delta > 1.25).",
          "3 seeds: DPT's delta < 1.25 at least 0.05 above SETR-Naive's.",
          ("dpt",), _difference(("dpt", "dpt"), ("dpt", "setr"), "delta1", 0.05, ("DPT", "SETR-Naive"))),
    Claim(10, "(same paper) the same architecture segments well: 49.0 mIoU on ADE20K (DPT-Hybrid).",
          "Chapter 09's settings and seeds: DPT at least 0.10 test mIoU above SETR-Naive.",
          ("dpt_segmentation", "setr"), _difference(("dpt_segmentation", "dpt"), ("setr", "naive"), "miou", 0.10, ("DPT", "SETR-Naive"))),
    Claim(10, "(mechanism) DPT's segmentation keeps its boundaries.",
          "3 seeds: DPT loses a smaller share of its mIoU in the 2-px band than SETR-Naive.",
          ("dpt_segmentation", "setr"), _dpt_band),
    Claim(10, "(same paper) DPT improves on the best earlier decoders of a transformer (SETR's MLA among them).",
          "3 seeds: DPT's test mIoU at least SETR-MLA's (chapter 09).",
          ("dpt_segmentation", "setr"), _difference(("dpt_segmentation", "dpt"), ("setr", "mla"), "miou", 0.0, ("DPT", "MLA"))),
    Claim(10, "(same paper's ablation) how the class token is read out matters little.",
          "Depth, 3 seeds: ignore, add and project within 0.005 test AbsRel of each other.",
          ("dpt", "dpt_readout"), _readouts, recipe="dpt_readout"),
)


def _load(study: str) -> list[dict[str, Any]]:
    from vitlite.recipes import RECIPES

    from vitlite.recipes.runner import manifest

    recipe = RECIPES.get(study)
    if recipe is None:
        raise KeyError(f"{study!r} is not a recipe in vitlite.recipes")
    return recipe.study.results() if recipe.study is not None else manifest(study)["runs"]


def verdicts(claims: tuple[Claim, ...] = CLAIMS) -> list[Verdict]:
    """Every claim's result and verdict, from the records shipped in ``assets/checkpoints``. A study
    whose records are not there (not run yet) gives "no record" for its claims."""
    cache: Records = {}
    out = []
    for claim in claims:
        if claim.measure is None:
            out.append(Verdict(claim, claim.missing, "no record"))
            continue
        try:
            for study in claim.studies:
                if study not in cache:
                    cache[study] = _load(study)
        except FileNotFoundError:
            out.append(Verdict(claim, f"{study}: not trained yet (`python -m vitlite.recipes {study}`)", "no record"))
            continue
        measured = claim.measure(cache)
        verdict = "inconclusive" if not measured.conclusive else "held" if measured.held else "did not hold"
        out.append(Verdict(claim, measured.result, verdict))
    return out


def markdown_table(rows: list[Verdict]) -> str:
    """The verdicts as a Markdown table: chapter, the paper's claim, the test, the result, the verdict."""
    mark = {"held": "✅ held", "did not hold": "❌ did not hold", "inconclusive": "🟨 inconclusive", "no record": "⬜ no record"}
    lines = ["| ch. | the paper's claim | tested in miniature (threshold fixed before the runs) | result | verdict |", "|---|---|---|---|---|"]
    for row in rows:
        cells = [f"{row.claim.chapter:02d}", row.claim.paper, row.claim.test, row.result, mark[row.verdict]]
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return "\n".join(lines)


# ---------------------------------------------------------------- the verdicts in the manifests
def manifest_entries(rows: list[Verdict]) -> dict[str, list[dict[str, Any]]]:
    """Per recipe, the claims it tests as its manifest records them: chapter, the paper's claim, the test
    with its threshold, the measured result (means and spreads over seeds) and the verdict. Claims with no
    record yet are left out."""
    out: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if row.verdict == "no record":
            continue
        entry = {"chapter": row.claim.chapter, "claim": row.claim.paper, "test": row.claim.test, "reads": list(row.claim.studies),
                 "result": row.result, "verdict": row.verdict}
        out.setdefault(row.claim.owner, []).append(entry)
    return out


def write_to_manifests(rows: list[Verdict] | None = None) -> list[str]:
    """Write each recipe's claims (:func:`manifest_entries`) into its ``manifest.json`` under ``"claims"``,
    replacing what was there; a manifest whose recipe tests no claim loses a stale ``"claims"`` key. Returns
    the recipes whose manifest changed. Run it (``python -m vitlite.recipes.claims --write``) whenever a
    record changes; a test checks that the manifests agree with the records."""
    import json

    from vitlite.assets import asset_path
    from vitlite.recipes import RECIPES
    from vitlite.recipes.runner import CHECKPOINTS

    entries = manifest_entries(verdicts() if rows is None else rows)
    changed = []
    for name in RECIPES:
        try:
            path = asset_path(CHECKPOINTS, name, "manifest.json")
        except FileNotFoundError:  # not trained yet
            continue
        record = json.loads(path.read_text())
        before = record.get("claims")
        if name in entries:
            record["claims"] = entries[name]
        else:
            record.pop("claims", None)
        if record.get("claims") != before:
            path.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n")
            changed.append(name)
    return changed


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m vitlite.recipes.claims", description="The course's claims table, computed from the shipped records.")
    parser.add_argument("--write", action="store_true", help="also record each claim's result and verdict in the manifest of the recipe that tests it")
    args = parser.parse_args(argv)
    rows = verdicts()
    print(markdown_table(rows))
    if args.write:
        changed = write_to_manifests(rows)
        print(f"\nmanifests updated: {', '.join(changed) if changed else 'none (all agree with the records)'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
