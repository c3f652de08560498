"""Helpers the chapters 02-04 lean on: reading a ViT, soft-split footprints, profiling, checkpoints, explorers, checkers."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from einops import rearrange

import vitlite
from vitlite import checks
from vitlite.checks import CORRECT, NOT_ATTEMPTED, WRONG
from vitlite.models import swin
from vitlite.models.t2t import soft_split_footprint
from vitlite.models.vit import (
    attention_rollout,
    collect_attention,
    mean_attention_distance,
    patchify,
    pos_embed_similarity,
    resample_pos_embed,
    uniform_attention_distance,
    unpatchify,
)
from vitlite.profile import measure, saved_bytes
from vitlite.recipes import load_checkpoint, save_checkpoint


# ------------------------------------------------------------------ reading a ViT
def test_rollout_of_identity_attention_is_identity_and_rows_sum_to_one():
    eye = torch.eye(5).expand(2, 3, 5, 5)
    assert torch.allclose(attention_rollout([eye, eye]), torch.eye(5).expand(2, 5, 5))
    maps = [torch.softmax(torch.randn(2, 3, 5, 5), -1) for _ in range(3)]
    rolled = attention_rollout(maps)
    assert torch.allclose(rolled.sum(-1), torch.ones(2, 5), atol=1e-5)
    a = 0.5 * maps[0].mean(1) + 0.5 * torch.eye(5)  # one layer by hand
    assert torch.allclose(attention_rollout(maps[:1]), a / a.sum(-1, keepdim=True), atol=1e-6)
    with pytest.raises(ValueError):
        attention_rollout([])
    with pytest.raises(ValueError, match="head_fusion"):
        attention_rollout(maps, head_fusion="median")


def test_mean_attention_distance_on_hand_made_maps():
    grid, p, n = (3, 3), 4, 9
    # Head 0 attends to itself only: distance 0. Head 1 attends to the patch to its right where there is
    # one (else to itself): 6 of 9 queries move one patch (4 px). Head 2 is uniform over the patches.
    a = torch.zeros(1, 3, 1 + n, 1 + n)
    a[0, 0, 1:, 1:] = torch.eye(n)
    for q in range(n):
        a[0, 1, 1 + q, 1 + (q + 1 if q % 3 < 2 else q)] = 1.0
    a[0, 2, 1:, 1:] = 1.0 / n
    a[:, :, :, 0] = 0.5  # weight on the class token is ignored: rows are renormalised over the patches
    d = mean_attention_distance([a], grid, p)
    assert d.shape == (1, 3)
    assert torch.allclose(
        d[0], torch.tensor([0.0, 6 / 9 * 4, uniform_attention_distance(grid, p)], dtype=torch.float32), atol=1e-5
    )
    with pytest.raises(ValueError, match="does not match"):
        mean_attention_distance([a], (4, 4), p)


def test_pos_embed_similarity():
    pos = torch.randn(1, 1 + 12, 8)
    sim = pos_embed_similarity(pos, (3, 4))
    assert sim.shape == (3, 4, 3, 4)
    assert torch.allclose(sim[1, 2, 1, 2], torch.tensor(1.0), atol=1e-5)
    a, b = pos[0, 1 + 1 * 4 + 2], pos[0, 1 + 2 * 4 + 0]
    assert torch.allclose(sim[1, 2, 2, 0], F.cosine_similarity(a, b, dim=0), atol=1e-5)


def test_collect_attention_and_patchify_round_trip():
    model = vitlite.create_model("vit_tiny_shapes").train()
    maps = collect_attention(model, torch.randn(2, 3, 32, 32))
    assert len(maps) == 4 and maps[0].shape == (2, 4, 65, 65)
    assert model.training  # the mode it had is restored
    x = torch.randn(2, 3, 8, 12)
    assert torch.equal(unpatchify(patchify(x, 4), 4, (2, 3)), x)


def test_resample_pos_embed_keeps_class_token_and_is_identity_on_same_grid():
    pos = torch.randn(1, 1 + 16, 6)
    assert resample_pos_embed(pos, (4, 4)) is pos
    out = resample_pos_embed(pos, (6, 5))
    assert out.shape == (1, 31, 6) and torch.equal(out[:, 0], pos[:, 0])
    with pytest.raises(ValueError, match="square"):
        resample_pos_embed(torch.randn(1, 1 + 12, 6), (4, 4))


# ------------------------------------------------------------------ T2T footprints
def test_footprint_stage0_is_one_window():
    fp = soft_split_footprint(32, (7, 3, 3), (4, 2, 2), (2, 1, 1), stage=0, row=2, col=3)
    ys, xs = torch.nonzero(fp, as_tuple=True)
    assert fp.sum() == 49 and (ys.min(), ys.max(), xs.min(), xs.max()) == (6, 12, 10, 16)  # rows 2*4-2.., cols 3*4-2..


def test_footprints_grow_and_overlap():
    sizes, shared = [], []
    for stage in range(3):
        a = soft_split_footprint(128, (7, 3, 3), (4, 2, 2), (2, 1, 1), stage, 3, 3) > 0
        b = soft_split_footprint(128, (7, 3, 3), (4, 2, 2), (2, 1, 1), stage, 3, 4) > 0
        sizes.append(int(a.sum()))
        shared.append(int((a & b).sum()))
    assert sizes[0] < sizes[1] < sizes[2] and all(s > 0 for s in shared)
    with pytest.raises(ValueError, match="outside"):
        soft_split_footprint(32, (7, 3, 3), (4, 2, 2), (2, 1, 1), stage=2, row=5, col=0)


# ------------------------------------------------------------------ profiling
def test_saved_bytes_of_a_matmul_counts_both_inputs_once():
    a = torch.randn(64, 32, requires_grad=True)
    b = torch.randn(32, 16, requires_grad=True)
    assert saved_bytes(lambda: a @ b) == (64 * 32 + 32 * 16) * 4
    assert saved_bytes(lambda: (a @ b).sum()) == (64 * 32 + 32 * 16) * 4


def test_measure_reports_time_and_quadratic_attention_memory():
    attn = vitlite.layers.Attention(16, num_heads=2)
    small = measure(lambda: attn(torch.randn(1, 64, 16, requires_grad=True), return_attention=True), repeats=1)
    large = measure(lambda: attn(torch.randn(1, 256, 16, requires_grad=True), return_attention=True), repeats=1)
    assert small.seconds > 0 and small.megabytes > 0
    assert large.memory_bytes / small.memory_bytes > 8  # 4x the tokens: the attention matrices grow 16x


# ------------------------------------------------------------------ checkpoints
def test_checkpoint_round_trip(tmp_path, monkeypatch):
    import vitlite.recipes as recipes

    model = vitlite.create_model("vit_tiny_shapes", num_classes=3)
    path = tmp_path / "checkpoints" / "demo" / "model.pt"
    save_checkpoint(model, path, model_name="vit_tiny_shapes", model_kwargs={"num_classes": 3}, meta={"n": 7})
    monkeypatch.setattr(recipes.runner, "asset_path", lambda *parts: tmp_path.joinpath(*parts))
    loaded, meta = load_checkpoint("demo", "model.pt")
    assert meta == {"n": 7} and not loaded.training
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        model.eval()
        assert torch.allclose(loaded(x), model(x), atol=5e-2)  # float16 storage: close, not equal
    blob = torch.load(path, weights_only=True)
    assert all(v.dtype == torch.float16 for v in blob["state_dict"].values() if v.is_floating_point())


def test_data_hunger_settings_are_consistent():
    from vitlite.recipes import DATA_HUNGER

    assert list(DATA_HUNGER.sizes) == sorted(DATA_HUNGER.sizes)
    assert DATA_HUNGER.checkpoint("vit_tiny_shapes", 1000) == "vit_tiny_shapes_n1000.pt"
    assert len(DATA_HUNGER.train_set(10)) == 10 and DATA_HUNGER.test_set().task == "classification"


# ------------------------------------------------------------------ explorers
def test_explorers_render(monkeypatch):
    from vitlite.explore import shifted_window_explorer, soft_split_explorer, vit_attention_explorer

    model = vitlite.create_model("vit_tiny_shapes")
    images = torch.rand(3, 3, 32, 32)
    e = vit_attention_explorer(model, images, ["a", "b", "c"])
    for query in (-1, 0, 63):
        assert e.figure(image=1, layer=2, head=-1, query=query)._repr_png_().startswith(b"\x89PNG")
    assert e.figure(head=3)._repr_png_().startswith(b"\x89PNG")
    with pytest.raises(ValueError):
        e.figure(query=64)
    with pytest.raises(ValueError, match="batch"):
        vit_attention_explorer(model, images[0])
    s = soft_split_explorer(torch.rand(3, 64, 64), vit_patch=8)
    assert s.figure(y=0, x=63)._repr_png_().startswith(b"\x89PNG")
    w = shifted_window_explorer(torch.rand(3, 64, 64), grid=8, window_size=4)
    for shift in (0, 1, 2, 3):
        assert w.figure(shift=shift, window=3, query=15)._repr_png_().startswith(b"\x89PNG")
    with pytest.raises(ValueError, match="multiple"):
        shifted_window_explorer(torch.rand(3, 64, 64), grid=6, window_size=4)


# ------------------------------------------------------------------ checkers of chapters 02-04
def _not_implemented(*args):
    raise NotImplementedError


RIGHT = {
    "patchify": lambda x, p: rearrange(x, "b c (h p1) (w p2) -> b (h w) (p1 p2 c)", p1=p, p2=p),
    "resize_pos_embed": lambda pos, grid: torch.cat(
        [
            pos[:, :1],
            rearrange(
                F.interpolate(
                    rearrange(pos[:, 1:], "1 (h w) d -> 1 d h w", h=math.isqrt(pos.shape[1] - 1)),
                    size=grid,
                    mode="bicubic",
                    align_corners=False,
                ),
                "1 d h w -> 1 (h w) d",
            ),
        ],
        1,
    ),
    "pool_tokens": lambda t, mode: t[:, 0] if mode == "token" else t[:, 1:].mean(1),
    "soft_split_tokens": lambda n, k, s, p: ((n + 2 * p - k) // s + 1) ** 2,
    "soft_split": lambda x, k, s, p: F.unfold(x, k, stride=s, padding=p).transpose(1, 2),
    "restructurize": lambda t: rearrange(t, "b (h w) c -> b c h w", h=math.isqrt(t.shape[1])),
    "shifted_window_mask": swin.shifted_window_mask,
    "relative_position_index": swin.relative_position_index,
}
WRONG_ANSWERS = {
    "patchify": lambda x, p: rearrange(x, "b c (h p1) (w p2) -> b (h w) (c p1 p2)", p1=p, p2=p),  # channels first
    "resize_pos_embed": lambda pos, grid: pos,
    "pool_tokens": lambda t, mode: t[:, 0] if mode == "token" else t.mean(1),  # includes the class token
    "soft_split_tokens": lambda n, k, s, p: (n + 2 * p - k) // s + 1,  # the side, not the count
    "soft_split": lambda x, k, s, p: F.unfold(x, k, stride=s, padding=p),  # not transposed
    "restructurize": lambda t: rearrange(t, "b (w h) c -> b c h w", h=math.isqrt(t.shape[1])),  # transposed grid
    "shifted_window_mask": lambda h, w, m, s: torch.zeros_like(swin.shifted_window_mask(h, w, m, s)),
    "relative_position_index": lambda m: swin.relative_position_index(m).T.contiguous() * 0,
}


@pytest.mark.parametrize("name", sorted(RIGHT))
def test_checkers_right_wrong_unattempted(name):
    check = getattr(checks, name)
    assert check(RIGHT[name]).status == CORRECT, str(check(RIGHT[name]))
    wrong = check(WRONG_ANSWERS[name])
    assert wrong.status == WRONG and wrong.message, str(wrong)
    assert check(None).status == NOT_ATTEMPTED
    assert check(_not_implemented).status == NOT_ATTEMPTED


def test_window_partition_checker_takes_two_functions():
    right = checks.window_partition(swin.window_partition, swin.window_reverse)
    assert right.status == CORRECT
    assert checks.window_partition(swin.window_partition, None).status == NOT_ATTEMPTED
    assert checks.window_partition(swin.window_partition, _not_implemented).status == NOT_ATTEMPTED
    wrong = checks.window_partition(
        lambda x, m: rearrange(x, "b (nh m1) (nw m2) c -> (b nw nh) (m1 m2) c", m1=m, m2=m), swin.window_reverse
    )
    assert wrong.status == WRONG and "windows" in wrong.message


# ------------------------------------------------------------------ shared chapter cells
def test_compare_with_transformers(capsys):
    pytest.importorskip("transformers")
    from vitlite.hub import compare_with_transformers

    def build(t):
        return t.ViTForImageClassification(
            t.ViTConfig(
                image_size=32,
                patch_size=8,
                hidden_size=32,
                num_hidden_layers=1,
                num_attention_heads=2,
                intermediate_size=64,
                num_labels=3,
                attn_implementation="eager",
            )
        )

    diff = compare_with_transformers(build, torch.randn(2, 3, 32, 32), "tiny ViT")
    assert diff is not None and diff < 1e-5
    assert "tiny ViT" in capsys.readouterr().out


def test_compare_with_transformers_without_transformers(monkeypatch, capsys):
    import sys

    from vitlite.hub import compare_with_transformers

    monkeypatch.setitem(sys.modules, "transformers", None)  # makes "import transformers" fail
    assert compare_with_transformers(lambda t: None, torch.randn(1), "anything") is None
    assert "not installed" in capsys.readouterr().out


def test_plot_losses():
    from vitlite.train import History

    runs = {"a": History(step=[1, 2, 3], loss=[3.0, 2.0, 1.0]), "b": History(step=[1, 2], loss=[1.0, 0.5])}
    fig = vitlite.viz.plot_losses(runs, title="t")
    assert [line.get_label() for line in fig.axes[0].get_lines()] == ["a", "b"]


def test_recipe_runners_save_what_the_chapters_load(tmp_path, monkeypatch, capsys):
    """Both runners on tiny settings: one checkpoint per run, loadable, with the run's record as its meta."""
    import vitlite.recipes as recipes

    small = recipes.DataHunger(sizes=(8, 16), steps=2, batch_size=4)
    monkeypatch.setattr(recipes.classic, "DATA_HUNGER", small)
    tiny = recipes.Comparison(
        entries=(
            recipes.Entry("a", "vit_tiny_shapes", (("depth", 1),), steps=2),
            recipes.Entry("b", "resnet_tiny_shapes", steps=3),
        ),
        variants=("texture",),
        n=8,
        batch_size=4,
    )
    monkeypatch.setattr(recipes.runner, "asset_path", lambda *parts: tmp_path.joinpath(*parts[1:]))
    hunger = recipes.data_hunger(tmp_path / "data_hunger")
    comparison = recipes.comparison(tiny)(tmp_path / "tiny")
    assert [(r["model"], r["n"]) for r in hunger["runs"]] == [(m, n) for n in (8, 16) for m in small.models]
    assert [(r["label"], r["variant"], r["steps"]) for r in comparison["runs"]] == [
        ("a", "texture", 2),
        ("b", "texture", 3),
    ]
    for run in comparison["runs"]:
        model, meta = recipes.load_checkpoint("tiny", tiny.checkpoint(run["label"], run["variant"]))
        assert meta == run and model(torch.rand(2, 3, 32, 32)).shape == (2, len(tiny.test_set("texture").classes))
    model, meta = recipes.load_checkpoint("data_hunger", small.checkpoint("vit_tiny_shapes", 16))
    assert meta["n"] == 16 and meta["cpu_seconds"] >= 0 and not model.training
    assert "final loss" in capsys.readouterr().out


def test_provenance_names_command_and_both_times():
    from vitlite.recipes import provenance

    line = provenance(
        {
            "command": "python -m vitlite.recipes x",
            "date": "2026-01-02",
            "wall_seconds": 600,
            "cpu_seconds": 1140,
            "threads": 2,
            "torch": "2.13.0",
        }
    )
    assert "`python -m vitlite.recipes x`" in line and "10 min wall" in line and "19 min CPU on 2 threads" in line
    assert line.startswith("records made by")  # no run kept a checkpoint
    line = provenance(
        {
            "command": "c",
            "date": "d",
            "wall_seconds": 60,
            "cpu_seconds": 60,
            "threads": 1,
            "torch": "t",
            "runs": [{"seed": 0, "checkpoint": "a.pt"}, {"seed": 1}],
        }
    )
    assert line.startswith("checkpoints made by")


def test_study_curves_with_extra_metric_panels():
    from vitlite import viz

    history = {
        "step": [1, 2, 3],
        "loss": [3.0, 2.0, 1.0],
        "eval_step": [2, 3],
        "metrics": {"AP": [0.1, 0.2], "AP_small": [0.0, 0.1]},
    }
    records = [{"label": arm, "seed": s, "best_step": 3, "history": history} for arm in ("a", "b") for s in (0, 1)]
    fig = viz.plot_study_curves(records, "AP", also=("AP_small",))
    assert len(fig.axes) == 3 and fig.axes[2].get_ylabel() == "validation AP_small"
    assert len(fig.axes[2].lines) == 4  # one line per run
    with pytest.raises(ValueError, match="AP_large"):
        viz.plot_study_curves(records, "AP", also=("AP_large",))


def test_describe_prints_provenance_then_the_fixed_expectation():
    from vitlite.recipes import describe

    record = {
        "command": "c",
        "date": "d",
        "wall_seconds": 60,
        "cpu_seconds": 60,
        "threads": 1,
        "torch": "t",
        "expectation": "word " * 40,
        "expectation_fixed": "2026-12-06",
    }
    lines = describe(record, width=50).splitlines()
    assert lines[0].startswith("records made by `c`") and lines[1] == "expectation, fixed on 2026-12-06:"
    assert all(len(line) <= 50 for line in lines[2:]) and " ".join(lines[2:]).split() == ["word"] * 40
    with pytest.raises(KeyError, match="no expectation"):
        describe({k: v for k, v in record.items() if not k.startswith("expectation")})
