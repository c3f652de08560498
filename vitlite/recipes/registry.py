"""The table of recipes and the command line that runs them."""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Callable

import torch

from vitlite.recipes.classic import SOFT_SPLIT, WINDOWS, comparison, data_hunger, outline_heads
from vitlite.recipes.runner import CHECKPOINTS, Study, checkpoint_checksums

__all__ = ["Recipe", "RECIPES", "main"]


@dataclass(frozen=True)
class Recipe:
    """A recipe: what it is for, and either a study or a function that trains and returns the manifest's record."""

    about: str
    study: Study | None = None
    train: Callable[[Path], dict[str, Any]] | None = None

    def run(
        self, out: Path, shard: tuple[int, int] = (0, 1), force: bool = False, device: str = "cpu"
    ) -> dict[str, Any] | None:
        if self.study is not None:
            return self.study.run(out, shard=shard, force=force, device=device)
        if shard != (0, 1):
            raise SystemExit("only studies can be run in shards")
        return self.train(out)


def _studies() -> dict[str, Recipe]:
    from vitlite.recipes import dense, detr, dino, hunger, mobilevit, swin, t2t

    return {
        study.name: Recipe(study.about, study=study)
        for study in hunger.STUDIES
        + mobilevit.STUDIES
        + detr.STUDIES
        + dino.STUDIES
        + dense.STUDIES
        + swin.STUDIES
        + t2t.STUDIES
    }


RECIPES: dict[str, Recipe] = {
    "outline_heads": Recipe(
        "chapter 01: do learned attention heads become a convolution? (the chapter's live run, recorded)",
        train=outline_heads,
    ),
    "data_hunger": Recipe("chapter 02: CNN vs ViT on growing ShapesWorld subsets", train=data_hunger),
    "soft_split": Recipe(
        "chapter 03: ViT vs T2T-ViT, same size and training time, shapes and textures", train=comparison(SOFT_SPLIT)
    ),
    "windows": Recipe(
        "chapter 04: Swin vs ViT at 64x64 (2x2 and 4x4 patches), same training time", train=comparison(WINDOWS)
    ),
    **_studies(),
}


def _machine() -> str:
    """What ran the recipe: the CPU's name and core count (and the GPU's, where CUDA is available)."""
    from vitlite.bench import _cpu_name

    cpu = f"{_cpu_name()}, {os.cpu_count()} cores"
    return f"{cpu}; {torch.cuda.get_device_name(0)}" if torch.cuda.is_available() else cpu


def _shard(text: str) -> tuple[int, int]:
    try:
        index, count = (int(v) for v in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--shard takes i/n, e.g. 0/2; got {text!r}") from None
    if not 0 <= index < count:
        raise argparse.ArgumentTypeError(f"--shard i/n needs 0 <= i < n, got {text!r}")
    return index, count


def main(argv: list[str] | None = None) -> int:
    from vitlite import recipes as package

    parser = argparse.ArgumentParser(
        prog="python -m vitlite.recipes",
        description=package.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("recipe", nargs="?", help="the recipe to run")
    parser.add_argument("--list", action="store_true", help="list the recipes")
    parser.add_argument(
        "--shard",
        type=_shard,
        default=(0, 1),
        help="i/n: run every n-th run of a study, starting at i (to use several processes)",
    )
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    parser.add_argument("--device", default="cpu", help="where to train (recorded in the manifest), e.g. cuda")
    parser.add_argument("--force", action="store_true", help="train again runs that already have a record")
    parser.add_argument(
        "--checksums",
        action="store_true",
        help="record every shipped checkpoint's SHA-256 in its manifest (after replacing a .pt by hand)",
    )
    args = parser.parse_args(argv)
    if args.checksums:
        root = Path(__file__).resolve().parent.parent.parent / "assets" / CHECKPOINTS
        for manifest_path in sorted(root.glob("*/manifest.json")):
            sums = checkpoint_checksums(manifest_path.parent)
            record = json.loads(manifest_path.read_text())
            if sums and record.get("checksums") != sums:
                record["checksums"] = sums
                manifest_path.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n")
                print(f"{manifest_path.parent.name}: {len(sums)} checksums recorded")
        return 0
    if args.list or not args.recipe:
        for name, recipe in RECIPES.items():
            print(f"{name:<18} {recipe.about}")
        return 0
    if args.recipe not in RECIPES:
        parser.error(f"unknown recipe {args.recipe!r}; --list shows them")
    if args.threads:
        torch.set_num_threads(args.threads)
    recipe = RECIPES[args.recipe]
    out = Path(__file__).resolve().parent.parent.parent / "assets" / CHECKPOINTS / args.recipe
    print(f"recipe {args.recipe}: {recipe.about} -> {out}")
    start_wall, start_cpu = time.perf_counter(), time.process_time()
    record = recipe.run(out, shard=args.shard, force=args.force, device=args.device)
    if record is None:
        return 0
    record.setdefault("wall_seconds", round(time.perf_counter() - start_wall, 1))
    record.setdefault("cpu_seconds", round(time.process_time() - start_cpu, 1))
    record.setdefault("threads", torch.get_num_threads())
    record.update(
        recipe=args.recipe,
        command=f"python -m vitlite.recipes {args.recipe}",
        torch=torch.__version__,
        python=platform.python_version(),
        date=date.today().isoformat(),
        machine=_machine(),
    )
    out.mkdir(parents=True, exist_ok=True)
    sums = checkpoint_checksums(out)
    if sums:  # load_checkpoint checks each file against these
        record["checksums"] = sums
    (out / "manifest.json").write_text(json.dumps(record, indent=2) + "\n")
    from vitlite.recipes.claims import write_to_manifests

    if write_to_manifests():  # every claim's result and verdict, in the manifest of the recipe that tests it
        print("claims recorded in the manifests (python -m vitlite.recipes.claims shows the table)")
    print(f"done: {record['wall_seconds']:.0f} s wall, {record['cpu_seconds']:.0f} CPU s")
    return 0
