"""The one runner every recipe shares: train, evaluate, save checkpoints, histories and a manifest.

Two kinds of recipe use it. The first chapters' recipes train one model per setting
(:func:`train_classifier`, :func:`_train_and_save`). From chapter 05 on, a :class:`Study` trains
every arm (a model with its settings) with several seeds on one ShapesWorld task, stops each run
at its best validation score, and scores it on its training images and on a test set. Every run
writes a JSON record (scores, CPU time, device, training curves) as it finishes, so a study can be
run in pieces (``--shard``), resumed after an interruption, and read by the chapter without
loading more than one checkpoint per arm.
"""

from __future__ import annotations

import hashlib
import json
import textwrap
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Callable

import torch
from torch import nn

from vitlite import env
from vitlite.assets import asset_path
from vitlite.data import Augment, ShapesDataset, ShapesWorld
from vitlite.metrics import accuracy, depth_scores, detection_scores, segmentation_scores
from vitlite.models import create_model
from vitlite.recipes.evidence import mean, stdev
from vitlite.train import History, classification_loss, depth_loss, detection_loss, fit, segmentation_loss

__all__ = [
    "CHECKPOINTS",
    "train_classifier",
    "save_checkpoint",
    "load_checkpoint",
    "checkpoint_files",
    "checkpoint_checksums",
    "manifest",
    "provenance",
    "describe",
    "Arm",
    "Study",
    "TASKS",
    "summarize",
]

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


def save_checkpoint(
    model: nn.Module, path: Path, *, model_name: str, model_kwargs: dict[str, Any], meta: dict[str, Any]
) -> None:
    """Weights in float16 (half the bytes; the course's tiny models lose nothing measurable) plus how to rebuild the model."""
    state = {k: (v.half() if v.is_floating_point() else v) for k, v in model.state_dict().items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"model_name": model_name, "model_kwargs": model_kwargs, "state_dict": state, "meta": meta}, path)


def load_checkpoint(*parts: str, device: torch.device | str = "cpu") -> tuple[nn.Module, dict[str, Any]]:
    """A recipe's checkpoint, e.g. ``load_checkpoint("data_hunger", "vit_tiny_shapes_n1000.pt")``: (model in eval mode, meta).

    A file that is empty, truncated, or a Git LFS pointer instead of the weights raises an
    ``OSError`` that names the file and the recipe command that rebuilds it."""
    path = asset_path(CHECKPOINTS, *parts)
    blob = _read_checkpoint(
        path, rebuild=f"python -m vitlite.recipes {parts[0]}" if len(parts) > 1 else "python -m vitlite.recipes --list"
    )
    model = create_model(blob["model_name"], **blob["model_kwargs"])
    model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in blob["state_dict"].items()})
    return model.to(device).eval(), blob["meta"]


def checkpoint_checksums(folder: Path) -> dict[str, str]:
    """The SHA-256 of each checkpoint (``*.pt``) in a recipe's folder, by file name: what its manifest records
    under ``"checksums"`` so that :func:`load_checkpoint` can tell a damaged file from a good one."""
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(Path(folder).glob("*.pt"))}


def _recorded_checksum(path: Path) -> str | None:
    manifest_path = path.parent / "manifest.json"
    if not manifest_path.exists():
        return None
    try:
        return json.loads(manifest_path.read_text()).get("checksums", {}).get(path.name)
    except (json.JSONDecodeError, AttributeError):
        return None


def _read_checkpoint(path: Path, rebuild: str) -> dict[str, Any]:
    fix = f"rebuild it with `{rebuild}` (or restore it with `git checkout -- {path.name}` in its folder)"
    size = path.stat().st_size
    if size == 0:
        raise OSError(f"checkpoint {path} is empty (0 bytes); {fix}")
    with open(path, "rb") as f:
        head = f.read(64)
    if head.startswith(b"version https://git-lfs"):
        raise OSError(
            f"checkpoint {path} is a Git LFS pointer ({size} bytes), not the weights; run `git lfs pull`, or {fix}"
        )
    expected = _recorded_checksum(path)
    if expected is not None and hashlib.sha256(path.read_bytes()).hexdigest() != expected:
        raise OSError(
            f"checkpoint {path} is damaged: its bytes differ from the SHA-256 its manifest records ({expected[:12]}...); {fix}"
        )
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # truncated zip, wrong format, unpickling refused
        raise OSError(
            f"checkpoint {path} could not be read ({type(error).__name__}: {str(error).splitlines()[0][:120] if str(error) else ''}); it is truncated or corrupt: {fix}"
        ) from None
    missing = (
        {"model_name", "model_kwargs", "state_dict"} - set(blob)
        if isinstance(blob, dict)
        else {"model_name", "model_kwargs", "state_dict"}
    )
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
    threads = record["threads"]
    threads = threads if isinstance(threads, list) else [threads]
    count = "/".join(str(t) for t in threads) + (" thread" if threads == [1] else " threads")
    where = f"device {', '.join(record['devices'])}, " if record.get("devices") else ""
    made = "checkpoints" if any("checkpoint" in run for run in record.get("runs", [])) else "records"
    return (
        f"{made} made by `{record['command']}` on {record['date']}: {record['wall_seconds'] / 60:.0f} min wall, "
        f"{record['cpu_seconds'] / 60:.0f} min CPU on {count} ({where}torch {record['torch']})"
    )


def describe(record: dict[str, Any], width: int = 110) -> str:
    """What a chapter prints above a study's results: the provenance line, then the expectation as it was
    fixed before the runs, with its date, wrapped to ``width`` characters."""
    if "expectation" not in record:
        raise KeyError(
            f"{record.get('command', 'this record')}: the manifest has no expectation (only studies record one; use provenance() for a plain recipe)"
        )
    return f"{provenance(record)}\nexpectation, fixed on {record['expectation_fixed']}:\n" + textwrap.fill(
        record["expectation"], width
    )


def _train_and_save(
    path: Path,
    train: Callable[[], tuple[nn.Module, History]],
    model_name: str,
    model_kwargs: dict[str, Any],
    record: dict[str, Any],
) -> dict[str, Any]:
    """One run of a recipe: train, time it, save the checkpoint; the run's record goes to the manifest."""
    start = time.process_time()
    model, history = train()
    loss = history.smoothed_loss()[-1]
    record = {
        "checkpoint": path.name,
        **record,
        "cpu_seconds": round(time.process_time() - start, 1),
        "wall_seconds": round(history.seconds, 1),
        "final_loss": round(loss, 4),
    }
    save_checkpoint(model, path, model_name=model_name, model_kwargs=model_kwargs, meta=record)
    print(f"  {path.stem:<28} {history.seconds:6.0f} s wall, final loss {loss:.3f}", flush=True)
    return record


# ------------------------------------------------------------------ studies: arms x seeds, fair end points
@dataclass(frozen=True)
class TaskSpec:
    """How a task trains and is scored: its loss, its scores on a dataset, and the score that decides."""

    loss: Callable[[nn.Module, Any], torch.Tensor]
    scores: Callable[[nn.Module, ShapesDataset], dict[str, float]]
    primary: str
    minimize: bool = False  # True when a smaller primary score is better (depth's AbsRel)


def _classification_scores(model: nn.Module, data: ShapesDataset) -> dict[str, float]:
    return {"accuracy": accuracy(model, data)}


def _segmentation_scores(model: nn.Module, data: ShapesDataset) -> dict[str, float]:
    """mIoU and pixel accuracy, overall and inside / outside the 2-pixel boundary band."""
    return segmentation_scores(model, data, num_classes=len(data.classes), band=2)


def _depth_loss(model: nn.Module, batch: Any) -> torch.Tensor:
    """MiDaS's scale-and-shift-invariant loss (DPT's training loss for relative depth)."""
    return depth_loss(model, batch, kind="ssi")


def _depth_scores(model: nn.Module, data: ShapesDataset) -> dict[str, float]:
    """AbsRel, RMSE and delta < 1.25 after aligning each prediction's scale and shift (the evaluation
    of MiDaS and DPT for relative depth), overall and inside / outside the 2-pixel boundary band."""
    return depth_scores(model, data, align=True, band=2)


class MatchingInstability:
    """DN-DETR's instability, measured at every evaluation: the share of objects (of the first ``n``
    validation images) whose matched query differs from the previous evaluation (the first one is
    compared with the model as initialised). For detectors with ``assign(images, targets)``."""

    def __init__(self, model: nn.Module, data: ShapesDataset, n: int = 200):
        self.images = data.images[:n]
        self.targets = [data[i][1] for i in range(min(n, len(data)))]
        self.previous = self.current(model)

    def current(self, model: nn.Module) -> list[torch.Tensor]:
        device = next(model.parameters()).device
        return model.assign(self.images.to(device), [{k: v.to(device) for k, v in t.items()} for t in self.targets])

    def __call__(self, model: nn.Module) -> float:
        now = self.current(model)
        changed = sum(int((a != b).sum()) for a, b in zip(now, self.previous))
        total = max(1, sum(len(a) for a in now))
        self.previous = now
        return changed / total


def _detection_scores(model: nn.Module, data: ShapesDataset) -> dict[str, float]:
    """The detector's own scores, plus its AP with class-wise NMS at IoU 0.6 and with no NMS at all."""
    scores = detection_scores(model, data)
    scores["AP_nms"] = detection_scores(model, data, nms_iou=0.6)["AP"]
    scores["AP_raw"] = detection_scores(model, data, nms_iou=1.0)["AP"]
    return scores


TASKS: dict[str, TaskSpec] = {
    "classification": TaskSpec(classification_loss, _classification_scores, "accuracy"),
    "segmentation": TaskSpec(segmentation_loss, _segmentation_scores, "miou"),
    "detection": TaskSpec(detection_loss, _detection_scores, "AP"),
    "depth": TaskSpec(_depth_loss, _depth_scores, "abs_rel", minimize=True),
}


@dataclass(frozen=True)
class Arm:
    """One contestant of a study: a label, a registered model and its overrides."""

    label: str
    model_name: str
    model_kwargs: tuple[tuple[str, Any], ...] = ()
    about: str = ""
    lr: float | None = None  # the arm's own learning rate (None: the study's)
    n_train: int | None = None  # the arm's own number of training images, the first of the study's (None: all)

    @property
    def kwargs(self) -> dict[str, Any]:
        return dict(self.model_kwargs)

    def train_size(self, study_size: int) -> int:
        """How many training images the arm uses in a study of ``study_size``."""
        return self.n_train or study_size


@dataclass(frozen=True)
class Study:
    """Every arm trained with every seed on the same ShapesWorld data, each run stopped at its best
    validation score (evaluated every ``eval_every`` steps of a ``steps`` budget with a cosine
    schedule), then scored on ``n_score`` of its own training images and on the test set.

    The data are fixed (seeds ``data_seeds`` for train, validation, test); the run's seed fixes the
    initial weights and the order of the batches. ``expectation`` is the claim as written before the
    runs, with the date it was fixed; both go into the manifest.
    """

    name: str
    task: str
    arms: tuple[Arm, ...]
    world: tuple[tuple[str, Any], ...] = ()
    variant: str | None = None
    seeds: tuple[int, ...] = (0, 1, 2)
    n_train: int = 10000
    n_val: int = 1000
    n_test: int = 2000
    n_score: int = 2000
    data_seeds: tuple[int, int, int] = (0, 2, 1)
    steps: int = 2000
    batch_size: int = 64
    lr: float = 2e-3
    weight_decay: float = 0.05
    grad_clip: float | None = 1.0
    eval_every: int = 250
    patience: int | None = (
        None  # stop a run once this many evaluations in a row bring no new best (None: train every step)
    )
    augment: tuple[
        tuple[str, Any], ...
    ] = ()  # the settings of a vitlite.data.Augment for the training batches (classification)
    expectation: str = ""
    expectation_fixed: str = ""
    about: str = ""
    save_checkpoints: bool = True
    _cache: dict = field(
        default_factory=dict, init=False, compare=False, hash=False, repr=False
    )  # per study, fresh under dataclasses.replace

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"unknown task {self.task!r}; studies know {sorted(TASKS)}")
        labels = [a.label for a in self.arms]
        if len(set(labels)) != len(labels):
            raise ValueError(f"arm labels must be unique, got {labels}")
        too_many = [
            f"{a.label} ({a.n_train})" for a in self.arms if a.n_train is not None and not 0 < a.n_train <= self.n_train
        ]
        if too_many:
            raise ValueError(
                f"an arm's n_train must be between 1 and the study's n_train ({self.n_train}): {', '.join(too_many)}"
            )
        if self.augment and self.task != "classification":
            raise ValueError(
                f"augment only suits classification (it moves pixels, not targets); this study's task is {self.task!r}"
            )
        try:  # a misspelt setting fails here, not an hour into a run
            Augment(**dict(self.augment))
        except TypeError:
            raise ValueError(
                f"augment takes the settings of vitlite.data.Augment (shift, flip), e.g. (('shift', 3), ('flip', True)); got {self.augment!r}"
            ) from None

    # -------------------------------------------------------------- data
    def shapes_world(self) -> ShapesWorld:
        return ShapesWorld(**dict(self.world))

    def dataset(self, split: str, n: int | None = None) -> ShapesDataset:
        """``"train"``, ``"val"`` or ``"test"`` (the first ``n`` images, if given)."""
        sizes = {"train": self.n_train, "val": self.n_val, "test": self.n_test}
        if split not in sizes:
            raise ValueError(f"split must be one of {sorted(sizes)}, got {split!r}")
        seed = self.data_seeds[("train", "val", "test").index(split)]
        n = sizes[split] if n is None else n
        key = (split, n)
        if key not in self._cache:
            kwargs = {"variant": self.variant} if self.task == "classification" and self.variant else {}
            self._cache[key] = self.shapes_world().dataset(self.task, n, seed, **kwargs)
        return self._cache[key]

    @property
    def num_classes(self) -> int:
        return len(self.dataset("val", 1).classes)

    # -------------------------------------------------------------- one run
    def arm(self, label: str) -> Arm:
        for arm in self.arms:
            if arm.label == label:
                return arm
        raise ValueError(f"{self.name} has no arm {label!r}; its arms are {[a.label for a in self.arms]}")

    def build(self, arm: Arm | str, seed: int) -> nn.Module:
        arm = self.arm(arm) if isinstance(arm, str) else arm
        env.seed_everything(seed)
        return create_model(
            arm.model_name, **{"num_classes": self.num_classes, **arm.kwargs}
        )  # an arm may set its own (a depth arm: 1 channel)

    def scores(self, model: nn.Module, split: str, n: int | None = None) -> dict[str, float]:
        return TASKS[self.task].scores(model, self.dataset(split, n))

    def train(
        self,
        arm: Arm | str,
        seed: int,
        *,
        steps: int | None = None,
        n_train: int | None = None,
        eval_every: int | None = None,
        n_val: int | None = None,
        eval_fn: Callable[[nn.Module], dict[str, float]] | None = None,
        evaluate: bool = True,
        model: nn.Module | None = None,
        device: torch.device | str | None = None,
        progress: bool = True,
    ) -> tuple[nn.Module, History]:
        """Train one run exactly as the recipe does: the same model, data, loss, learning rate and optimiser
        settings. For a live demo: fewer ``steps``, the first ``n_train`` training images, evaluation every
        ``eval_every`` steps on the first ``n_val`` validation images, or ``evaluate=False`` for none. An own
        ``eval_fn(model) -> dict`` replaces the study's scores (no best checkpoint is kept then); ``model``
        trains a model already built with :meth:`build` (for a measure that must see it before training)."""
        arm = self.arm(arm) if isinstance(arm, str) else arm
        if eval_fn is not None and not evaluate:
            raise ValueError("give eval_fn or evaluate=False, not both")
        model = self.build(arm, seed) if model is None else model
        train = self.dataset("train", n_train or arm.train_size(self.n_train))
        spec = TASKS[self.task]
        val = self.dataset("val", n_val)
        keep_best = spec.primary if evaluate and eval_fn is None else None
        if eval_fn is None and evaluate:
            eval_fn = lambda m: spec.scores(m, val)  # noqa: E731
            if self.task == "detection" and hasattr(model, "assign"):
                instability = MatchingInstability(model.to(device or "cpu"), val, n=min(200, len(val)))
                eval_fn = lambda m: {**spec.scores(m, val), "instability": instability(m)}  # noqa: E731
        history = fit(
            model,
            train.loader(self.batch_size, seed=seed, augment=Augment(**dict(self.augment)) if self.augment else None),
            steps=steps or self.steps,
            lr=arm.lr or self.lr,
            weight_decay=self.weight_decay,
            grad_clip=self.grad_clip,
            loss_fn=spec.loss,
            eval_fn=eval_fn,
            eval_every=(eval_every or self.eval_every) if eval_fn is not None else None,
            keep_best=keep_best,
            minimize=spec.minimize,
            patience=self.patience if keep_best else None,
            seed=seed,
            device=device,
            progress=progress,
            desc=f"{arm.label}, seed {seed}",
        )
        return model, history

    def checkpoint(self, label: str) -> str:
        """The file of an arm's checkpoint: the run with the first seed (the others keep only their records)."""
        return f"{label}.pt"

    def record_file(self, label: str, seed: int) -> str:
        return f"{label}_seed{seed}.json"

    def run_one(self, out: Path, arm: Arm, seed: int, device: torch.device | str = "cpu") -> dict[str, Any]:
        """Train, score and save one run; returns (and writes) its record."""
        start_cpu = time.process_time()
        model, history = self.train(arm, seed, device=device)
        model.to("cpu")
        record = {
            "label": arm.label,
            "seed": seed,
            "model": arm.model_name,
            "model_kwargs": arm.kwargs,
            "parameters": sum(p.numel() for p in model.parameters()),
            "n_train": arm.train_size(self.n_train),
            "steps": history.steps_done,
            "best_step": history.best_step,
            "stopped_by_patience": history.stopped_by_patience,
            "scores": {
                "train": self.scores(model, "train", min(self.n_score, arm.train_size(self.n_train))),
                "val": self.scores(model, "val"),
                "test": self.scores(model, "test"),
            },
            "cpu_seconds": round(time.process_time() - start_cpu, 1),
            "wall_seconds": round(history.seconds, 1),
            "threads": torch.get_num_threads(),
            "device": str(device),
            "torch": str(torch.__version__),
            "date": date.today().isoformat(),
            "history": {
                "step": history.step[:: max(1, len(history.step) // 500)],
                "loss": [round(v, 4) for v in history.smoothed_loss()[:: max(1, len(history.step) // 500)]],
                "eval_step": history.eval_step,
                "metrics": {k: [round(v, 4) for v in vs] for k, vs in history.metrics.items()},
            },
        }
        if seed == self.seeds[0] and self.save_checkpoints:
            record["checkpoint"] = self.checkpoint(arm.label)
            save_checkpoint(
                model,
                out / record["checkpoint"],
                model_name=arm.model_name,
                model_kwargs={"num_classes": self.num_classes, **arm.kwargs},
                meta={k: v for k, v in record.items() if k != "history"},
            )
        out.mkdir(parents=True, exist_ok=True)
        (out / self.record_file(arm.label, seed)).write_text(json.dumps(record) + "\n")
        primary = TASKS[self.task].primary
        print(
            f"  {arm.label:<16} seed {seed}: best step {history.best_step:>5}, {primary} train {record['scores']['train'][primary]:.3f} test {record['scores']['test'][primary]:.3f}, {record['wall_seconds']:.0f} s",
            flush=True,
        )
        return record

    def settings(self) -> dict[str, Any]:
        skip = {"_cache", "arms", "expectation", "expectation_fixed", "about"}
        out = {k: getattr(self, k) for k in self.__dataclass_fields__ if k not in skip}
        out["arms"] = [
            {
                "label": a.label,
                "model": a.model_name,
                "model_kwargs": a.kwargs,
                "about": a.about,
                "lr": a.lr or self.lr,
                **({"n_train": a.n_train} if a.n_train else {}),
            }
            for a in self.arms
        ]
        return out

    def run(
        self, out: Path, shard: tuple[int, int] = (0, 1), force: bool = False, device: torch.device | str = "cpu"
    ) -> dict[str, Any] | None:
        """Every run of this shard that has no record yet (all of them with ``force``); then, once every
        run has its record, the manifest, which is returned (None while runs are missing)."""
        index, count = shard
        todo = [(arm, seed) for arm in self.arms for seed in self.seeds]
        for i, (arm, seed) in enumerate(todo):
            if i % count != index:
                continue
            if force or not (out / self.record_file(arm.label, seed)).exists():
                self.run_one(out, arm, seed, device)
        missing = [f"{a.label}/seed {s}" for a, s in todo if not (out / self.record_file(a.label, s)).exists()]
        if missing:
            print(
                f"{self.name}: {len(missing)} runs still to do ({', '.join(missing[:4])}{', ...' if len(missing) > 4 else ''}); run the other shards, then this command again"
            )
            return None
        runs = [json.loads((out / self.record_file(a.label, s)).read_text()) for a, s in todo]
        for run in runs:
            run.pop("history", None)
        return {
            "study": self.about,
            "task": self.task,
            "expectation": self.expectation,
            "expectation_fixed": self.expectation_fixed,
            "settings": self.settings(),
            "runs": runs,
            "cpu_seconds": round(sum(r["cpu_seconds"] for r in runs), 1),
            "wall_seconds": round(sum(r["wall_seconds"] for r in runs), 1),
            "threads": sorted({r["threads"] for r in runs}),
            "devices": sorted({r["device"] for r in runs}),
        }

    # -------------------------------------------------------------- reading the results
    def results(self) -> list[dict[str, Any]]:
        """Every run's record (with its training curves), from the recipe's folder."""
        folder = asset_path(CHECKPOINTS, self.name)
        return [json.loads((folder / self.record_file(a.label, s)).read_text()) for a in self.arms for s in self.seeds]

    def load(self, label: str, device: torch.device | str = "cpu") -> tuple[nn.Module, dict[str, Any]]:
        """The checkpoint of an arm (its first seed's run), in eval mode, with its record."""
        return load_checkpoint(self.name, self.checkpoint(label), device=device)


def summarize(records: list[dict[str, Any]], metric: str, split: str = "test") -> dict[str, dict[str, Any]]:
    """Per arm label: the ``metric`` on ``split`` of every seed, their mean and sample standard deviation."""
    out: dict[str, dict[str, Any]] = {}
    for record in records:
        entry = out.setdefault(record["label"], {"values": [], "seeds": []})
        entry["values"].append(record["scores"][split][metric])
        entry["seeds"].append(record["seed"])
    for entry in out.values():
        entry["mean"], entry["std"] = mean(entry["values"]), stdev(entry["values"])
    return out
