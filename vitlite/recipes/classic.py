"""The recipes of chapters 02-04: one model per setting, one seed each (issue 15 brings them up to the
rules of evidence that :class:`vitlite.recipes.runner.Study` follows)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch
from torch import nn

from vitlite.data import ShapesDataset, ShapesWorld
from vitlite.recipes.runner import _train_and_save, train_classifier
from vitlite.train import History

__all__ = ["DataHunger", "DATA_HUNGER", "Entry", "Comparison", "SOFT_SPLIT", "WINDOWS", "data_hunger", "comparison"]


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
            lambda: train_classifier(name, full.subset(n), steps=cfg.steps, seed=cfg.train_seed, batch_size=cfg.batch_size, lr=cfg.lr, device="cpu"),
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

    def train(self, entry: Entry, variant: str, steps: int | None = None, n: int | None = None, device: torch.device | str | None = None, progress: bool = True) -> tuple[nn.Module, History]:
        """Train one entry exactly as the recipe does (optionally shorter or on fewer images, for a live demo)."""
        return train_classifier(entry.model_name, self.train_set(variant, n), steps=steps or entry.steps, seed=self.train_seed, batch_size=self.batch_size, lr=self.lr, model_kwargs=entry.kwargs, device=device, progress=progress)


SOFT_SPLIT = Comparison(
    entries=(Entry("vit", "vit_tiny_shapes", steps=4800), Entry("t2t", "t2t_vit_tiny_shapes", steps=3000)),
    variants=("shape", "texture"),
)
WINDOWS = Comparison(
    entries=(
        Entry("swin", "swin_tiny_shapes", steps=3000),
        Entry("vit_p4", "vit_tiny_shapes", (("img_size", 64), ("patch_size", 4), ("embed_dim", 40), ("depth", 4), ("num_heads", 2), ("mlp_ratio", 2.0)), steps=3000),
        Entry("vit_p2", "vit_tiny_shapes", (("img_size", 64), ("patch_size", 2), ("embed_dim", 40), ("depth", 4), ("num_heads", 2), ("mlp_ratio", 2.0)), steps=480),
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


