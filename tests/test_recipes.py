"""The study runner on tiny settings (arms x seeds, records, shards, resuming, manifests), and the
command line; plus every checkpoint a study ships, scored again on its regenerated test set."""

from __future__ import annotations

import json

import pytest
import torch

import vitlite.recipes as recipes
from vitlite.recipes import Arm, Study, summarize
from vitlite.recipes.registry import RECIPES


def tiny_study(**overrides) -> Study:
    settings = dict(
        name="tiny",
        task="classification",
        variant="count",
        arms=(Arm("a", "resnet_tiny_shapes", (("widths", (8, 8, 8)),)), Arm("b", "vit_tiny_shapes", (("depth", 1),))),
        seeds=(0, 1),
        n_train=32,
        n_val=16,
        n_test=16,
        n_score=16,
        steps=4,
        eval_every=2,
        batch_size=8,
        expectation="a beats b",
        expectation_fixed="2026-01-01",
    )
    return Study(**{**settings, **overrides})


@pytest.fixture
def assets(tmp_path, monkeypatch):
    monkeypatch.setattr(recipes.runner, "asset_path", lambda *parts: tmp_path.joinpath(*parts))
    return tmp_path


def test_study_runs_every_arm_and_seed_and_writes_a_manifest(assets, capsys):
    study = tiny_study()
    out = assets / "checkpoints" / "tiny"
    record = study.run(out)
    assert [(r["label"], r["seed"]) for r in record["runs"]] == [("a", 0), ("a", 1), ("b", 0), ("b", 1)]
    assert record["expectation"] == "a beats b" and record["expectation_fixed"] == "2026-01-01"
    assert record["settings"]["arms"][0]["model_kwargs"] == {"widths": (8, 8, 8)}
    assert sorted(p.name for p in out.glob("*.pt")) == ["a.pt", "b.pt"]  # one checkpoint per arm: its first seed
    for run in record["runs"]:
        assert set(run["scores"]) == {"train", "val", "test"} and 0 <= run["scores"]["test"]["accuracy"] <= 1
        assert run["best_step"] in (2, 4) and run["steps"] == 4 and "history" not in run
    results = study.results()
    assert len(results) == 4 and results[0]["history"]["eval_step"] == [2, 4]
    model, meta = study.load("a")
    assert meta["seed"] == 0 and not model.training and model(torch.rand(2, 3, 32, 32)).shape == (2, 3)
    summary = summarize(results, "accuracy")
    assert set(summary) == {"a", "b"} and len(summary["a"]["values"]) == 2
    assert abs(summary["a"]["mean"] - sum(summary["a"]["values"]) / 2) < 1e-9
    assert "best step" in capsys.readouterr().out


def test_study_shards_and_resumes(assets, capsys):
    study = tiny_study()
    out = assets / "checkpoints" / "tiny"
    assert study.run(out, shard=(0, 2)) is None  # half the runs: no manifest yet
    assert "2 runs still to do" in capsys.readouterr().out
    done = sorted(p.name for p in out.glob("*.json"))
    assert done == ["a_seed0.json", "b_seed0.json"]
    before = (out / "a_seed0.json").read_text()
    record = study.run(out, shard=(1, 2))
    assert record is not None and len(record["runs"]) == 4
    assert (out / "a_seed0.json").read_text() == before  # not trained again


def test_the_seed_fixes_the_run(assets):
    study = tiny_study(arms=(Arm("a", "resnet_tiny_shapes", (("widths", (8, 8, 8)),)),), seeds=(0,))
    first, _ = study.train("a", 0, progress=False)
    second, _ = study.train("a", 0, progress=False)
    third, _ = study.train("a", 1, progress=False)
    flat = lambda m: torch.cat([p.detach().flatten() for p in m.parameters()])  # noqa: E731
    assert torch.equal(flat(first), flat(second)) and not torch.equal(flat(first), flat(third))


def test_segmentation_study(assets):
    study = tiny_study(
        task="segmentation",
        variant=None,
        arms=(Arm("s", "mobilevit_deeplabv3_tiny_shapes", (("img_size", 32),)),),
        seeds=(0,),
        world=(("image_size", 32),),
    )
    record = study.run(assets / "checkpoints" / "tiny")
    scores = record["runs"][0]["scores"]["test"]
    assert set(scores) >= {"miou", "pixel_accuracy", "miou_band", "miou_interior"} and 0 <= scores["miou"] <= 1


def test_detection_study_with_per_arm_learning_rates(assets):
    study = tiny_study(
        task="detection",
        variant=None,
        world=(("image_size", 64),),
        seeds=(0,),
        arms=(
            Arm("detr", "detr_tiny_shapes", (("dim", 32), ("ffn_dim", 32), ("num_heads", 2)), lr=1e-4),
            Arm("dense", "dense_tiny_shapes", (("width", 16),), lr=1e-3),
        ),
        steps=2,
        eval_every=2,
    )
    record = study.run(assets / "checkpoints" / "tiny")
    assert {r["label"] for r in record["runs"]} == {"detr", "dense"}
    assert set(record["runs"][0]["scores"]["test"]) >= {"AP", "AP50", "AP75", "AP_small", "AP_large", "AR100"}
    assert [a["lr"] for a in record["settings"]["arms"]] == [1e-4, 1e-3]


def test_study_train_is_the_recipe_run_shortened_for_a_live_demo():
    study = tiny_study(steps=6)
    model, history = study.train("a", seed=0, steps=4, n_val=8, eval_every=2)
    assert history.eval_step == [2, 4] and history.best_step in (2, 4) and "accuracy" in history.metrics
    _, quiet = study.train("a", seed=0, steps=4, evaluate=False)
    assert quiet.eval_step == [] and quiet.steps_done == 4
    assert quiet.loss == history.loss  # the same model, batches and optimiser: the same run, evaluated or not
    own = study.build("a", seed=0)
    calls = []
    _, mine = study.train(
        "a", seed=0, steps=4, eval_every=2, model=own, eval_fn=lambda m: calls.append(1) or {"x": 1.0}
    )
    assert mine.metrics == {"x": [1.0, 1.0]} and mine.best_step == 0 and len(calls) == 2 and mine.loss == history.loss
    with pytest.raises(ValueError, match="not both"):
        study.train("a", seed=0, eval_fn=lambda m: {"x": 1.0}, evaluate=False)


def test_dino_study_trains_with_targets_and_records_matching_instability(assets):
    small = (("dim", 32), ("ffn_dim", 32), ("num_heads", 2))
    study = tiny_study(
        task="detection",
        variant=None,
        world=(("image_size", 64),),
        seeds=(0,),
        arms=(
            Arm("dino", "dino_tiny_shapes", small),
            Arm("plain", "dino_tiny_shapes", small + (("denoising", False),)),
        ),
        steps=2,
        eval_every=1,
    )
    record = study.run(assets / "checkpoints" / "tiny")
    for run in study.results():
        shares = run["history"]["metrics"]["instability"]
        assert len(shares) == len(run["history"]["eval_step"]) and all(0 <= s <= 1 for s in shares)
    assert {r["label"] for r in record["runs"]} == {"dino", "plain"}


def test_matching_instability_counts_changed_assignments():
    from vitlite.recipes.runner import MatchingInstability

    class Fake(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(1))
            self.answers = [
                [torch.tensor([0, 1]), torch.tensor([2])],
                [torch.tensor([0, 1]), torch.tensor([3])],
                [torch.tensor([1, 0]), torch.tensor([3])],
            ]

        def assign(self, images, targets):
            return self.answers.pop(0)

    class Data:
        images = torch.zeros(2, 3, 8, 8)

        def __len__(self):
            return 2

        def __getitem__(self, i):
            return self.images[i], {"labels": torch.zeros(2 - i, dtype=torch.long), "boxes": torch.zeros(2 - i, 4)}

    probe = MatchingInstability(Fake(), Data(), n=2)
    fake = Fake()
    fake.answers = fake.answers[1:]
    assert probe(fake) == pytest.approx(1 / 3)  # image 1's object moved to another query
    assert probe(fake) == pytest.approx(2 / 3)  # image 0's two objects swapped queries


def test_depth_study_keeps_the_smallest_abs_rel_and_scores_the_band(assets):
    arms = (
        Arm(
            "dpt",
            "dpt_depth_tiny_shapes",
            (
                ("embed_dim", 32),
                ("depth", 4),
                ("hooks", (0, 1, 2, 3)),
                ("neck_channels", (8, 8, 16, 16)),
                ("fusion_channels", 8),
            ),
        ),
        Arm("setr", "setr_naive_tiny_shapes", (("num_classes", 1), ("embed_dim", 32), ("depth", 2))),
    )
    study = tiny_study(
        task="depth", variant=None, world=(("image_size", 64),), seeds=(0,), arms=arms, steps=3, eval_every=1
    )
    record = study.run(assets / "checkpoints" / "tiny")
    for run in study.results():
        history = run["history"]["metrics"]["abs_rel"]
        assert run["scores"]["val"]["abs_rel"] == pytest.approx(
            min(history), abs=1e-3
        )  # the kept step is the smallest (histories are rounded)
        assert {"abs_rel_band", "delta1_interior"} <= set(run["scores"]["test"])
    assert len(record["runs"]) == 2


def test_study_errors():

    with pytest.raises(ValueError, match="arm labels must be unique"):
        tiny_study(arms=(Arm("a", "vit_tiny_shapes"), Arm("a", "vit_tiny_shapes")))
    with pytest.raises(ValueError, match="has no arm 'c'"):
        tiny_study().arm("c")
    with pytest.raises(ValueError, match="split must be one of"):
        tiny_study().dataset("holdout")


def test_command_line_lists_and_rejects(capsys):
    assert recipes.main(["--list"]) == 0
    listed = capsys.readouterr().out
    assert "mobilevit " in listed and "data_hunger" in listed
    with pytest.raises(SystemExit):
        recipes.main(["nope"])
    with pytest.raises(SystemExit):
        recipes.main(["mobilevit", "--shard", "2/2"])


STUDIES = [r.study for r in RECIPES.values() if r.study is not None and r.study.save_checkpoints]


@pytest.mark.slow
@pytest.mark.parametrize("study", STUDIES, ids=lambda s: s.name)
def test_shipped_checkpoints_score_what_their_records_say(study):
    """Each arm's checkpoint (float16 weights) on its test set generated again here: the recorded score."""
    from vitlite.assets import asset_path
    from vitlite.recipes.runner import TASKS

    try:
        asset_path(f"checkpoints/{study.name}/manifest.json")
    except FileNotFoundError:
        pytest.skip(f"{study.name}: not trained yet (no manifest); `python -m vitlite.recipes {study.name}` makes it")
    primary = TASKS[study.task].primary
    for arm in study.arms:
        model, meta = study.load(arm.label)
        score = study.scores(model, "test")[primary]
        assert abs(score - meta["scores"]["test"][primary]) < 0.005, (
            f"{study.name}/{arm.label}: {score:.4f} now, {meta['scores']['test'][primary]:.4f} recorded"
        )
    manifest = recipes.manifest(study.name)
    assert manifest["expectation"] == study.expectation and len(manifest["runs"]) == len(study.arms) * len(study.seeds)
    assert json.loads(json.dumps(manifest["settings"]))["steps"] == study.steps


def test_study_with_arms_of_their_own_size_augmentation_and_patience(assets):
    study = tiny_study(
        arms=(
            Arm("small", "resnet_tiny_shapes", (("widths", (8, 8, 8)),), n_train=12),
            Arm("all", "resnet_tiny_shapes", (("widths", (8, 8, 8)),)),
        ),
        seeds=(0,),
        steps=12,
        eval_every=2,
        patience=1,
        augment=(("shift", 2), ("flip", True)),
    )
    record = study.run(assets / "checkpoints" / "tiny")
    small, full = record["runs"]
    assert small["n_train"] == 12 and full["n_train"] == 32
    assert record["settings"]["arms"][0]["n_train"] == 12 and "n_train" not in record["settings"]["arms"][1]
    assert record["settings"]["patience"] == 1 and record["settings"]["augment"] == (("shift", 2), ("flip", True))
    for run in (small, full):
        assert run["stopped_by_patience"] == (run["steps"] < 12)
    seen, original = [], study.scores  # watch which images the run is scored on
    object.__setattr__(
        study, "scores", lambda model, split, n=None: (seen.append((split, n)), original(model, split, n))[1]
    )
    study.run_one(assets / "again", study.arm("small"), 0)
    assert ("train", 12) in seen  # an arm's own training images, not the study's first n_score


def test_study_rejects_bad_sizes_and_augmentation():
    with pytest.raises(ValueError, match="an arm's n_train must be between 1 and the study's n_train"):
        tiny_study(arms=(Arm("a", "vit_tiny_shapes", n_train=100),))
    with pytest.raises(ValueError, match=r"augment takes the settings of vitlite.data.Augment \(shift, flip\)"):
        tiny_study(augment=(("shfit", 2),))
    with pytest.raises(ValueError, match="augment only suits classification"):
        tiny_study(task="segmentation", variant=None, augment=(("shift", 2),))
