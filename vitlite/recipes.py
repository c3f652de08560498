"""Named training runs that produce the course's checkpoints, and the code to load them.

    python -m vitlite.recipes --list
    python -m vitlite.recipes data_hunger      # trains, writes assets/checkpoints/data_hunger/

A chapter whose experiment needs more CPU time than its budget trains live for a while
with :func:`train_classifier` (the very function the recipe uses), then loads the
recipe's checkpoints with :func:`load_checkpoint` and evaluates them. Every recipe writes
a ``manifest.json`` that records the command, the CPU time and the versions it ran with.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Callable

import torch
from torch import nn

from vitlite import env
from vitlite.assets import asset_path
from vitlite.data import ShapesDataset, ShapesWorld
from vitlite.models import create_model
from vitlite.train import History, fit

__all__ = ["RECIPES", "DataHunger", "DATA_HUNGER", "Entry", "Comparison", "SOFT_SPLIT", "WINDOWS", "train_classifier", "save_checkpoint", "load_checkpoint", "checkpoint_files", "manifest", "provenance", "main"]

CHECKPOINTS = "checkpoints"


def train_classifier(
    model_name: str,
    train: ShapesDataset,
    *,
    steps: int,
    seed: int = 0,
    batch_size: int = 64,
    lr: float = 1e-3,
    weight_decay: float = 0.05,
    model_kwargs: dict[str, Any] | None = None,
    eval_fn: Callable[[nn.Module], dict[str, float]] | None = None,
    eval_every: int | None = None,
    device: torch.device | str | None = None,
    progress: bool = True,
) -> tuple[nn.Module, History]:
    """Build ``model_name`` for ``train``'s classes and fit it: the one recipe every classification run shares."""
    env.seed_everything(seed)
    model = create_model(model_name, num_classes=len(train.classes), **(model_kwargs or {}))
    history = fit(
        model,
        train.loader(batch_size, seed=seed),
        steps=steps,
        lr=lr,
        weight_decay=weight_decay,
        seed=seed,
        eval_fn=eval_fn,
        eval_every=eval_every,
        device=device,
        progress=progress,
        desc=f"{model_name}, n={len(train)}",
    )
    return model, history


def save_checkpoint(model: nn.Module, path: Path, *, model_name: str, model_kwargs: dict[str, Any], meta: dict[str, Any]) -> None:
    """Weights in float16 (half the bytes; the course's tiny models lose nothing measurable) plus how to rebuild the model."""
    state = {k: (v.half() if v.is_floating_point() else v) for k, v in model.state_dict().items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"model_name": model_name, "model_kwargs": model_kwargs, "state_dict": state, "meta": meta}, path)


def load_checkpoint(*parts: str, device: torch.device | str = "cpu") -> tuple[nn.Module, dict[str, Any]]:
    """A recipe's checkpoint, e.g. ``load_checkpoint("data_hunger", "vit_tiny_shapes_n1000.pt")``: (model in eval mode, meta).

    A file that is empty, truncated, or a Git LFS pointer instead of the weights raises an
    ``OSError`` that names the file and the recipe command that rebuilds it."""
    path = asset_path(CHECKPOINTS, *parts)
    blob = _read_checkpoint(path, rebuild=f"python -m vitlite.recipes {parts[0]}" if len(parts) > 1 else "python -m vitlite.recipes --list")
    model = create_model(blob["model_name"], **blob["model_kwargs"])
    model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in blob["state_dict"].items()})
    return model.to(device).eval(), blob["meta"]


def _read_checkpoint(path: Path, rebuild: str) -> dict[str, Any]:
    fix = f"rebuild it with `{rebuild}` (or restore it with `git checkout -- {path.name}` in its folder)"
    size = path.stat().st_size
    if size == 0:
        raise OSError(f"checkpoint {path} is empty (0 bytes); {fix}")
    with open(path, "rb") as f:
        head = f.read(64)
    if head.startswith(b"version https://git-lfs"):
        raise OSError(f"checkpoint {path} is a Git LFS pointer ({size} bytes), not the weights; run `git lfs pull`, or {fix}")
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # truncated zip, wrong format, unpickling refused
        raise OSError(f"checkpoint {path} could not be read ({type(error).__name__}: {str(error).splitlines()[0][:120] if str(error) else ''}); it is truncated or corrupt: {fix}") from None
    missing = {"model_name", "model_kwargs", "state_dict"} - set(blob) if isinstance(blob, dict) else {"model_name", "model_kwargs", "state_dict"}
    if missing:
        raise OSError(f"checkpoint {path} is not a vitlite recipe checkpoint (missing {sorted(missing)}); {fix}")
    return blob


def checkpoint_files(recipe: str) -> list[str]:
    """The checkpoint files a recipe's manifest lists, in the order it trained them."""
    return [run["checkpoint"] for run in manifest(recipe)["runs"] if "checkpoint" in run]


def manifest(recipe: str) -> dict[str, Any]:
    """What a recipe recorded when it ran: its command, settings, CPU time per run and in total."""
    return json.loads(asset_path(CHECKPOINTS, recipe, "manifest.json").read_text())


def provenance(record: dict[str, Any]) -> str:
    """The line a chapter prints above a recipe's results: how, when and at what cost its checkpoints were made."""
    return (
        f"checkpoints made by `{record['command']}` on {record['date']}: {record['wall_seconds'] / 60:.0f} min wall, "
        f"{record['cpu_seconds'] / 60:.0f} min CPU on {record['threads']} threads (torch {record['torch']})"
    )


def _train_and_save(path: Path, train: Callable[[], tuple[nn.Module, History]], model_name: str, model_kwargs: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    """One run of a recipe: train, time it, save the checkpoint; the run's record goes to the manifest."""
    start = time.process_time()
    model, history = train()
    loss = history.smoothed_loss()[-1]
    record = {"checkpoint": path.name, **record, "cpu_seconds": round(time.process_time() - start, 1), "wall_seconds": round(history.seconds, 1), "final_loss": round(loss, 4)}
    save_checkpoint(model, path, model_name=model_name, model_kwargs=model_kwargs, meta=record)
    print(f"  {path.stem:<28} {history.seconds:6.0f} s wall, final loss {loss:.3f}", flush=True)
    return record


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


def _data_hunger(out: Path) -> dict[str, Any]:
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


def _comparison(cfg: Comparison) -> Callable[[Path], dict[str, Any]]:
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


RECIPES: dict[str, tuple[str, Callable[[Path], dict[str, Any]]]] = {
    "data_hunger": ("chapter 02: CNN vs ViT on growing ShapesWorld subsets", _data_hunger),
    "soft_split": ("chapter 03: ViT vs T2T-ViT, same size and training time, shapes and textures", _comparison(SOFT_SPLIT)),
    "windows": ("chapter 04: Swin vs ViT at 64x64 (2x2 and 4x4 patches), same training time", _comparison(WINDOWS)),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vitlite.recipes", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("recipe", nargs="?", help="the recipe to run")
    parser.add_argument("--list", action="store_true", help="list the recipes")
    args = parser.parse_args(argv)
    if args.list or not args.recipe:
        for name, (what, _) in RECIPES.items():
            print(f"{name:<16} {what}")
        return 0
    if args.recipe not in RECIPES:
        parser.error(f"unknown recipe {args.recipe!r}; --list shows them")
    what, run = RECIPES[args.recipe]
    out = Path(__file__).resolve().parent.parent / "assets" / CHECKPOINTS / args.recipe
    print(f"recipe {args.recipe}: {what} -> {out}")
    start_wall, start_cpu = time.perf_counter(), time.process_time()
    record = run(out)
    record.update(
        recipe=args.recipe,
        command=f"python -m vitlite.recipes {args.recipe}",
        wall_seconds=round(time.perf_counter() - start_wall, 1),
        cpu_seconds=round(time.process_time() - start_cpu, 1),
        threads=torch.get_num_threads(),
        torch=torch.__version__,
        python=platform.python_version(),
        date=date.today().isoformat(),
    )
    (out / "manifest.json").write_text(json.dumps(record, indent=2) + "\n")
    print(f"done in {record['wall_seconds']:.0f} s ({record['cpu_seconds']:.0f} CPU s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
