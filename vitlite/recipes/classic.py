"""The recipes of chapters 01-04. Chapter 01's experiment (:class:`OutlineHeads`) runs live in the
chapter; its recipe runs the same code and keeps only a record of what came out, for chapter 10's table
of claims. Chapters 02-04: one model per setting, one seed each (issue 15 brings them up to the rules of
evidence that :class:`vitlite.recipes.runner.Study` follows)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch
from torch import nn

from vitlite.data import ShapesDataset, ShapesWorld
from vitlite.recipes.runner import _train_and_save, train_classifier
from vitlite.train import History

__all__ = [
    "OutlineHeads",
    "OUTLINE_HEADS",
    "outline_heads",
    "DataHunger",
    "DATA_HUNGER",
    "Entry",
    "Comparison",
    "SOFT_SPLIT",
    "WINDOWS",
    "data_hunger",
    "comparison",
]


# ------------------------------------------------------------------ chapter 01
@dataclass(frozen=True)
class OutlineHeads:
    """Chapter 01: one layer of nine quadratic heads (``attnconv_edges``) on raw pixels learns to mark the
    outlines of ShapesWorld scenes; do its heads become the taps of a small convolution?

    Per seed: test F1 of the outlines, the share of attention inside the query's 3x3 window (mean over
    heads) before and after, the heads that became sharp (alpha above ``sharp_alpha``) and how far the
    farthest of them sits from its query. ``expectation`` holds the thresholds the chapter asserts."""

    seeds: tuple[int, ...] = (0, 1, 2)
    steps: int = 600
    lr: float = 1e-2
    batch_size: int = 32
    n_train: int = 2048
    n_test: int = 512
    eval_every: int = 150
    sharp_alpha: float = 3.0
    min_f1: float = 0.6
    min_mass: float = 0.5
    min_mass_gain: float = 0.25
    min_sharp: int = 4
    max_offset: float = 1.5
    metric: str = "F1"  # the score evaluated every ``eval_every`` steps (the end-point check reads its curve)
    expectation_fixed: str = "2026-12-02"
    expectation: str = (
        "In every one of three seeds: the outlines are learned (test F1 above 0.6); attention gathers in the query's "
        "3x3 window (mean share above 0.5 and at least 0.25 above its start); at least four of the nine heads become "
        "sharp (alpha > 3) and none of those sits farther than 1.5 px from its query."
    )

    def data(self) -> tuple[ShapesDataset, ShapesDataset]:
        world = ShapesWorld(image_size=32)
        return world.edges(self.n_train, seed=0), world.edges(self.n_test, seed=1)

    def run(
        self,
        seed: int,
        data: tuple[ShapesDataset, ShapesDataset] | None = None,
        device: torch.device | str | None = None,
        progress: bool = True,
    ) -> dict[str, Any]:
        """Train one seed: the run's model, history and the measurements before and after."""
        import torch.nn.functional as F

        import vitlite
        from vitlite.models.attnconv import centered_maps, window_mass
        from vitlite.train import fit

        train_set, test_set = data or self.data()
        positive = train_set.targets.mean()

        def outline_loss(model: nn.Module, batch: Any) -> torch.Tensor:
            images, outlines = batch  # outline pixels are rare: weigh them up to balance the classes
            return F.binary_cross_entropy_with_logits(model(images), outlines, pos_weight=(1 - positive) / positive)

        def outline_f1(model: nn.Module) -> dict[str, float]:
            predicted = model(test_set.images.to(next(model.parameters()).device)).cpu() > 0
            truth = test_set.targets > 0
            return {"F1": 2 * (predicted & truth).sum().item() / (predicted.sum().item() + truth.sum().item())}

        vitlite.env.seed_everything(seed)
        model = vitlite.create_model("attnconv_edges")
        before = {"maps": centered_maps(model.attn), "mass": window_mass(model.attn), "F1": outline_f1(model)["F1"]}
        history = fit(
            model,
            train_set.loader(self.batch_size, seed=seed),
            steps=self.steps,
            lr=self.lr,
            loss_fn=outline_loss,
            eval_fn=outline_f1,
            eval_every=self.eval_every,
            seed=seed,
            device=device,
            progress=progress,
            desc=f"seed {seed}",
        )
        model.cpu()
        after = {"maps": centered_maps(model.attn), "mass": window_mass(model.attn), "F1": history.final("F1")}
        return {
            "seed": seed,
            "before": before,
            "after": after,
            "alpha": model.attn.alpha.detach(),
            "shift": model.attn.shift.detach(),
            "model": model,
            "history": history,
        }

    def summary(self, run: dict[str, Any]) -> dict[str, Any]:
        """A run's measurements as plain numbers, with whether each threshold held."""
        sharp = run["alpha"] > self.sharp_alpha
        farthest = run["shift"][sharp].abs().max().item() if sharp.any() else float("nan")
        mass_before, mass_after = run["before"]["mass"].mean().item(), run["after"]["mass"].mean().item()
        out = {
            "seed": run["seed"],
            "f1_before": round(run["before"]["F1"], 4),
            "f1_after": round(run["after"]["F1"], 4),
            "mass_before": round(mass_before, 4),
            "mass_after": round(mass_after, 4),
            "sharp_heads": int(sharp.sum()),
            "farthest_sharp_px": round(farthest, 3),
            "taps": sorted({tuple(int(v) for v in t) for t in run["shift"][sharp].round().tolist()}),
        }
        if "history" in run:  # the test F1 at every evaluation, for the end-point check
            history = run["history"]
            out["steps"] = history.steps_done
            out["history"] = {
                "eval_step": history.eval_step,
                "metrics": {self.metric: [round(v, 4) for v in history.metrics[self.metric]]},
            }
        out["held"] = bool(
            out["f1_after"] > self.min_f1
            and mass_after > self.min_mass
            and mass_after > mass_before + self.min_mass_gain
            and out["sharp_heads"] >= self.min_sharp
            and farthest <= self.max_offset
        )
        return out


OUTLINE_HEADS = OutlineHeads()


def outline_heads(out: Path) -> dict[str, Any]:
    cfg = OUTLINE_HEADS
    data = cfg.data()
    runs = [cfg.summary(cfg.run(seed, data, device="cpu")) for seed in cfg.seeds]
    settings = {k: getattr(cfg, k) for k in cfg.__dataclass_fields__ if k not in ("expectation", "expectation_fixed")}
    return {
        "expectation": cfg.expectation,
        "expectation_fixed": cfg.expectation_fixed,
        "settings": settings,
        "runs": runs,
    }


# ------------------------------------------------------------------ chapter 02
@dataclass(frozen=True)
class DataHunger:
    """Chapter 02: a CNN and a ViT of about the same size, trained on growing subsets of ShapesWorld."""

    sizes: tuple[int, ...] = (1000, 3000, 10000, 30000)
    models: tuple[str, ...] = ("resnet_tiny_shapes", "vit_tiny_shapes")
    variant: str = "shape"
    steps: int = 6000
    batch_size: int = 64
    lr: float = 1e-3
    train_seed: int = 0
    test_seed: int = 1
    test_size: int = 2000

    def world(self) -> ShapesWorld:
        return ShapesWorld(image_size=32)

    def train_set(self, n: int) -> ShapesDataset:
        return self.world().classification(n, seed=self.train_seed, variant=self.variant)

    def test_set(self) -> ShapesDataset:
        return self.world().classification(self.test_size, seed=self.test_seed, variant=self.variant)

    @staticmethod
    def checkpoint(model_name: str, n: int) -> str:
        return f"{model_name}_n{n}.pt"


DATA_HUNGER = DataHunger()


def data_hunger(out: Path) -> dict[str, Any]:
    cfg = DATA_HUNGER
    full = cfg.train_set(max(cfg.sizes))  # every smaller set is a prefix of this one
    runs = [
        _train_and_save(
            out / cfg.checkpoint(name, n),
            lambda: train_classifier(
                name,
                full.subset(n),
                steps=cfg.steps,
                seed=cfg.train_seed,
                batch_size=cfg.batch_size,
                lr=cfg.lr,
                device="cpu",
            ),
            name,
            {"num_classes": len(full.classes)},
            {"model": name, "n": n, "steps": cfg.steps},
        )
        for n in cfg.sizes
        for name in cfg.models
    ]
    return {"settings": {k: getattr(cfg, k) for k in cfg.__dataclass_fields__}, "runs": runs}


# ------------------------------------------------------------------ chapters 03 and 04
@dataclass(frozen=True)
class Entry:
    """One contestant: a label, a registered model with overrides, and its step budget."""

    label: str
    model_name: str
    model_kwargs: tuple[tuple[str, Any], ...] = ()
    steps: int = 3000

    @property
    def kwargs(self) -> dict[str, Any]:
        return dict(self.model_kwargs)


@dataclass(frozen=True)
class Comparison:
    """Models trained on the same ShapesWorld classification data, each for its step budget.

    Step budgets are set so that every model trains for about the same wall time on a 2-core CPU
    (the ratio of their measured step times), and recorded with the checkpoints."""

    entries: tuple[Entry, ...]
    variants: tuple[str, ...] = ("shape",)
    image_size: int = 32
    n: int = 10000
    test_size: int = 2000
    batch_size: int = 64
    lr: float = 1e-3
    train_seed: int = 0
    test_seed: int = 1

    def world(self) -> ShapesWorld:
        return ShapesWorld(image_size=self.image_size)

    def train_set(self, variant: str, n: int | None = None) -> ShapesDataset:
        return self.world().classification(self.n if n is None else n, seed=self.train_seed, variant=variant)

    def test_set(self, variant: str) -> ShapesDataset:
        return self.world().classification(self.test_size, seed=self.test_seed, variant=variant)

    @staticmethod
    def checkpoint(label: str, variant: str) -> str:
        return f"{label}_{variant}.pt"

    def train(
        self,
        entry: Entry,
        variant: str,
        steps: int | None = None,
        n: int | None = None,
        device: torch.device | str | None = None,
        progress: bool = True,
    ) -> tuple[nn.Module, History]:
        """Train one entry exactly as the recipe does (optionally shorter or on fewer images, for a live demo)."""
        return train_classifier(
            entry.model_name,
            self.train_set(variant, n),
            steps=steps or entry.steps,
            seed=self.train_seed,
            batch_size=self.batch_size,
            lr=self.lr,
            model_kwargs=entry.kwargs,
            device=device,
            progress=progress,
        )


SOFT_SPLIT = Comparison(
    entries=(Entry("vit", "vit_tiny_shapes", steps=4800), Entry("t2t", "t2t_vit_tiny_shapes", steps=3000)),
    variants=("shape", "texture"),
)
WINDOWS = Comparison(
    entries=(
        Entry("swin", "swin_tiny_shapes", steps=3000),
        Entry(
            "vit_p4",
            "vit_tiny_shapes",
            (
                ("img_size", 64),
                ("patch_size", 4),
                ("embed_dim", 40),
                ("depth", 4),
                ("num_heads", 2),
                ("mlp_ratio", 2.0),
            ),
            steps=3000,
        ),
        Entry(
            "vit_p2",
            "vit_tiny_shapes",
            (
                ("img_size", 64),
                ("patch_size", 2),
                ("embed_dim", 40),
                ("depth", 4),
                ("num_heads", 2),
                ("mlp_ratio", 2.0),
            ),
            steps=480,
        ),
    ),
    variants=("texture",),
    image_size=64,
    batch_size=32,
)


def comparison(cfg: Comparison) -> Callable[[Path], dict[str, Any]]:
    def run(out: Path) -> dict[str, Any]:
        runs = [
            _train_and_save(
                out / cfg.checkpoint(entry.label, variant),
                lambda: cfg.train(entry, variant, device="cpu"),
                entry.model_name,
                {"num_classes": len(cfg.train_set(variant, n=1).classes), **entry.kwargs},
                {"label": entry.label, "variant": variant, "steps": entry.steps},
            )
            for variant in cfg.variants
            for entry in cfg.entries
        ]
        return {"runs": runs}

    return run
