"""fit(): the one training loop of the course.

A run is fixed by the model's initial weights, its step budget and its seed: the same
call on an identically initialised model gives the same model every time on the same
machine. The optional wall-time cap is only a safety net (and says so when it fires).
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import torch
import torch.nn.functional as F
from torch import nn

from vitlite import env

__all__ = ["History", "fit", "classification_loss", "segmentation_loss", "depth_loss", "detection_loss", "to_device"]

LossFn = Callable[[nn.Module, Any], "torch.Tensor | tuple[torch.Tensor, dict[str, float]]"]


@dataclass
class History:
    """What a run recorded: the loss and learning rate per step, and each evaluation."""

    step: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    eval_step: list[int] = field(default_factory=list)
    metrics: dict[str, list[float]] = field(default_factory=dict)
    logs: dict[str, list[float]] = field(default_factory=dict)
    steps_planned: int = 0
    seconds: float = 0.0
    stopped_early: bool = False
    stopped_by_patience: bool = False
    best_step: int = 0
    best_value: float | None = None
    improved_step: int = 0  # the last evaluation that beat every earlier one (patience counts from here)

    @property
    def steps_done(self) -> int:
        return self.step[-1] if self.step else 0

    def final(self, metric: str) -> float:
        """The last evaluated value of ``metric``."""
        if metric not in self.metrics or not self.metrics[metric]:
            raise KeyError(f"no evaluation of {metric!r} was recorded; metrics: {sorted(self.metrics)}")
        return self.metrics[metric][-1]

    def smoothed_loss(self, window: int = 20) -> list[float]:
        """Running mean of the loss over ``window`` steps (for plots)."""
        out, total = [], 0.0
        for i, value in enumerate(self.loss):
            total += value
            if i >= window:
                total -= self.loss[i - window]
            out.append(total / min(i + 1, window))
        return out

    def plot(self, metrics: Iterable[str] | None = None):
        """Loss (smoothed) and evaluated metrics against steps, as a matplotlib Figure."""
        from vitlite.viz import plot_history

        return plot_history(self, metrics=metrics)

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(asdict(self)))

    @classmethod
    def load(cls, path: str | Path) -> "History":
        return cls(**json.loads(Path(path).read_text()))


def to_device(obj: Any, device: torch.device | str) -> Any:
    """Move tensors inside tuples, lists and dicts to ``device``."""
    if isinstance(obj, torch.Tensor):
        return obj.to(device, non_blocking=True)
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):  # a namedtuple
        return type(obj)(*(to_device(o, device) for o in obj))
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_device(o, device) for o in obj)
    if isinstance(obj, dict):
        return {k: to_device(v, device) for k, v in obj.items()}
    return obj


def classification_loss(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """Cross-entropy of ``model(images)`` against integer labels: the default loss."""
    images, labels = batch
    if not torch.is_tensor(labels):
        kind = (
            "detection targets (one dict of boxes and labels per image)"
            if isinstance(labels, (list, tuple, dict))
            else type(labels).__name__
        )
        raise ValueError(
            f"the default loss is classification cross-entropy on (images, labels), and these targets are {kind}; "
            "for a detector pass loss_fn=vitlite.train.detection_loss (or another loss_fn for other tasks)"
        )
    logits = model(images)
    if logits.ndim != 2:
        raise ValueError(
            f"the default loss expects class scores (B, num_classes) from the model, got shape {tuple(logits.shape)}; pass a loss_fn for other tasks"
        )
    if labels.dtype.is_floating_point or labels.dtype == torch.bool:
        raise ValueError(
            f"the default loss expects integer class labels, got dtype {labels.dtype}; use labels.long(), or pass a loss_fn"
        )
    if labels.numel() and (int(labels.min()) < 0 or int(labels.max()) >= logits.shape[1]):
        raise ValueError(
            f"labels range over {int(labels.min())}..{int(labels.max())} but the model predicts {logits.shape[1]} classes (0..{logits.shape[1] - 1}); "
            f"build it with num_classes={int(labels.max()) + 1} (or len(dataset.classes))"
        )
    return F.cross_entropy(logits, labels)


def segmentation_loss(
    model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor], ignore_index: int = -100
) -> torch.Tensor:
    """Per-pixel cross-entropy of ``model(images)`` (B, K, H, W) against class maps (B, H, W); pixels
    labelled ``ignore_index`` do not count. A model with auxiliary heads (``model.aux_heads``, e.g. SETR's)
    adds their cross-entropies, weighted by ``model.aux_weight``, while it trains."""
    images, masks = batch
    aux: list[torch.Tensor] = []
    if getattr(model, "training", False) and len(getattr(model, "aux_heads", ())):
        scores, aux = model.forward_aux(images)
    else:
        scores = model(images)
    if scores.ndim != 4 or scores.shape[-2:] != masks.shape[-2:]:
        raise ValueError(
            f"segmentation_loss expects class scores (B, K, H, W) at the masks' size {tuple(masks.shape[-2:])}, got {tuple(scores.shape)}"
        )
    valid = masks[masks != ignore_index]
    if valid.numel() and (int(valid.min()) < 0 or int(valid.max()) >= scores.shape[1]):
        raise ValueError(
            f"mask classes range over {int(valid.min())}..{int(valid.max())} but the model predicts {scores.shape[1]}; build it with num_classes={int(valid.max()) + 1}"
        )
    loss = F.cross_entropy(scores, masks.long(), ignore_index=ignore_index)
    for extra in aux:
        loss = loss + model.aux_weight * F.cross_entropy(extra, masks.long(), ignore_index=ignore_index)
    return loss


def depth_loss(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor], kind: str = "ssi") -> torch.Tensor:
    """The loss of a depth model ``model(images)`` (B, 1, H, W) or (B, H, W) against depth maps: ``"ssi"``, MiDaS's
    scale-and-shift-invariant loss (:func:`vitlite.dense.ssi_loss`), or ``"l1"``, the plain mean absolute error."""
    from vitlite.dense import depth_l1_loss, ssi_loss

    images, depth = batch
    pred = model(images)
    if pred.ndim == 3 and depth.ndim == 4 and depth.shape[1] == 1:  # a (B, H, W) depth head against (B, 1, H, W) maps
        pred = pred[:, None]
    if pred.shape != depth.shape:
        raise ValueError(f"depth_loss expects depth maps {tuple(depth.shape)}, the model returned {tuple(pred.shape)}")
    if kind == "ssi":
        return ssi_loss(pred, depth)
    if kind == "l1":
        return depth_l1_loss(pred, depth)
    raise ValueError(f"kind must be 'ssi' or 'l1', got {kind!r}")


def detection_loss(
    model: nn.Module, batch: tuple[torch.Tensor, list[dict[str, torch.Tensor]]]
) -> tuple[torch.Tensor, dict[str, float]]:
    """A set-prediction detector's own loss (``model.loss``: DETR's and DINO's Hungarian-matched losses)
    on ``(images, targets)``, one dict of ``boxes`` and ``labels`` per image. Models that take the targets
    in their forward pass (DINO's denoising queries: ``takes_targets``) get them."""
    images, targets = batch
    if not callable(getattr(model, "loss", None)):
        raise ValueError(
            f"detection_loss needs a detector with a loss(outputs, targets) method (DETR, DINO); {type(model).__name__} has none"
        )
    outputs = model(images, targets) if getattr(model, "takes_targets", False) else model(images)
    return model.loss(outputs, targets)


def _images_of(batch: Any) -> torch.Tensor | None:
    """The batch's input images, when the batch is a tensor or a tuple or list starting with one."""
    first = batch[0] if isinstance(batch, (tuple, list)) and batch else batch
    return first if torch.is_tensor(first) and first.is_floating_point() else None


def _check_loss(out: Any) -> tuple[torch.Tensor, dict[str, float]]:
    """The loss and logs from what ``loss_fn`` returned, or a ValueError that says what it should return."""
    loss, logs = out if isinstance(out, tuple) and len(out) == 2 else (out, {})
    if not isinstance(loss, torch.Tensor):
        hint = " (return the tensor itself, not loss.item())" if isinstance(loss, (int, float)) else ""
        raise ValueError(
            f"loss_fn must return a scalar torch.Tensor (or a pair (loss, logs)); got {type(loss).__name__}{hint}"
        )
    if loss.numel() != 1:
        raise ValueError(
            f"loss_fn must return one number for the batch, got a tensor of shape {tuple(loss.shape)}; average it with loss.mean()"
        )
    if not loss.requires_grad:
        raise ValueError(
            "loss_fn returned a tensor that does not depend on the model's weights (requires_grad is False); was it computed under torch.no_grad() or detached?"
        )
    if not isinstance(logs, dict):
        raise ValueError(
            f"the logs loss_fn returns beside the loss must be a dict of name -> number, got {type(logs).__name__}"
        )
    return loss.reshape(()), logs


def _param_groups(model: nn.Module, weight_decay: float) -> list[dict[str, Any]]:
    decay, no_decay = [], []
    for p in model.parameters():
        if p.requires_grad:
            (decay if p.ndim >= 2 else no_decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def _lr_factor(step: int, steps: int, warmup_steps: int, schedule: str) -> float:
    if warmup_steps and step < warmup_steps:
        return (step + 1) / warmup_steps
    if schedule == "constant":
        return 1.0
    progress = (step - warmup_steps) / max(1, steps - warmup_steps)
    return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))


def fit(
    model: nn.Module,
    data: Iterable,
    *,
    steps: int,
    lr: float = 1e-3,
    weight_decay: float = 0.05,
    warmup: float = 0.05,
    schedule: str = "cosine",
    grad_clip: float | None = 1.0,
    loss_fn: LossFn | None = None,
    optimizer: torch.optim.Optimizer | None = None,
    eval_fn: Callable[[nn.Module], dict[str, float]] | None = None,
    eval_every: int | None = None,
    max_seconds: float | None = None,
    keep_best: str | None = None,
    minimize: bool = False,
    patience: int | None = None,
    device: torch.device | str | None = None,
    seed: int | None = 0,
    progress: bool = True,
    desc: str = "train",
) -> History:
    """Train ``model`` for exactly ``steps`` optimiser steps over ``data`` (re-iterated as needed).

    Args:
        data: any iterable of batches: a ``DataLoader``, ``ShapesDataset.loader()``, a list.
        steps: the step budget; with ``seed`` it fixes the result.
        lr, weight_decay: AdamW settings (no decay on biases and norms), ignored if
            ``optimizer`` is given.
        warmup: linear warm-up, as a fraction of ``steps`` (< 1) or a number of steps.
        schedule: ``"cosine"`` (decay to zero) or ``"constant"`` after warm-up.
        grad_clip: clip the gradient norm to this value (None: no clipping).
        loss_fn: ``loss_fn(model, batch)`` returns the loss, or ``(loss, logs)`` with a
            dict of floats to record; the default is cross-entropy on ``(images, labels)``.
        eval_fn: ``eval_fn(model)`` returns a dict of metrics; called (in eval mode, without
            gradients) every ``eval_every`` steps and at the end.
        max_seconds: a safety net: stop early if the run takes longer than this.
        keep_best: the name of a metric of ``eval_fn``: at the end, restore the weights of the
            evaluation where it was best (largest, or smallest with ``minimize``; of tied evaluations
            the latest), i.e. early stopping on a validation set; ``history.best_step`` records which.
        patience: with ``keep_best``, stop once that many evaluations in a row have not
            improved on the best (``history.stopped_by_patience`` says it happened); the
            learning-rate schedule is still the one planned for ``steps``.
        device: where to train; default :func:`vitlite.env.pick_device`.
        seed: seeds everything first and restarts a vitlite loader's shuffling from its
            first pass, so the batches, dropout and any other randomness inside the run
            repeat exactly (None leaves the random state and the loader alone). The seed
            does not touch the model's initial weights, which were drawn when the model was
            built: seed before building it (``vitlite.env.seed_everything``, or
            :func:`vitlite.recipes.train_classifier`, which does both) for a repeatable run.
    """
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive int, got {steps!r}")
    if schedule not in ("cosine", "constant"):
        raise ValueError(f"schedule must be 'cosine' or 'constant', got {schedule!r}")
    if eval_every is not None and eval_every < 1:
        raise ValueError(f"eval_every must be a positive int or None, got {eval_every!r}")
    if keep_best is not None and eval_fn is None:
        raise ValueError("keep_best needs an eval_fn that computes the metric it names")
    if patience is not None and (
        keep_best is None or isinstance(patience, bool) or not isinstance(patience, int) or patience < 1
    ):
        raise ValueError(
            f"patience must be a positive int and needs keep_best (the metric whose improvement it waits for); got patience={patience!r}, keep_best={keep_best!r}"
        )
    if seed is not None:
        env.seed_everything(seed)
        if callable(getattr(data, "set_epoch", None)):  # a reused loader starts from its first shuffle again
            data.set_epoch(0)
    device = torch.device(device) if device is not None else env.pick_device()
    model.to(device)
    loss_fn = loss_fn or classification_loss
    optimizer = optimizer or torch.optim.AdamW(_param_groups(model, weight_decay), lr=lr)
    base_lrs = [group["lr"] for group in optimizer.param_groups]
    warmup_steps = int(round(warmup * steps)) if warmup < 1 else int(warmup)

    history = History(steps_planned=steps)
    best_state: dict[str, torch.Tensor] = {}
    start = time.perf_counter()
    bar = env.progress(total=steps, desc=desc, disable=not progress)

    def evaluate(step: int) -> None:
        model.eval()
        with torch.no_grad():
            results = eval_fn(model)
        model.train()
        if not isinstance(results, dict) or not all(
            isinstance(k, str) and isinstance(v, (int, float, torch.Tensor)) for k, v in results.items()
        ):
            raise ValueError(
                f"eval_fn must return a dict of metric name -> number, e.g. {{'accuracy': 0.93}}; got {type(results).__name__} {results!r:.80}"
            )
        history.eval_step.append(step)
        for name, value in results.items():
            history.metrics.setdefault(name, []).append(float(value))
        if keep_best is not None:
            if keep_best not in results:
                raise ValueError(f"keep_best={keep_best!r} is not among the metrics eval_fn returns: {sorted(results)}")
            value = float(results[keep_best])
            first = history.best_step == 0
            if first or (value < history.best_value if minimize else value > history.best_value):
                history.improved_step = step
            if first or (
                value <= history.best_value if minimize else value >= history.best_value
            ):  # a tie keeps the later step
                history.best_step, history.best_value = step, value
                best_state.clear()
                best_state.update({k: v.detach().clone() for k, v in model.state_dict().items()})
        bar.set_postfix({k: f"{v:.3g}" for k, v in results.items()}, refresh=False)

    model.train()
    batches = iter(data)
    step = seen = 0
    while step < steps:
        try:
            batch = next(batches)
        except StopIteration:
            batches = iter(data)
            try:
                batch = next(batches)
            except StopIteration:
                if seen == 0:
                    raise ValueError("data yielded no batches; is the dataset empty?") from None
                raise ValueError(
                    f"data ran out after {seen} batches and cannot be iterated again (a generator or an iterator?); "
                    f"pass something re-iterable (a list, a DataLoader, dataset.loader()) or steps <= {seen}"
                ) from None
        seen += 1
        factor = _lr_factor(step, steps, warmup_steps, schedule)
        for group, base in zip(optimizer.param_groups, base_lrs):
            group["lr"] = base * factor
        batch = to_device(batch, device)
        images = _images_of(batch)
        if images is not None and images.device.type != "meta" and not bool(torch.isfinite(images).all()):
            bad = int((~torch.isfinite(images)).flatten(1).any(1).sum()) if images.ndim > 1 else 1
            raise FloatingPointError(
                f"batch {seen} (step {step + 1}) has {bad} image(s) with NaN or infinite pixels; the model was not run on it, so its "
                "weights and BatchNorm statistics are as before. Clean the data first (find them with ~torch.isfinite(images).flatten(1).all(1))"
            )
        loss, logs = _check_loss(loss_fn(model, batch))
        if not torch.isfinite(loss):
            raise FloatingPointError(
                f"the loss became {loss.item()} at step {step + 1}; lower lr (now {lr}) or check the data"
            )
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if grad_clip is not None:
            nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
        optimizer.step()
        step += 1
        history.step.append(step)
        history.loss.append(loss.item())
        history.lr.append(optimizer.param_groups[0]["lr"])
        for name, value in logs.items():
            history.logs.setdefault(name, []).append(float(value))
        bar.update(1)
        bar.set_postfix_str(f"loss={loss.item():.3f}", refresh=False)
        if eval_fn is not None and eval_every and step % eval_every == 0 and step < steps:
            evaluate(step)
            if (
                patience is not None
                and len(history.eval_step) - 1 - history.eval_step.index(history.improved_step) >= patience
            ):
                history.stopped_by_patience = True
                break
        if max_seconds is not None and time.perf_counter() - start > max_seconds and step < steps:
            history.stopped_early = True
            break
    if eval_fn is not None and not history.stopped_by_patience:
        evaluate(step)
    if best_state:
        model.load_state_dict(best_state)
    bar.close()
    history.seconds = time.perf_counter() - start
    if history.stopped_early:
        print(
            f"{desc}: stopped by the wall-time cap ({max_seconds:.0f} s) after {step} of {steps} steps; results differ from a full run"
        )
    model.eval()
    return history
