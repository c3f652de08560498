"""The course's table of claims: each verdict computed from records, on hand-made records and on the shipped ones."""

from __future__ import annotations

import pytest

from vitlite.recipes import RECIPES
from vitlite.recipes import claims as C


def run(label: str, seed: int, **test) -> dict:
    return {"label": label, "seed": seed, "scores": {"test": test}}


def test_a_difference_holds_only_past_its_threshold():
    measure = C._difference(("s", "a"), ("s", "b"), "accuracy", 0.02, ("A", "B"))
    records = {"s": [run("a", k, accuracy=0.91 + 0.01 * k) for k in range(3)] + [run("b", k, accuracy=0.88 + 0.01 * k) for k in range(3)]}
    out = measure(records)
    assert out.held and "+0.030" in out.result and "A 0.920 ± 0.010" in out.result and "3 seeds" in out.result
    records["s"][0]["scores"]["test"]["accuracy"] = 0.86  # A's mean falls to 0.903: +0.013
    out = measure(records)
    assert not out.held and "+0.013" in out.result


def test_t2t_claims_on_hand_made_records():
    def cls(label, seed, train, test):
        return {"label": label, "seed": seed, "scores": {"train": {"accuracy": train}, "test": {"accuracy": test}}}

    records = {"t2t": [cls("vit", k, 0.70, 0.62) for k in range(3)] + [cls("t2t", k, 0.80, 0.75 + 0.01 * k) for k in range(3)] + [cls("t2t_no_overlap", k, 0.60, 0.55) for k in range(3)]}
    assert C._t2t_gap(records).held  # 0.04 against 0.08
    out = C._t2t_control(records)  # 0.55 against halfway 0.6875
    assert out.held and out.conclusive
    for r in records["t2t"][6:]:
        r["scores"]["test"]["accuracy"] = 0.72  # keeps most of the gain
    assert not C._t2t_control(records).held
    for r in records["t2t"][6:]:
        r["scores"]["train"]["accuracy"], r["scores"]["test"]["accuracy"] = 0.23, 0.21  # never trained
    out = C._t2t_control(records)
    assert out.held and not out.conclusive and "isolates nothing" in out.result
    records["t2t"][3]["scores"]["train"]["accuracy"] = 0.99  # T2T's mean gap rises to 0.10
    assert not C._t2t_gap(records).held
    assert C.verdicts((C.Claim(3, "p", "t", (), lambda r: C.Measured("x", True, conclusive=False)),))[0].verdict == "inconclusive"


def test_t2t_no_token_attention_control_on_hand_made_records():
    def cls(label, seed, train, test):
        return {"label": label, "seed": seed, "scores": {"train": {"accuracy": train}, "test": {"accuracy": test}}}

    label = "t2t_no_token_attention"
    records = {"t2t": [cls("vit", k, 0.70, 0.62) for k in range(3)] + [cls("t2t", k, 0.80, 0.74) for k in range(3)],
               label: [cls(label, k, 0.75, 0.70) for k in range(3)]}  # halfway 0.68
    out = C._t2t_no_token_attention(records)
    assert out.held and out.conclusive and "halfway 0.680" in out.result
    for r in records[label]:
        r["scores"]["test"]["accuracy"] = 0.65
    assert not C._t2t_no_token_attention(records).held
    for r in records[label]:
        r["scores"]["train"]["accuracy"] = 0.22
    out = C._t2t_no_token_attention(records)
    assert not out.conclusive and "isolates nothing" in out.result


def test_t2t_mlp_no_overlap_control_on_hand_made_records():
    def cls(label, seed, train, test):
        return {"label": label, "seed": seed, "scores": {"train": {"accuracy": train}, "test": {"accuracy": test}}}

    label, reference = "t2t_mlp_no_overlap", "t2t_no_token_attention"
    records = {"t2t": [cls("vit", k, 0.70, 0.62) for k in range(3)], reference: [cls(reference, k, 0.85, 0.78) for k in range(3)],
               label: [cls(label, k, 0.70, 0.65) for k in range(3)]}  # halfway 0.70
    out = C._t2t_mlp_no_overlap(records)
    assert out.held and out.conclusive and "halfway 0.700" in out.result
    for r in records[label]:
        r["scores"]["test"]["accuracy"] = 0.75  # keeps most of the gain without overlap
    assert not C._t2t_mlp_no_overlap(records).held
    for r in records[label]:
        r["scores"]["train"]["accuracy"], r["scores"]["test"]["accuracy"] = 0.22, 0.21
    out = C._t2t_mlp_no_overlap(records)
    assert out.held and not out.conclusive and "isolates nothing" in out.result


def test_t2t_learned_pos_claim_behind_its_two_checks_on_hand_made_records():
    def cls(label, seed, train, test, best_step):
        return {"label": label, "seed": seed, "best_step": best_step, "scores": {"train": {"accuracy": train}, "test": {"accuracy": test}}}

    overlap, control = "t2t_learned_pos", "t2t_no_overlap_learned_pos"
    records = {overlap: [cls(overlap, k, 1.0, 0.90, 8000) for k in range(3)] + [cls(control, k, 0.80, 0.70, 9000) for k in range(3)]}
    measure = C.t2t_learned_pos_measure()
    out = measure(records)
    assert out.held and out.conclusive and "+0.200" in out.result and "last 2,000 of 12,000: none" in out.result
    for r in records[overlap][3:]:
        r["scores"]["test"]["accuracy"] = 0.87  # only 3 points behind: the overlap is not the gain
    out = measure(records)
    assert not out.held and out.conclusive
    records[overlap][3]["best_step"] = records[overlap][4]["best_step"] = 11000  # two of three seeds peaked late
    out = measure(records)
    assert not out.conclusive and "t2t_no_overlap_learned_pos 2/3" in out.result and "cannot decide" in out.result
    for r in records[overlap][3:]:
        r["best_step"], r["scores"]["train"]["accuracy"], r["scores"]["test"]["accuracy"] = 5000, 0.21, 0.20  # stuck at chance
    out = measure(records)
    assert out.held and not out.conclusive and "isolates nothing" in out.result


def test_end_point_check_makes_a_comparison_inconclusive_while_most_seeds_climb():
    def curve(label, seed, test, vals):
        return {"label": label, "seed": seed, "scores": {"test": {"accuracy": test}}, "history": {"eval_step": [1000, 2000, 3000, 4000], "metrics": {"accuracy": vals}}}

    flat, rising = [0.5, 0.7, 0.80, 0.805], [0.5, 0.6, 0.70, 0.75]
    assert not C.still_climbing(curve("a", 0, 0.8, flat), "accuracy", 3000)  # +0.005 after step 3,000
    assert C.still_climbing(curve("a", 0, 0.8, rising), "accuracy", 3000)  # +0.05
    with pytest.raises(ValueError, match="both sides"):
        C.still_climbing(curve("a", 0, 0.8, flat), "accuracy", 4000)
    measure = C._with_end_points(C._difference(("s", "a"), ("s", "b"), "accuracy", 0.03, ("A", "B")), "s", 3000)
    records = {"s": [curve("a", k, 0.85, flat) for k in range(3)] + [curve("b", k, 0.80, flat) for k in range(3)]}
    out = measure(records)
    assert out.held and out.conclusive and "a 0/3, b 0/3" in out.result
    records["s"][3]["history"]["metrics"]["accuracy"] = rising  # one seed of b climbing: still decides
    assert measure(records).conclusive
    records["s"][4]["history"]["metrics"]["accuracy"] = rising  # two of three: cannot decide
    out = measure(records)
    assert out.held and not out.conclusive and "b 2/3" in out.result and "cannot decide" in out.result


def test_data_hunger_claims_on_hand_made_records():
    def cls(label, seed, train, test):
        return {"label": label, "seed": seed, "scores": {"train": {"accuracy": train}, "test": {"accuracy": test}}}

    accuracy = {"cnn": {1000: 0.70, 3000: 0.80, 10000: 0.88}, "vit": {1000: 0.40, 3000: 0.55, 10000: 0.70}}
    records = {"hunger": [cls(f"{m}_n{n}", k, 0.9, a + 0.01 * k) for m, by in accuracy.items() for n, a in by.items() for k in range(3)]}
    records["hunger"] += [cls(f"cnn_perm_n{n}", k, 0.6, 0.45) for n in (1000, 10000) for k in range(3)]
    assert C._hunger_lead(records).held  # leads 0.30, 0.25, 0.18
    out = C._hunger_control(records)  # 0.46 against halfway 0.56 and 0.80
    assert out.held and out.conclusive
    for r in records["hunger"]:
        if r["label"] == "vit_n10000":
            r["scores"]["test"]["accuracy"] = 0.35  # the gap widens to 0.53, the lead still holds
    assert C._hunger_lead(records).held
    for r in records["hunger"]:
        if r["label"] == "vit_n3000":
            r["scores"]["test"]["accuracy"] = 0.77  # a lead of 0.03 at 3,000 images
    assert not C._hunger_lead(records).held
    for r in records["hunger"]:
        if r["label"] == "cnn_perm_n1000":
            r["scores"]["train"]["accuracy"] = 0.22
    out = C._hunger_control(records)
    assert not out.conclusive and "isolates nothing" in out.result


def test_hunger_long_claims_behind_the_best_step_check_on_hand_made_records():
    def cls(label, seed, test, best_step, train=0.9):
        return {"label": label, "seed": seed, "best_step": best_step, "scores": {"train": {"accuracy": train}, "test": {"accuracy": test}}}

    accuracy = {"cnn": {1000: 0.70, 3000: 0.80, 10000: 0.88}, "vit": {1000: 0.40, 3000: 0.55, 10000: 0.70}}
    records = {"hunger_long": [cls(f"{m}_n{n}", k, a + 0.01 * k, 6000) for m, by in accuracy.items() for n, a in by.items() for k in range(3)]}
    records["hunger_long"] += [cls(f"cnn_perm_n{n}", k, 0.45, 5000, train=0.6) for n in (1000, 10000) for k in range(3)]
    lead, gap, control = C.hunger_long_measures()
    for measure in (lead, gap, control):
        out = measure(records)
        assert out.held and out.conclusive and "last 2,000 of 24,000: none" in out.result
    assert "gap at 1,000, 3,000, 10,000 images: +0.300, +0.250, +0.180" in gap(records).result
    vit = [r for r in records["hunger_long"] if r["label"] == "vit_n10000"]
    vit[0]["best_step"] = 22500  # one seed still climbing at the end of the budget: still decides
    out = gap(records)
    assert out.conclusive and "vit_n10000 1/3" in out.result
    vit[1]["best_step"] = 24000  # two of three: cannot decide, for every claim of the study
    for measure in (lead, gap, control):
        out = measure(records)
        assert out.held and not out.conclusive and "vit_n10000 2/3" in out.result and "cannot decide" in out.result
    assert not C.best_step_near_budget(vit[0] | {"best_step": 22000}, 24000, 2000)  # the boundary belongs to the finished
    for r in vit:
        r["best_step"] = 8000
        r["scores"]["test"]["accuracy"] = 0.35  # the gap widens: (2) does not hold, conclusively
    out = gap(records)
    assert not out.held and out.conclusive
    with pytest.raises(KeyError, match="best_step"):
        C.best_step_near_budget({"label": "x", "seed": 0}, 24000, 2000)


def test_setr_claims_on_hand_made_records():
    def seg(label, seed, miou, band, away):
        return run(label, seed, miou=miou, miou_band=band, miou_interior=away)

    records = {"setr": [seg("naive", k, 0.40, 0.30, 0.50) for k in range(3)] + [seg("pup", k, 0.70, 0.60, 0.80) for k in range(3)] + [seg("mla", k, 0.75, 0.65, 0.85) for k in range(3)]}
    assert C._setr_order(records).held
    assert C._setr_band(records).held  # Naive loses 40% in the band, PUP 25%, MLA 24%
    records["setr"][0]["scores"]["test"]["miou_band"] = 0.45  # Naive's mean drop falls to 30%: still above
    assert C._setr_band(records).held
    for r in records["setr"][:3]:
        r["scores"]["test"]["miou_band"] = 0.45
    assert not C._setr_band(records).held  # 10%: now the smallest



def test_dpt_claims_on_hand_made_records():
    def depth(label, seed, abs_rel, band):
        return run(label, seed, abs_rel=abs_rel, abs_rel_band=band)

    records = {"dpt": [depth("dpt", k, 0.03 + 0.001 * k, 0.16) for k in range(3)] + [depth("setr", k, 0.10, 0.30) for k in range(3)]}
    out = C._ratio(("dpt", "dpt"), ("dpt", "setr"), "abs_rel", 0.5, ("DPT", "SETR"), "AbsRel")(records)
    assert out.held and "0.31 times" in out.result
    band = C._ratio(("dpt", "dpt"), ("dpt", "setr"), "abs_rel_band", 0.5, ("DPT", "SETR"), "band")
    assert not band(records).held  # 0.16 / 0.30 = 0.53: just past half
    records["dpt_readout"] = [depth("dpt_ignore", k, 0.029, 0) for k in range(3)] + [depth("dpt_add", k, 0.033, 0) for k in range(3)]
    assert C._readouts(records).held  # project 0.031, ignore 0.029, add 0.033: within 0.004
    records["dpt_readout"][3]["scores"]["test"]["abs_rel"] = 0.045  # add's mean rises to 0.037: 0.008 apart
    assert not C._readouts(records).held

    def seg(label, seed, band, away):
        return run(label, seed, miou=(band + away) / 2, miou_band=band, miou_interior=away)

    records = {"dpt_segmentation": [seg("dpt", k, 0.72, 0.90) for k in range(3)], "setr": [seg("naive", k, 0.40, 0.60) for k in range(3)]}
    assert C._dpt_band(records).held  # 20% against 33%
    records["setr"] = [seg("naive", k, 0.50, 0.60) for k in range(3)]
    assert not C._dpt_band(records).held  # 20% against 17%

def test_every_claim_names_studies_that_exist_and_chapters_one_to_ten():
    assert sorted({c.chapter for c in C.CLAIMS}) == list(range(1, 11))
    for claim in C.CLAIMS:
        for study in claim.studies:
            assert study in RECIPES, study
    with pytest.raises(ValueError, match="either a measure"):
        C.Claim(1, "p", "t")


def test_the_table_from_the_shipped_records():
    rows = C.verdicts()
    assert len(rows) == len(C.CLAIMS)
    assert {r.verdict for r in rows} <= {"held", "did not hold", "inconclusive", "no record"}
    for row in rows:
        if row.claim.measure is None:
            assert row.verdict == "no record" and row.result == row.claim.missing
    table = C.markdown_table(rows)
    assert table.count("\n") == len(rows) + 1
    assert sum(r.verdict != "no record" for r in rows) >= 13  # chapters 05-08 have records


def test_manifest_entries_go_to_the_recipe_that_tests_each_claim():
    measure = lambda r: C.Measured("x", True)  # noqa: E731
    own = C.Claim(3, "p", "t", ("a", "b"), measure, recipe="b")
    first = C.Claim(3, "q", "u", ("a",), measure)
    assert own.owner == "b" and first.owner == "a"
    with pytest.raises(ValueError, match="not among the studies"):
        C.Claim(3, "p", "t", ("a",), measure, recipe="c")
    rows = [C.Verdict(own, "0.9 ± 0.1", "held"), C.Verdict(first, "0.5", "inconclusive"), C.Verdict(C.Claim(4, "r", "v", missing="not run"), "not run", "no record")]
    entries = C.manifest_entries(rows)
    assert set(entries) == {"a", "b"}  # the claim without a record goes nowhere
    assert entries["b"] == [{"chapter": 3, "claim": "p", "test": "t", "reads": ["a", "b"], "result": "0.9 ± 0.1", "verdict": "held"}]
    assert entries["a"][0]["verdict"] == "inconclusive"


def test_every_shipped_manifest_carries_its_claims_as_the_records_give_them_now():
    from vitlite.recipes.runner import manifest

    entries = C.manifest_entries(C.verdicts())
    stale = []
    for name in RECIPES:
        try:
            record = manifest(name)
        except FileNotFoundError:
            assert name not in entries
            continue
        if record.get("claims") != entries.get(name):
            stale.append(name)
    assert not stale, f"manifests out of date with their records: {stale}; run `python -m vitlite.recipes.claims --write`"
    assert sum(len(v) for v in entries.values()) == sum(r.verdict != "no record" for r in C.verdicts())


def test_outline_heads_summary_applies_every_threshold():
    import torch

    from vitlite.recipes.classic import OUTLINE_HEADS

    def fake(alpha, shift, mass_before=0.1, mass_after=0.7, f1=0.8):
        return {"seed": 0, "alpha": torch.tensor(alpha), "shift": torch.tensor(shift), "before": {"mass": torch.tensor([mass_before]), "F1": 0.2}, "after": {"mass": torch.tensor([mass_after]), "F1": f1}}

    near = [[0.0, 1.0], [1.0, 0.0], [-1.0, 0.0], [0.0, -1.0], [3.0, 3.0]]
    good = OUTLINE_HEADS.summary(fake([5.0, 5.0, 5.0, 5.0, 1.0], near))
    assert good["held"] and good["sharp_heads"] == 4 and good["farthest_sharp_px"] == 1.0 and good["taps"] == [(-1, 0), (0, -1), (0, 1), (1, 0)]
    assert not OUTLINE_HEADS.summary(fake([5.0, 5.0, 5.0, 1.0, 1.0], near))["held"]  # three sharp heads
    assert not OUTLINE_HEADS.summary(fake([5.0] * 5, near))["held"]  # a sharp head 3 px away
    assert not OUTLINE_HEADS.summary(fake([5.0, 5.0, 5.0, 5.0, 1.0], near, mass_before=0.5))["held"]  # gained only 0.2
    assert not OUTLINE_HEADS.summary(fake([5.0, 5.0, 5.0, 5.0, 1.0], near, f1=0.5))["held"]
