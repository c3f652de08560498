"""The course's claims, each graded from the records a recipe shipped by the one rule of
:mod:`vitlite.recipes.evidence`: chapter 10's ledger of what reproduced in miniature and what did not.

A :class:`Claim` names the paper's claim, the test in miniature with its threshold (as the recipe's
expectation fixed it before the runs), where the threshold came from, the studies whose records it reads,
and a function that turns those records into paired :class:`~vitlite.recipes.evidence.Test` s. Nothing
here is typed in by hand but the claims, their thresholds and the notes of re-graded rows:
:func:`verdicts` reads the records each time.

    >>> from vitlite.recipes.claims import verdicts, markdown_table, report
    >>> rows = verdicts()                       # one Verdict per claim, chapters 01 to 10
    >>> print(markdown_table(rows))             # doctest: +SKIP
    >>> report(4)                               # doctest: +SKIP   (what chapter 04 prints)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from vitlite.recipes.evidence import (
    RULE_FIXED,
    SOURCES,
    VERDICTS,
    Book,
    Budget,
    Graded,
    Runs,
    Test,
    grade,
    seed_values,
)

__all__ = [
    "Claim",
    "Verdict",
    "CLAIMS",
    "claim",
    "book",
    "verdicts",
    "report",
    "recorded_verdict",
    "markdown_table",
    "counts",
    "ledger_prose",
    "ledger_lists",
    "TITLES",
    "manifest_entries",
    "write_to_manifests",
]

Measure = Callable[[Book], "Test | list[Test]"]


@dataclass(frozen=True)
class Claim:
    """One claim of a chapter. ``key`` names it (``"04.shift"``); ``source`` says where its threshold came
    from (``"paper"``, ``"pilot: <record>"``, ``"a priori"`` or ``"after the runs"``); ``follows`` names the
    control row whose rejection of the mechanism caps this row (with the verdict it then takes); ``was``
    is the note a re-graded row keeps ("was held until <date>: why it changed")."""

    key: str
    chapter: int
    paper: str
    test: str
    source: str
    studies: tuple[str, ...] = ()
    measure: Measure | None = None
    missing: str = ""  # why there is no record yet, when there is none
    recipe: str = ""  # the recipe whose manifest records it (default: the first study it reads)
    follows: tuple[str, str] | None = None  # (key of the control row, "did not hold" or "inconclusive")
    was: str = ""
    fixed: str = ""  # the date the test was fixed, where it is not the recipe's (a test defined after the runs)

    def __post_init__(self) -> None:
        if (self.measure is None) == (not self.missing):
            raise ValueError(f"{self.key}: give either a measure or the reason there is no record, not both")
        if self.recipe and self.recipe not in self.studies:
            raise ValueError(
                f"{self.key}: recipe {self.recipe!r} is not among the studies the claim reads {self.studies}"
            )
        if self.source.split(":")[0] not in SOURCES:
            raise ValueError(f"{self.key}: source must start with one of {SOURCES}, got {self.source!r}")
        if self.source.startswith("pilot") and not self.source.startswith("pilot: "):
            raise ValueError(f"{self.key}: a pilot source names the pilot's record, e.g. 'pilot: swin_shift_pilot'")
        if self.follows is not None and self.follows[1] not in ("did not hold", "inconclusive"):
            raise ValueError(
                f"{self.key}: a row that follows its control becomes 'did not hold' or 'inconclusive', got {self.follows[1]!r}"
            )

    @property
    def owner(self) -> str:
        """The recipe whose manifest records this claim's verdict ("" for a claim with no study yet)."""
        return self.recipe or (self.studies[0] if self.studies else "")

    @property
    def source_kind(self) -> str:
        return self.source.split(":")[0]

    @property
    def title(self) -> str:
        """A few words for the ledger's lists (:data:`TITLES`)."""
        return TITLES.get(self.key, self.key)


@dataclass(frozen=True)
class Verdict:
    claim: Claim
    result: str
    verdict: str  # one of evidence.VERDICTS, or "no record"
    notes: tuple[str, ...] = ()
    fixed: str = ""  # the date the threshold was fixed, read from the recipe
    causes: tuple[str, ...] = ()  # why it is inconclusive: "end point", "untrained control", "control"

    @property
    def note(self) -> str:
        return "; ".join(self.notes + ((self.claim.was,) if self.claim.was else ()))


TITLES: dict[str, str] = {
    "01.taps": "trained attention heads become the taps of a convolution",
    "02.lead": "a small CNN ahead of a ViT of its size at 1,000 to 10,000 images",
    "02.catch_up": "the ViT catches up as the data grow",
    "02.prior": "(control) shuffled patches take the CNN's lead",
    "03.headline": "T2T-ViT ahead of a ViT of its size",
    "03.generalises": "T2T-ViT generalises better (smaller train - test gap)",
    "03.no_overlap": "(control) without overlap the gain goes",
    "03.no_token_attention": "(control) without token attention the gain stays",
    "03.mlp_no_overlap": "(control) without overlap the gain goes, among models without token attention",
    "03.learned_pos": "(control) without overlap the gain goes, with learned position tables",
    "04.shift": "shifted windows help the two-stage Swin",
    "04.shift_global": "shifted windows help a Swin whose last stage is one window",
    "04.vs_vit": "Swin ahead of a ViT with 4x4 patches",
    "04.pool": "(mechanism) average pooling loses a small object in the mean",
    "05.vs_cnn": "MobileViT level with MobileNetV2",
    "05.vs_vit": "MobileViT ahead of a ViT of its size",
    "05.attention": "(control) without attention MobileViT loses",
    "05.reach": "(mechanism) attention carries what the convolutions cannot reach",
    "05.segmentation": "MobileViT level with MobileNetV2 as a segmentation backbone",
    "06.v2": "separable attention (v2) nearly as accurate as v1's",
    "06.v3": "v3's fusion improves on v1",
    "06.residual": "(control) v3's input residual is part of the gain",
    "07.slow": "DETR converges more slowly than a dense detector",
    "07.lr": "(control) the gap is not DETR's learning rate",
    "07.sizes": "DETR weaker on small, stronger on large objects",
    "07.nms": "DETR needs no NMS",
    "08.denoising": "contrastive denoising improves DINO",
    "08.matching": "(mechanism) denoising steadies the matching",
    "08.fast": "DINO at 3,000 steps ahead of DETR at 6,000",
    "09.order": "PUP and MLA ahead of Naive, MLA ahead of PUP",
    "09.aux": "(control) MLA ahead of Naive with auxiliary heads",
    "09.resolution": "(control) Naive's loss is its resolution",
    "09.band": "(mechanism) Naive loses most at the boundaries",
    "09.vs_cnn": "SETR-MLA ahead of a convolutional segmenter",
    "10.depth": "DPT's depth at most half SETR-Naive's error",
    "10.edges_control": "(control) DPT's gain is concentrated at the edges",
    "10.edges": "(mechanism) DPT's gain holds at the edges",
    "10.delta": "DPT makes fewer gross depth errors",
    "10.segmentation": "DPT segments far better than SETR-Naive",
    "10.seg_band": "(mechanism) DPT's segmentation keeps its boundaries",
    "10.vs_mla": "DPT ahead of SETR-MLA",
    "10.readout": "the class token's readout matters little",
}


# ---------------------------------------------------------------- paired tests
def _arm(study: str, label: str | None = None) -> Runs:
    return (study, label or study)


def _sub(x: float, y: float) -> float:
    return x - y


def superiority(what: str, a: Runs, b: Runs, metric: str, at_least: float, minimize: bool = False) -> Measure:
    """A at least ``at_least`` better than B (lower is better with ``minimize``), seed by seed."""

    def measure(book: Book) -> Test:
        va, vb = book.values(a, metric), book.values(b, metric)
        return Test(
            what, seed_values(vb, va, _sub) if minimize else seed_values(va, vb, _sub), at_least, helps=(a,), hurts=(b,)
        )

    return measure


def _swin_vs_vit(book: Book) -> Test:
    """04.vs_vit: swin_vit_matched's ViT/4 (seeds 1-3) against swin_shift_five's shifted Swin of the same seeds."""
    vit = book.values(_arm("swin_vit_matched", "vit_p4_matched"), "accuracy")
    swin = {s: v for s, v in book.values(_arm("swin_shift_five", "swin"), "accuracy").items() if s in vit}
    return Test(
        "Swin - ViT/4",
        seed_values(swin, vit, _sub),
        0.05,
        helps=(_arm("swin_shift_five", "swin"),),
        hurts=(_arm("swin_vit_matched", "vit_p4_matched"),),
    )


def _pooling(book: Book) -> list[Test]:
    """04.pool: the average-pooled Swin off chance on large objects, at chance on the usual sizes."""
    large, small = _arm("swin_pool_large", "swin_avg"), _arm("swin_pool_small", "swin_avg")
    return [
        Test(
            "large objects: accuracy - 0.5",
            {s: v - 0.5 for s, v in book.values(large, "accuracy").items()},
            0.0,
            kind="every seed",
            helps=(large,),
        ),
        Test(
            "usual sizes: 0.05 - |accuracy - chance|",
            {s: 0.05 - abs(v - 0.2) for s, v in book.values(small, "accuracy").items()},
            0.0,
            kind="every seed",
            hurts=(small,),
        ),
    ]


def _reach(book: Book) -> Test:
    """05.reach: the one-stage MobileViT against its control without attention, both reading one corner cell."""
    mvit, control = _arm("mobilevit_reach", "mobilevit1_corner"), _arm("mobilevit_reach", "mobilevit1_noattn_corner")
    return Test(
        "MobileViT - no attention",
        seed_values(book.values(mvit, "accuracy"), book.values(control, "accuracy"), _sub),
        0.20,
        helps=(mvit,),
        hurts=(control,),
        controls=((control, 1 / 3),),
    )


def noninferior(what: str, a: Runs, b: Runs, metric: str, margin: float) -> Measure:
    """A no more than ``margin`` below B, in every seed."""

    def measure(book: Book) -> Test:
        return Test(
            what,
            seed_values(book.values(a, metric), book.values(b, metric), _sub),
            -margin,
            kind="non-inferiority",
            helps=(a,),
            hurts=(b,),
        )

    return measure


def _halfway(
    book: Book, control: Runs, low: Runs, high: Runs, metric: str = "accuracy"
) -> dict[int, tuple[float, float]]:
    """Per seed: (the control's score, halfway between the low and the high arm's)."""
    c, lo, hi = book.values(control, metric), book.values(low, metric), book.values(high, metric)
    halfway = seed_values(lo, hi, lambda x, y: (x + y) / 2)
    return {s: (c[s], halfway[s]) for s in seed_values(c, halfway)}


def at_most_halfway(what: str, control: Runs, low: Runs, high: Runs, chance: float) -> Measure:
    """A control that should lose the gain: at most halfway from ``low`` to ``high``, if it trains."""

    def measure(book: Book) -> Test:
        pairs = _halfway(book, control, low, high)
        return Test(
            what,
            {s: h - c for s, (c, h) in pairs.items()},
            0.0,
            helps=(low, high),
            hurts=(control,),
            controls=((control, chance),),
        )

    return measure


def at_least_halfway(what: str, control: Runs, low: Runs, high: Runs, chance: float) -> Measure:
    """A control that should keep the gain: at least halfway from ``low`` to ``high``, if it trains."""

    def measure(book: Book) -> Test:
        pairs = _halfway(book, control, low, high)
        return Test(
            what,
            {s: c - h for s, (c, h) in pairs.items()},
            0.0,
            helps=(control,),
            hurts=(low, high),
            controls=((control, chance),),
        )

    return measure


def _gap(book: Book, arm: Runs, metric: str = "accuracy") -> dict[int, float]:
    return seed_values(book.values(arm, metric, "train"), book.values(arm, metric, "test"), _sub)


def smaller_gap(what: str, a: Runs, b: Runs) -> Measure:
    """A's train - test gap smaller than B's, seed by seed. A run still improving could move its gap
    either way, so both arms count for the end-point check."""

    def measure(book: Book) -> Test:
        both = (a, b)
        return Test(what, seed_values(_gap(book, b), _gap(book, a), _sub), 0.0, helps=both, hurts=both)

    return measure


def ratio_below(what: str, a: Runs, b: Runs, metric: str, at_most: float) -> Measure:
    """An error where lower is better: A at most ``at_most`` times B on the mean of the per-seed ratios,
    and below B in every seed. The quantity graded is the share of B's error that A removes, 1 - A / B."""

    def measure(book: Book) -> Test:
        return Test(
            what,
            seed_values(book.values(a, metric), book.values(b, metric), lambda x, y: 1 - x / y),
            1 - at_most,
            helps=(a,),
            hurts=(b,),
        )

    return measure


def parts(*measures: Measure) -> Measure:
    def measure(book: Book) -> list[Test]:
        out: list[Test] = []
        for m in measures:
            got = m(book)
            out.extend(got if isinstance(got, list) else [got])
        return out

    return measure


# ---------------------------------------------------------------- chapter by chapter
def _outline_heads(book: Book) -> list[Test]:
    from vitlite.recipes.classic import OUTLINE_HEADS as cfg

    arm = _arm("outline_heads")
    runs = book.runs(arm)
    each = lambda f: {s: f(r) for s, r in runs.items()}  # noqa: E731
    return [
        Test("test F1 above 0.6", each(lambda r: r["f1_after"] - cfg.min_f1), 0.0, kind="every seed", helps=(arm,)),
        Test("3x3 share above 0.5", each(lambda r: r["mass_after"] - cfg.min_mass), 0.0, kind="every seed"),
        Test(
            "3x3 share up by 0.25",
            each(lambda r: r["mass_after"] - r["mass_before"] - cfg.min_mass_gain),
            0.0,
            kind="every seed",
        ),
        Test(
            "sharp heads beyond 4 of 9",
            each(lambda r: r["sharp_heads"] - cfg.min_sharp),
            0.0,
            kind="every seed",
            digits=0,
        ),
        Test(
            "farthest sharp head within 1.5 px",
            each(lambda r: cfg.max_offset - r["farthest_sharp_px"]),
            0.0,
            kind="every seed",
        ),
    ]


def _hunger(book: Book) -> tuple[str, tuple[int, ...]]:
    from vitlite.recipes.hunger import HUNGER_LONG, SIZES

    return HUNGER_LONG.name, SIZES


def _hunger_lead(book: Book) -> list[Test]:
    study, sizes = _hunger(book)
    return [
        superiority(f"CNN - ViT at {n:,} images", _arm(study, f"cnn_n{n}"), _arm(study, f"vit_n{n}"), "accuracy", 0.05)(
            book
        )
        for n in sizes
    ]


def _hunger_catch_up(book: Book) -> Test:
    study, sizes = _hunger(book)
    small, large = sizes[0], sizes[-1]
    lead = {
        n: seed_values(
            book.values(_arm(study, f"cnn_n{n}"), "accuracy"), book.values(_arm(study, f"vit_n{n}"), "accuracy"), _sub
        )
        for n in (small, large)
    }
    return Test(
        f"gap at {small:,} - gap at {large:,} images",
        seed_values(lead[small], lead[large], _sub),
        0.0,
        helps=(_arm(study, f"cnn_n{small}"), _arm(study, f"vit_n{large}")),
        hurts=(_arm(study, f"vit_n{small}"), _arm(study, f"cnn_n{large}")),
    )


def _hunger_control(book: Book) -> list[Test]:
    study, sizes = _hunger(book)
    return [
        at_most_halfway(
            f"halfway - shuffled CNN at {n:,}",
            _arm(study, f"cnn_perm_n{n}"),
            _arm(study, f"vit_n{n}"),
            _arm(study, f"cnn_n{n}"),
            0.2,
        )(book)
        for n in (sizes[0], sizes[-1])
    ]


T2T = "t2t"
T2T_LONG = "t2t_long"

CLAIMS: tuple[Claim, ...] = (
    Claim(
        "01.taps",
        1,
        "A multi-head self-attention layer can express any convolution, and trained attention heads behave like convolution taps (Cordonnier et al.).",
        "Outline task (a local task: an outline pixel depends on its 3x3 neighbourhood; the layer is position-only), 3 seeds, each: F1 > 0.6; attention share in the 3x3 window > 0.5 and up by 0.25; at least 4 of 9 heads sharp, none farther than 1.5 px.",
        "a priori",
        ("outline_heads",),
        _outline_heads,
    ),
    Claim(
        "02.lead",
        2,
        "Without a CNN's inductive biases a ViT trails a ResNet of its size when data are few (Dosovitskiy et al.: ImageNet-1k alone).",
        "Textured shapes, 3 seeds, the same augmentation for both, every run trained to its end point (24,000-step budget, patience 6,000 steps, best validation checkpoint): the CNN at least 5 points above the ViT at 1,000, 3,000 and 10,000 images.",
        "pilot: hunger_pilot_textured",
        ("hunger_long",),
        _hunger_lead,
        was="was inconclusive until 2026-12-07: hunger_long's own end-point check (best step in the last 2,000 of 24,000 steps) flagged the shuffled CNN; by the course's late-gain rule no run that could reverse this part was still improving",
    ),
    Claim(
        "02.catch_up",
        2,
        "(same paper) with more data the ViT catches up: it draws level on ImageNet-21k and pulls ahead on JFT-300M.",
        "The same runs: the gap (CNN minus ViT) smaller at 10,000 images than at 1,000, seed by seed.",
        "paper",
        ("hunger_long",),
        _hunger_catch_up,
        was="was inconclusive until 2026-12-07: hunger_long's own end-point check (best step in the last 2,000 steps) flagged the shuffled CNN, which this claim does not read; by the late-gain rule no run that could reverse it was still improving",
    ),
    Claim(
        "02.prior",
        2,
        "(control) the CNN's edge is its spatial prior (locality, translation equivariance).",
        "The same runs: the CNN on images with shuffled 4x4 patches (which a ViT cannot notice) falls at least halfway to the ViT, at 1,000 and at 10,000 images.",
        "a priori",
        ("hunger_long",),
        _hunger_control,
    ),
    Claim(
        "03.headline",
        3,
        "Tokens-to-token soft splits make a ViT trainable from scratch on mid-size data: T2T-ViT-14 81.5% against DeiT-S 79.9% (Yuan et al.).",
        "Shapes, 3 seeds, up to 12,000 steps each with early stopping (patience 4,000), scored at the best validation checkpoint: T2T-ViT at least 5 points above a ViT of the same size.",
        "pilot: soft_split",
        (T2T_LONG,),
        superiority("T2T-ViT - ViT", _arm(T2T_LONG, "t2t"), _arm(T2T_LONG, "vit"), "accuracy", 0.05),
        was="was held until 2026-12-07 on the t2t study's 3,000 steps, where T2T-ViT was still improving (which could only widen the margin); read since on t2t_long, every arm trained to its end point, with the same threshold, where it holds too",
    ),
    Claim(
        "03.generalises",
        3,
        "(same paper) the hard split's loss is local structure, so T2T's gain shows on new images: it generalises better.",
        "Shapes, 3 seeds, up to 12,000 steps each (patience 4,000): T2T-ViT's train - test accuracy gap smaller than the ViT's, seed by seed.",
        "paper",
        (T2T_LONG,),
        smaller_gap("ViT gap - T2T-ViT gap", _arm(T2T_LONG, "t2t"), _arm(T2T_LONG, "vit")),
        was="was inconclusive until 2026-12-07 (and held before that day, though seed 1 disagreed): at the t2t study's 3,000 steps two T2T-ViT runs were still improving; read since on t2t_long, where every arm reached its end point",
    ),
    Claim(
        "03.no_overlap",
        3,
        "(control) the gain is the soft split's overlap.",
        "Shapes, 3 seeds: T2T-ViT with kernel = stride (no overlap, same size) at most halfway between the ViT and T2T-ViT, if it fits its training images above chance.",
        "a priori",
        (T2T,),
        at_most_halfway("halfway - no overlap", _arm(T2T, "t2t_no_overlap"), _arm(T2T, "vit"), _arm(T2T, "t2t"), 0.2),
    ),
    Claim(
        "03.no_token_attention",
        3,
        "(control) the gain is the overlapping, staged soft splits, not attention among the early tokens.",
        "Shapes, 3 seeds, up to 12,000 steps each (patience 4,000): T2T-ViT with its token layers' attention taken out (overlap kept) at least halfway between the ViT and T2T-ViT, if it fits its training images above chance.",
        "a priori",
        (T2T_LONG,),
        at_least_halfway(
            "without token attention - halfway",
            _arm(T2T_LONG, "t2t_no_token_attention"),
            _arm(T2T_LONG, "vit"),
            _arm(T2T_LONG, "t2t"),
            0.2,
        ),
        was="was inconclusive until 2026-12-07 (and held before that day, though seed 1 fell short of halfway): at 3,000 steps two T2T-ViT runs, which set the halfway mark, were still improving; read since on t2t_long, where every arm reached its end point",
    ),
    Claim(
        "03.mlp_no_overlap",
        3,
        "(control) the gain is the soft split's overlap, tested among models without token attention (which train with overlap).",
        "Shapes, 3 seeds: T2T-ViT without token attention and without overlap (kernel = stride, same size) at most halfway between the ViT and T2T-ViT without token attention, if it fits its training images above chance.",
        "a priori",
        (T2T, "t2t_no_token_attention", "t2t_mlp_no_overlap"),
        at_most_halfway(
            "halfway - no overlap", _arm("t2t_mlp_no_overlap"), _arm(T2T, "vit"), _arm("t2t_no_token_attention"), 0.2
        ),
        recipe="t2t_mlp_no_overlap",
    ),
    Claim(
        "03.learned_pos",
        3,
        "(control) the gain is the soft split's overlap, tested with learned position tables (with which a model without overlap can train).",
        "Shapes, 3 seeds, up to 12,000 steps with early stopping (patience 4,000): T2T-ViT with overlap at least 5 points above the same model without overlap (kernel = stride, same size), both with learned position tables, if the arm without overlap fits its training images above chance.",
        "a priori",
        ("t2t_learned_pos",),
        lambda book: Test(
            "overlap - no overlap",
            seed_values(
                book.values(_arm("t2t_learned_pos"), "accuracy"),
                book.values(_arm("t2t_learned_pos", "t2t_no_overlap_learned_pos"), "accuracy"),
                _sub,
            ),
            0.05,
            helps=(_arm("t2t_learned_pos"),),
            hurts=(_arm("t2t_learned_pos", "t2t_no_overlap_learned_pos"),),
            controls=((_arm("t2t_learned_pos", "t2t_no_overlap_learned_pos"), 0.2),),
        ),
    ),
    Claim(
        "04.shift",
        4,
        "Shifted windows connect neighbouring windows and improve accuracy: +1.1 ImageNet top-1, +2.8 COCO box AP, +2.8 ADE20K mIoU (Liu et al., Table 4).",
        "Shapes at 64x64, 5 seeds (1-5), up to 6,000 steps each (patience 4,000), scored at the best validation checkpoint: the two-stage course Swin (with max pooling) at least 3 points more accurate with shifted windows than without.",
        "a priori",
        ("swin_shift_five",),
        superiority(
            "shift - no shift",
            _arm("swin_shift_five", "swin"),
            _arm("swin_shift_five", "swin_noshift"),
            "accuracy",
            0.03,
        ),
        was="was inconclusive until 2026-12-07 (and held before that day): at swin_shift's 1,500 steps the arm without the shift was still improving in every seed; read since on swin_shift_five, five seeds each run to its end point, with the same threshold",
    ),
    Claim(
        "04.shift_global",
        4,
        "(same, on Swin-T's layout) with the last stage a single window, shifted windows still improve accuracy.",
        "Shapes, 3 seeds, 4,000 steps (1,500 left every run still rising): a four-stage Swin whose last stage is one window (max pooling) at least 3 points more accurate with shifted windows than without.",
        "a priori",
        ("swin_global_long",),
        superiority(
            "shift - no shift",
            _arm("swin_global_long", "swin"),
            _arm("swin_global_long", "swin_noshift"),
            "accuracy",
            0.03,
        ),
        was='was "did not hold" until 2026-12-07: the shifted Swin\'s seed 2 was still improving at 4,000 steps, which could reverse a verdict against the shift',
    ),
    Claim(
        "04.vs_vit",
        4,
        "(same paper) Swin beats a ViT of its size: Swin-T 81.3 against DeiT-S 79.8 top-1.",
        "Shapes at 64x64, seeds 1-3, up to 6,000 steps each (patience 4,000): the two-stage Swin (with max pooling, 94,001 parameters) at least 5 points above a ViT with 4x4 patches of its size (90,917), paired by seed.",
        "pilot: swin_shift_pilot",
        ("swin_vit_matched", "swin_shift_five"),
        _swin_vs_vit,
        was="was inconclusive until 2026-12-07 (and held before that day), read on swin_shift at 1,500 steps, where the ViT/4 (65k parameters against 94k) was still improving; read since on swin_vit_matched, a ViT/4 of the Swin's size at the Swin's end-point budget",
    ),
    Claim(
        "04.pool",
        4,
        "(the chapter's explanation) the paper's average pooling fails here because a small object is lost in the mean of mostly-background tokens; ImageNet's objects usually fill much of the frame.",
        "Shapes at 64x64, seeds 0-2, 1,500 steps: the average-pooled Swin at least 0.5 test accuracy on objects of radius 0.35-0.5 in every seed, and within 0.05 of chance (0.2) on the usual sizes (radius 0.12-0.25) in every seed.",
        "a priori",
        ("swin_pool_large", "swin_pool_small"),
        _pooling,
    ),
    Claim(
        "05.vs_cnn",
        5,
        "MobileViT is as accurate as light CNNs and more accurate than ViTs of its size (Mehta and Rastegari).",
        "Count task, 3 seeds: MobileViT no more than 2 points below MobileNetV2, in every seed.",
        "a priori",
        ("mobilevit",),
        noninferior("MobileViT - MobileNetV2", _arm("mobilevit"), _arm("mobilevit", "mobilenetv2"), "accuracy", 0.02),
        was="was held until 2026-12-07: a parity claim needs both arms at their end points, and MobileViT's seed 2 was still improving",
    ),
    Claim(
        "05.vs_vit",
        5,
        "(same paper) MobileViT beats a ViT of the same size.",
        "Count task, 3 seeds: MobileViT at least 3 points above the ViT.",
        "pilot: mobilevit_pilot_count",
        ("mobilevit",),
        superiority("MobileViT - ViT", _arm("mobilevit"), _arm("mobilevit", "vit"), "accuracy", 0.03),
        was="was held until 2026-12-07: the ViT was still improving at 2,000 steps (seeds 1 and 2)",
    ),
    Claim(
        "05.attention",
        5,
        "(control) MobileViT's gain comes from its attention (global representations).",
        "Count task, 3 seeds: without attention MobileViT loses at least 2 points.",
        "a priori",
        ("mobilevit",),
        superiority(
            "MobileViT - no attention", _arm("mobilevit"), _arm("mobilevit", "mobilevit_noattn"), "accuracy", 0.02
        ),
        was='was "did not hold" until 2026-12-07: MobileViT\'s seed 2 was still improving, which could reverse a verdict against attention',
    ),
    Claim(
        "05.reach",
        5,
        "(mechanism) attention brings information from beyond the convolutions' reach: the global representations that let MobileViT see the whole image at every stage.",
        "Count task, seeds 1-3: reading only the top-left cell of the 8x8 map of a one-stage MobileViT (86k parameters), at least 0.20 test accuracy above the control without attention (MLP ratio 4, 86k), and above it in every seed.",
        "pilot: mobilevit_reach_pilot",
        ("mobilevit_reach",),
        _reach,
    ),
    Claim(
        "05.segmentation",
        5,
        "(same paper) the backbone carries over to segmentation (DeepLabv3 on PASCAL VOC).",
        "Segmentation, 3 seeds: MobileViT + DeepLabv3 no more than 2 points of mIoU below MobileNetV2 + DeepLabv3, in every seed.",
        "a priori",
        ("mobilevit_segmentation",),
        noninferior(
            "MobileViT - MobileNetV2",
            _arm("mobilevit_segmentation", "mobilevit"),
            _arm("mobilevit_segmentation", "mobilenetv2"),
            "miou",
            0.02,
        ),
    ),
    Claim(
        "06.v2",
        6,
        "MobileViTv2's separable attention is nearly as accurate as self-attention: 78.1 against 78.4 top-1 (Mehta and Rastegari).",
        "Count task, 3 seeds: v2 widened to v1's size (229k parameters against 231k) no more than 2 points below v1 (chapter 05's runs), in every seed.",
        "a priori",
        ("mobilevit", "mobilevit_v2_v3_matched"),
        noninferior("v2 - v1", _arm("mobilevit_v2_v3_matched", "v2"), _arm("mobilevit"), "accuracy", 0.02),
        recipe="mobilevit_v2_v3_matched",
        was="was \"did not hold\" until 2026-12-07, on a v2 of v1's width but 56% of its size (129k parameters); graded since on v2 widened to v1's size",
    ),
    Claim(
        "06.v3",
        6,
        "MobileViTv3's fusion block improves on v1 (Wadekar and Chaurasia).",
        "Count task, 3 seeds: v3 widened to v1's size (231k parameters) at least 1 point above v1.",
        "a priori",
        ("mobilevit", "mobilevit_v2_v3_matched"),
        superiority("v3 - v1", _arm("mobilevit_v2_v3_matched", "v3"), _arm("mobilevit"), "accuracy", 0.01),
        recipe="mobilevit_v2_v3_matched",
    ),
    Claim(
        "06.residual",
        6,
        "(control) v3's input residual is part of the gain.",
        "Count task, 3 seeds, both at v1's size: without the residual v3 loses at least 1 point.",
        "a priori",
        ("mobilevit_v2_v3_matched",),
        superiority(
            "v3 - no residual",
            _arm("mobilevit_v2_v3_matched", "v3"),
            _arm("mobilevit_v2_v3_matched", "v3_noresidual"),
            "accuracy",
            0.01,
        ),
    ),
)


def _converges(detr: Runs, name: str = "DETR") -> Measure:
    """07.slow's test for a DETR arm against the detr study's dense detector, paired by seed: DETR trails at
    the end, and gains more over the last third."""

    def measure(book: Book) -> list[Test]:
        from vitlite.recipes.detr import last_third_gain

        dense = _arm("detr", "dense")
        gains = {arm: {s: last_third_gain(r) for s, r in book.runs(arm).items()} for arm in (detr, dense)}
        return [
            superiority(f"dense - {name} (DETR trails)", dense, detr, "AP", 0.0)(book),
            Test("DETR's last-third gain - the dense detector's", seed_values(gains[detr], gains[dense], _sub), 0.0),
        ]

    return measure


def _detr_sizes(book: Book) -> list[Test]:
    from vitlite.recipes.detr import at_equal_ap

    detr, dense = book.runs(_arm("detr")), book.runs(_arm("detr", "dense"))
    paired = {s: at_equal_ap(detr[s], dense[s]) for s in seed_values({s: 0.0 for s in detr}, {s: 0.0 for s in dense})}
    # Matched in accuracy rather than in steps, so where training stopped does not enter: no end-point arms.
    return [
        Test(
            "AP_S/AP dense - DETR at equal AP",
            {s: p["fast"]["small"] - p["slow"]["small"] for s, p in paired.items()},
            0.0,
            digits=2,
        ),
        Test(
            "AP_L/AP DETR - dense at equal AP",
            {s: p["slow"]["large"] - p["fast"]["large"] for s, p in paired.items()},
            0.0,
            digits=2,
        ),
    ]


def _detr_nms(book: Book) -> list[Test]:
    detr, dense = _arm("detr"), _arm("detr", "dense")
    added = seed_values(book.values(detr, "AP_nms"), book.values(detr, "AP"), _sub)
    removed = seed_values(book.values(dense, "AP"), book.values(dense, "AP_raw"), _sub)
    return [
        Test(
            "1 point - |AP change with NMS| (DETR)",
            {s: 0.01 - abs(v) for s, v in added.items()},
            0.0,
            kind="every seed",
        ),
        Test(
            "AP lost without NMS - 10 points (dense)", {s: v - 0.10 for s, v in removed.items()}, 0.0, kind="every seed"
        ),
    ]


def _dino_instability(book: Book) -> Test:
    from vitlite.recipes.dino import late_instability

    dino, lft = _arm("dino"), _arm("dino", "lft")
    late = {arm: {s: late_instability(r) for s, r in book.runs(arm).items()} for arm in (dino, lft)}
    return Test(
        "second-half instability without - with denoising",
        seed_values(late[lft], late[dino], _sub),
        0.0,
        helps=(dino, lft),
        hurts=(dino, lft),
    )


def _band(book: Book, study: str) -> dict[str, dict[int, float]]:
    from vitlite.recipes.dense import band_drops

    return band_drops(book.records(study))


def _setr_band(book: Book) -> list[Test]:
    drop = _band(book, "setr")
    arms = tuple(_arm("setr", k) for k in ("naive", "pup", "mla"))
    return [
        Test(
            f"band drop Naive - {name}",
            seed_values(drop["naive"], drop[label], _sub),
            0.0,
            helps=arms,
            hurts=arms,
            percent=True,
        )
        for label, name in (("pup", "PUP"), ("mla", "MLA"))
    ]


def _setr_resolution_control(book: Book) -> list[Test]:
    naive = _arm("setr", "naive")
    return [
        noninferior(f"mIoU away from the band, Naive - {name}", naive, _arm("setr", label), "miou_interior", 0.05)(book)
        for label, name in (("pup", "PUP"), ("mla", "MLA"))
    ]


def _dpt_at_edges_control(book: Book) -> Test:
    dpt, setr = _arm("dpt"), _arm("dpt", "setr")
    ratio = {
        region: seed_values(book.values(dpt, metric), book.values(setr, metric), lambda x, y: x / y)
        for region, metric in (("band", "abs_rel_band"), ("away", "abs_rel_interior"))
    }
    return Test(
        "DPT/SETR-Naive AbsRel ratio away from the band - in it",
        seed_values(ratio["away"], ratio["band"], _sub),
        0.0,
        helps=(dpt, setr),
        hurts=(dpt, setr),
        digits=2,
    )


def _dpt_band(book: Book) -> Test:
    dpt, naive = _band(book, "dpt_segmentation")["dpt"], _band(book, "setr")["naive"]
    arms = (_arm("dpt_segmentation", "dpt"), _arm("setr", "naive"))
    return Test("band drop SETR-Naive - DPT", seed_values(naive, dpt, _sub), 0.0, helps=arms, hurts=arms, percent=True)


def _readouts(book: Book) -> Test:
    from vitlite.recipes.dense import READOUTS, readout_values

    values = readout_values({study: book.records(study) for study in ("dpt", "dpt_readout")})
    seeds = seed_values(values["project"], values["ignore"])
    spread = {s: max(v[s] for v in values.values()) - min(v[s] for v in values.values()) for s in seeds}
    arms = tuple(READOUTS.values())
    return Test(
        "0.005 - spread of the three readouts' AbsRel",
        {s: 0.005 - v for s, v in spread.items()},
        0.0,
        kind="non-inferiority",
        helps=arms,
        hurts=(),
        digits=4,
    )


CLAIMS += (
    Claim(
        "07.slow",
        7,
        "DETR converges slowly: 500 epochs against Faster R-CNN's 36 (Carion et al.).",
        "6,000 steps, 3 seeds: DETR trails the dense detector and gains more over the last third, seed by seed.",
        "pilot: detr_pilot",
        ("detr",),
        _converges(_arm("detr")),
        was="was held until 2026-12-07: DETR was still improving at 6,000 steps in every seed, so whether it stays behind is not settled",
    ),
    Claim(
        "07.lr",
        7,
        "(control) DETR's slow convergence is not its learning rate (ours 2e-4, the dense detector's 1e-3).",
        "6,000 steps, seeds 0-2: DETR at 1e-3 still trails the dense detector and gains more over the last third, seed by seed (07.slow's test, unchanged).",
        "a priori",
        ("detr_lr", "detr"),
        _converges(_arm("detr_lr", "detr_lr1e-3"), "DETR at 1e-3"),
    ),
    Claim(
        "07.sizes",
        7,
        "(same paper) DETR is weaker on small objects and stronger on large ones: AP_S 20.5 against 24.2, AP_L 61.1 against 52.5.",
        "3 seeds, at equal accuracy as in the paper: relative to its AP, DETR (at its last evaluation) lower on small and higher on large objects than the dense detector at the evaluation whose AP is closest to DETR's, seed by seed (validation scores).",
        "after the runs",
        ("detr",),
        _detr_sizes,
        was="was inconclusive until 2026-12-07 (and held before that, compared at the final APs, 0.55 against 0.77, with DETR still improving); re-graded the same day at equal accuracy, the paper's comparison, which the records allow: the small-object half reverses",
        fixed="2026-12-07",
    ),
    Claim(
        "07.nms",
        7,
        "(same paper) set prediction needs no NMS.",
        "3 seeds: NMS changes DETR's AP by less than a point; removing it costs the dense detector more than 10, in every seed.",
        "a priori",
        ("detr",),
        _detr_nms,
    ),
    Claim(
        "08.denoising",
        8,
        "Contrastive denoising improves DINO: +0.5 AP in the paper's ablation (Zhang et al.).",
        "3,000 steps, 3 seeds: denoising adds at least 1 point of AP.",
        "a priori",
        ("dino",),
        superiority("DINO - without denoising", _arm("dino"), _arm("dino", "lft"), "AP", 0.01),
        was='was "did not hold" until 2026-12-07: DINO was still improving at 3,000 steps in every seed',
    ),
    Claim(
        "08.matching",
        8,
        "(mechanism, DN-DETR) denoising steadies the bipartite matching.",
        "3 seeds: the share of objects whose query changes, second half of training, lower with denoising, seed by seed (under query selection this counts ranking churn as well).",
        "paper",
        ("dino",),
        _dino_instability,
        was="was held until 2026-12-07: seed 1 disagrees (the difference is within the spread), and both arms were still improving",
    ),
    Claim(
        "08.fast",
        8,
        "(same paper) DINO converges far faster than DETR: 49.0 AP in 12 epochs.",
        "DINO at 3,000 steps ahead of chapter 07's DETR at 6,000, seed by seed.",
        "paper",
        ("dino", "detr"),
        superiority("DINO at 3,000 - DETR at 6,000", _arm("dino"), _arm("detr"), "AP", 0.0),
        was="was held until 2026-12-07: chapter 07's DETR was still improving at 6,000 steps in every seed",
    ),
    Claim(
        "09.order",
        9,
        "PUP and MLA decoders beat the naive one: Pascal Context 54.40 and 54.87 against 52.89 (Zheng et al.).",
        "2,000 steps, 3 seeds: PUP and MLA each at least 0.05 test mIoU above Naive, and MLA ahead of PUP.",
        "pilot: setr_pilot",
        ("setr",),
        parts(
            superiority("PUP - Naive", _arm("setr", "pup"), _arm("setr", "naive"), "miou", 0.05),
            superiority("MLA - Naive", _arm("setr", "mla"), _arm("setr", "naive"), "miou", 0.05),
            superiority("MLA - PUP", _arm("setr", "mla"), _arm("setr", "pup"), "miou", 0.0),
        ),
        was="was held until 2026-12-07: Naive and PUP were still improving at 2,000 steps in every seed",
    ),
    Claim(
        "09.aux",
        9,
        "(control) MLA's lead over Naive is not the deep supervision that the official SETR configurations give Naive (auxiliary heads on intermediate blocks).",
        "3 seeds: the setr study's MLA (2,000 steps, no auxiliary heads) at least 0.05 test mIoU above Naive with three auxiliary heads (blocks 3, 5, 7; weight 0.4) trained up to 6,000 steps (patience 4,000), seed by seed; the longer budget favours Naive, so a held is conservative.",
        "a priori",
        ("setr_aux", "setr"),
        superiority("MLA - Naive with heads", _arm("setr", "mla"), _arm("setr_aux", "naive_aux"), "miou", 0.05),
    ),
    Claim(
        "09.resolution",
        9,
        "(control) if Naive loses for its resolution (it predicts at 1/8), it loses at the boundaries only: away from the band, where the true masks at 1/8 keep 0.94 mIoU, it is as good as the others.",
        "3 seeds: Naive's mIoU away from the 2-px band no more than 5 points below PUP's and MLA's, in every seed.",
        "after the runs",
        ("setr",),
        _setr_resolution_control,
    ),
    Claim(
        "09.band",
        9,
        "(mechanism) Naive, predicting at 1/16 (1/8 here) and upsampling in one step, loses most at boundaries.",
        "3 seeds: Naive's share of mIoU lost in the 2-px band larger than PUP's and MLA's, seed by seed; capped by the resolution control.",
        "paper",
        ("setr",),
        _setr_band,
        follows=("09.resolution", "inconclusive"),
        was="was held until 2026-12-07: Naive and PUP were still improving at 2,000 steps in every seed; and the chapter's own control (09.resolution) asks whether the share lost in the band measures resolution at all",
    ),
    Claim(
        "09.vs_cnn",
        9,
        "(same paper) SETR beats fully convolutional segmenters: 54.87 against FCN's 44.47 on Pascal Context.",
        "3 seeds: MLA's test mIoU at least the convolutional baseline's (MobileNetV2 + DeepLabv3), seed by seed.",
        "paper",
        ("setr",),
        superiority("MLA - conv. baseline", _arm("setr", "mla"), _arm("setr", "fcn"), "miou", 0.0),
    ),
    Claim(
        "10.depth",
        10,
        "DPT, reading four layers and fusing them at rising resolution, predicts finer depth than a decoder of one coarse map (Ranftl et al.; feature resolution and granularity).",
        "Depth, 1,000 steps, 3 seeds: DPT's test AbsRel at most half of SETR-Naive's on the same encoder (a decoder comparison: the paper compares encoders).",
        "pilot: dpt_pilot",
        ("dpt",),
        ratio_below("share of SETR-Naive's AbsRel that DPT removes", _arm("dpt"), _arm("dpt", "setr"), "abs_rel", 0.5),
    ),
    Claim(
        "10.edges_control",
        10,
        "(control) if the gain is at the objects' edges, DPT's error shrinks more in the 2-px band than away from it.",
        "3 seeds: DPT / SETR-Naive AbsRel ratio in the band below the ratio away from it, seed by seed.",
        "after the runs",
        ("dpt",),
        _dpt_at_edges_control,
    ),
    Claim(
        "10.edges",
        10,
        "(mechanism) the gain holds where fine detail is: at the objects' edges.",
        "3 seeds: in the 2-px band DPT's AbsRel also at most half of SETR-Naive's; capped by the control.",
        "pilot: dpt_pilot",
        ("dpt",),
        ratio_below(
            "share of SETR-Naive's band AbsRel that DPT removes", _arm("dpt"), _arm("dpt", "setr"), "abs_rel_band", 0.5
        ),
        follows=("10.edges_control", "did not hold"),
        was="was held until 2026-12-07: the chapter's own control (10.edges_control) finds DPT's error shrinking more away from the band than in it",
    ),
    Claim(
        "10.delta",
        10,
        "(same paper) fewer gross depth errors (delta > 1.25).",
        "3 seeds: DPT's delta < 1.25 at least 0.05 above SETR-Naive's.",
        "pilot: dpt_pilot",
        ("dpt",),
        superiority("DPT - SETR-Naive", _arm("dpt"), _arm("dpt", "setr"), "delta1", 0.05),
    ),
    Claim(
        "10.segmentation",
        10,
        "(same paper) the same architecture segments well: 49.0 mIoU on ADE20K (DPT-Hybrid).",
        "Chapter 09's settings and seeds: DPT at least 0.10 test mIoU above SETR-Naive.",
        "pilot: dpt_segmentation_pilot",
        ("dpt_segmentation", "setr"),
        superiority("DPT - SETR-Naive", _arm("dpt_segmentation", "dpt"), _arm("setr", "naive"), "miou", 0.10),
        was="was held until 2026-12-07: chapter 09's SETR-Naive was still improving at 2,000 steps in every seed",
    ),
    Claim(
        "10.seg_band",
        10,
        "(mechanism) DPT's segmentation keeps its boundaries.",
        "3 seeds: DPT loses a smaller share of its mIoU in the 2-px band than SETR-Naive; capped by chapter 09's resolution control.",
        "paper",
        ("dpt_segmentation", "setr"),
        _dpt_band,
        follows=("09.resolution", "inconclusive"),
        was="was held until 2026-12-07: chapter 09's SETR-Naive was still improving at 2,000 steps in every seed; and chapter 09's control (09.resolution) asks whether the share lost in the band measures boundaries at all",
    ),
    Claim(
        "10.vs_mla",
        10,
        "(same paper) DPT improves on the best earlier decoders of a transformer (SETR's MLA among them).",
        "3 seeds: DPT's test mIoU at least SETR-MLA's (chapter 09), seed by seed.",
        "paper",
        ("dpt_segmentation", "setr"),
        superiority("DPT - MLA", _arm("dpt_segmentation", "dpt"), _arm("setr", "mla"), "miou", 0.0),
    ),
    Claim(
        "10.readout",
        10,
        "(same paper's ablation) how the class token is read out matters little.",
        "Depth, 3 seeds: ignore, add and project within 0.005 test AbsRel of each other, in every seed.",
        "pilot: dpt_pilot",
        ("dpt", "dpt_readout"),
        _readouts,
        recipe="dpt_readout",
    ),
)


def claim(key: str) -> Claim:
    for c in CLAIMS:
        if c.key == key:
            return c
    raise KeyError(f"no claim {key!r}; the claims are {[c.key for c in CLAIMS]}")


# ---------------------------------------------------------------- reading the records
def _load(study: str) -> tuple[list[dict[str, Any]], Budget | None]:
    from vitlite.recipes import RECIPES
    from vitlite.recipes.runner import TASKS, manifest

    recipe = RECIPES.get(study)
    if recipe is None:
        raise KeyError(f"{study!r} is not a recipe in vitlite.recipes")
    if recipe.study is not None:
        spec = TASKS[recipe.study.task]
        return recipe.study.results(), Budget(recipe.study.steps, spec.primary, spec.minimize)
    record = manifest(study)
    settings = record.get("settings", {})
    budget = Budget(settings["steps"], settings["metric"]) if "metric" in settings else None
    return [{"label": study, **run} for run in record["runs"]], budget


def _fixed(study: str) -> str:
    from vitlite.recipes import RECIPES
    from vitlite.recipes.runner import manifest

    recipe = RECIPES[study]
    if recipe.study is not None:
        return recipe.study.expectation_fixed
    try:
        return manifest(study).get("expectation_fixed", "")
    except FileNotFoundError:
        return ""


def book() -> Book:
    """A :class:`~vitlite.recipes.evidence.Book` that reads the shipped records as claims ask for them."""
    return Book(load=_load)


def verdicts(claims: tuple[Claim, ...] = CLAIMS, records: Book | None = None) -> list[Verdict]:
    """Every claim's result and verdict by the course's rule, from the records shipped in
    ``assets/checkpoints``. A study whose records are not there (not run yet) gives "no record"."""
    records = records or book()
    out: dict[str, Verdict] = {}
    for c in claims:
        if c.measure is None:
            out[c.key] = Verdict(c, c.missing, "no record")
            continue
        try:
            graded: Graded = grade(c.measure(records), records)
        except FileNotFoundError:
            out[c.key] = Verdict(c, f"{c.owner}: not trained yet (`python -m vitlite.recipes {c.owner}`)", "no record")
            continue
        verdict, notes, causes = graded.verdict, graded.notes, graded.causes
        if c.follows is not None and verdict in ("held", "held, not robust"):
            control = out.get(c.follows[0])
            if control is None:
                raise ValueError(f"{c.key} follows {c.follows[0]!r}, which must come before it in the claims")
            if control.verdict in ("did not hold", "inconclusive"):
                notes = notes + (
                    f"its test alone: {verdict}; its control {c.follows[0]} {control.verdict}, so the mechanism is not shown",
                )
                verdict, causes = c.follows[1], (("control",) if c.follows[1] == "inconclusive" else ())
        out[c.key] = Verdict(c, graded.result, verdict, notes, c.fixed or (_fixed(c.owner) if c.owner else ""), causes)
    return list(out.values())


def report(
    chapter: int, rows: list[Verdict] | None = None, regrades: bool = False, expected: bool = True
) -> list[Verdict]:
    """Print a chapter's claims as the ledger grades them: the test fixed before the runs ("expected"),
    what the records give ("observed") and the verdict by the course's rule, flagging a verdict that differs
    from the one its manifest records (:func:`recorded_verdict`; chapters assert they agree). The notes of
    re-graded rows are the ledger's (chapter 10); ``regrades=True`` prints them too. ``expected=False`` leaves
    out the claim and its test, for a chapter that printed the expectation before its results. Returns the rows."""
    import textwrap

    rows = [r for r in (rows or verdicts()) if r.claim.chapter == chapter]
    recorded = _recorded()
    wrap = lambda label, text: textwrap.fill(text, 110, initial_indent=f"  {label}: ", subsequent_indent="      ")  # noqa: E731
    for r in rows:
        if expected:
            print(f"[{r.claim.key}] {r.claim.paper}")
            print(wrap(f"expected ({r.claim.source}, fixed {r.fixed or 'n/a'})", r.claim.test))
        else:
            print(f"[{r.claim.key}] threshold from {r.claim.source}, fixed {r.fixed or 'n/a'}")
        print(wrap("observed", r.result))
        note = r.note if regrades else "; ".join(r.notes)
        if note:
            print(wrap("note", note))
        print(f"  verdict: {r.verdict.upper()}")
        was = recorded.get(r.claim.key)
        if was is not None and was != r.verdict:
            print(
                f"  !! the manifest of {r.claim.owner} records {was!r}; run `python -m vitlite.recipes.claims --write`"
            )
    return rows


def recorded_verdict(key: str) -> str | None:
    """The verdict of claim ``key`` as its recipe's manifest records it (None if none does)."""
    return _recorded().get(key)


def _recorded() -> dict[str, str]:
    """Claim key -> the verdict the manifests record."""
    from vitlite.recipes import RECIPES
    from vitlite.recipes.runner import manifest

    out = {}
    for name in RECIPES:
        try:
            entries = manifest(name).get("claims", [])
        except FileNotFoundError:
            continue
        out.update({e["key"]: e["verdict"] for e in entries if "key" in e})
    return out


def markdown_table(rows: list[Verdict]) -> str:
    """The ledger as a Markdown table: chapter, claim, test, threshold from, result, verdict, note."""
    mark = {
        "held": "✅ held",
        "held, not robust": "☑️ held, not robust",
        "did not hold": "❌ did not hold",
        "inconclusive": "🟨 inconclusive",
        "no record": "⬜ no record",
    }
    lines = [
        "| ch. | the paper's claim | tested in miniature | threshold from | result (per seed) | verdict | note |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        source = row.claim.source + (f" ({row.fixed})" if row.fixed else "")
        cells = [
            f"{row.claim.chapter:02d}",
            row.claim.paper,
            row.claim.test,
            source,
            row.result,
            mark[row.verdict],
            row.note,
        ]
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return "\n".join(lines)


def counts(rows: list[Verdict]) -> dict[str, dict[str, int]]:
    """Verdicts counted in all (``"all"``) and per threshold source (``"paper"``, ``"pilot"``, ...)."""
    out: dict[str, dict[str, int]] = {"all": {v: 0 for v in VERDICTS + ("no record",)}}
    for row in rows:
        for key in ("all", row.claim.source_kind):
            out.setdefault(key, {v: 0 for v in VERDICTS + ("no record",)})[row.verdict] += 1
    return out


_SOURCE_WORDS = {
    "paper": "Thresholds from the paper",
    "pilot": "Thresholds from a pilot",
    "a priori": "Thresholds set a priori",
    "after the runs": "Controls added after the runs",
}


def ledger_lists(rows: list[Verdict]) -> str:
    """The claims grouped by verdict, as Markdown: a bullet per verdict listing each claim's chapter and title."""
    out = []
    for verdict in VERDICTS + ("no record",):
        picked = [r for r in rows if r.verdict == verdict]
        if picked:
            out.append(
                f"- **{verdict.capitalize()}** ({len(picked)}): "
                + "; ".join(f"{r.claim.chapter:02d} {r.claim.title}" for r in picked)
                + "."
            )
    return "\n".join(out)


def ledger_prose(rows: list[Verdict]) -> str:
    """The ledger's summary in words, generated from the counts."""
    c = counts(rows)
    total = sum(c["all"].values())
    words = lambda d: ", ".join(f"{n} {v}" for v, n in d.items() if n)  # noqa: E731
    lines = [f"{total} claims, graded by the course's rule (fixed {RULE_FIXED}): {words(c['all'])}."]
    for source in SOURCES:
        if source in c:
            lines.append(f"{_SOURCE_WORDS[source]}: {words(c[source])}.")
    unsure = [r for r in rows if r.verdict == "inconclusive"]
    if unsure:
        why = {
            "end point": "a run that could reverse the verdict was still improving",
            "untrained control": "a control never trained",
            "control": "the chapter's control rejected the mechanism the row needs",
        }
        parts = [
            f"{sum(cause in r.causes for r in unsure)} because {text}"
            for cause, text in why.items()
            if any(cause in r.causes for r in unsure)
        ]
        lines.append(
            f"Of the {len(unsure)} inconclusive rows, " + ", ".join(parts) + " (a row can have several reasons)."
        )
    regraded = [r for r in rows if r.claim.was]
    lines.append(f"{len(regraded)} rows were re-graded openly; each keeps its note.")
    return " ".join(lines)


# ---------------------------------------------------------------- the verdicts in the manifests
def manifest_entries(rows: list[Verdict]) -> dict[str, list[dict[str, Any]]]:
    """Per recipe, the claims it tests as its manifest records them: chapter, key, the paper's claim, the
    test with its threshold and source, the measured result (per seed) and the verdict with its notes.
    Claims with no record yet are left out."""
    out: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if row.verdict == "no record":
            continue
        entry = {
            "chapter": row.claim.chapter,
            "key": row.claim.key,
            "claim": row.claim.paper,
            "test": row.claim.test,
            "threshold_from": row.claim.source,
            "fixed": row.fixed,
            "reads": list(row.claim.studies),
            "result": row.result,
            "verdict": row.verdict,
            "rule": RULE_FIXED,
        }
        if row.note:
            entry["note"] = row.note
        out.setdefault(row.claim.owner, []).append(entry)
    return out


def _regrade_guard(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> None:
    """A verdict that changes needs its note: no silent re-grades."""
    old = {e.get("key") or e["claim"]: e["verdict"] for e in before}
    old.update({e["claim"]: e["verdict"] for e in before})
    for entry in after:
        previous = old.get(entry["key"], old.get(entry["claim"]))
        if previous is not None and previous != entry["verdict"]:
            note = claim(entry["key"]).was
            if not (note.startswith(f"was {previous} until") or note.startswith(f'was "{previous}" until')):
                raise ValueError(
                    f"claim {entry['key']} changes from {previous!r} to {entry['verdict']!r}: say why in its Claim(was='was {previous} until <date>: why it changed') first"
                )


def write_to_manifests(rows: list[Verdict] | None = None) -> list[str]:
    """Write each recipe's claims (:func:`manifest_entries`) into its ``manifest.json`` under ``"claims"``,
    replacing what was there; a manifest whose recipe tests no claim loses a stale ``"claims"`` key. A
    verdict that changes without its claim's ``was`` note is refused. Returns the recipes whose manifest
    changed. Run it (``python -m vitlite.recipes.claims --write``) whenever a record changes; a test
    checks that the manifests agree with the records."""
    import json

    from vitlite.assets import asset_path
    from vitlite.recipes import RECIPES
    from vitlite.recipes.runner import CHECKPOINTS

    entries = manifest_entries(verdicts() if rows is None else rows)
    before_all = [{"key": key, "claim": key, "verdict": verdict} for key, verdict in _recorded().items()]
    _regrade_guard(
        before_all, [e for recipe in entries.values() for e in recipe]
    )  # across recipes: a claim that moves keeps its history
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

    parser = argparse.ArgumentParser(
        prog="python -m vitlite.recipes.claims",
        description="The course's ledger, graded from the shipped records by the course's one rule.",
    )
    parser.add_argument(
        "--write",
        action="store_true",
        help="also record each claim's result and verdict in the manifest of the recipe that tests it",
    )
    args = parser.parse_args(argv)
    rows = verdicts()
    print(markdown_table(rows))
    print("\n" + ledger_prose(rows))
    if args.write:
        changed = write_to_manifests(rows)
        print(f"\nmanifests updated: {', '.join(changed) if changed else 'none (all agree with the records)'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
