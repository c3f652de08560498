"""Evaluation metrics. Each takes a model and data, or predictions and targets."""

from __future__ import annotations

from typing import Any, Iterable

import torch
from torch import nn

from vitlite.train import to_device

__all__ = ["predict", "accuracy", "confusion_matrix", "iou_per_class", "mean_iou", "segmentation_scores"]


def _batches(data: Any, batch_size: int) -> Iterable:
    loader = getattr(data, "loader", None)
    return loader(batch_size=batch_size, shuffle=False) if callable(loader) else data


@torch.no_grad()
def predict(model: nn.Module, data: Any, device: torch.device | str | None = None, batch_size: int = 256) -> tuple[torch.Tensor, torch.Tensor]:
    """Run ``model`` over ``data`` (a ShapesDataset or an iterable of (inputs, targets)); return (outputs, targets) on the CPU."""
    device = torch.device(device) if device is not None else next(model.parameters()).device
    was_training = model.training
    model.eval()
    outputs, targets = [], []
    for inputs, target in _batches(data, batch_size):
        outputs.append(model(to_device(inputs, device)).float().cpu())
        targets.append(target)
    model.train(was_training)
    if not outputs:
        raise ValueError("no data to evaluate")
    return torch.cat(outputs), torch.cat(targets)


def accuracy(model_or_logits: nn.Module | torch.Tensor, data_or_labels: Any, device: torch.device | str | None = None) -> float:
    """Top-1 accuracy, from a model and data or from logits (N, C) and labels (N,)."""
    if isinstance(model_or_logits, nn.Module):
        logits, labels = predict(model_or_logits, data_or_labels, device)
    else:
        logits, labels = model_or_logits, data_or_labels
    if logits.ndim != 2 or labels.shape != logits.shape[:1]:
        raise ValueError(f"accuracy expects logits (N, C) and labels (N,), got {tuple(logits.shape)} and {tuple(labels.shape)}")
    return (logits.argmax(-1) == labels.to(logits.device)).float().mean().item()


# ---------------------------------------------------------------------- segmentation
def confusion_matrix(pred: torch.Tensor, target: torch.Tensor, num_classes: int, ignore_index: int | None = None) -> torch.Tensor:
    """(num_classes, num_classes) counts: row = true class, column = predicted class.

    ``pred`` and ``target`` are integer class maps of the same shape; pixels whose target is
    ``ignore_index`` are left out."""
    if pred.shape != target.shape:
        raise ValueError(f"pred and target must have the same shape, got {tuple(pred.shape)} and {tuple(target.shape)}")
    if pred.is_floating_point() or target.is_floating_point():
        raise ValueError("pred and target must be integer class maps; take scores.argmax(1) of the model's output first")
    pred, target = pred.reshape(-1).long(), target.reshape(-1).long()
    keep = target != ignore_index if ignore_index is not None else torch.ones_like(target, dtype=torch.bool)
    pred, target = pred[keep], target[keep]
    if target.numel() and (int(target.min()) < 0 or int(target.max()) >= num_classes or int(pred.min()) < 0 or int(pred.max()) >= num_classes):
        raise ValueError(f"class indices must lie in [0, {num_classes}); got targets {int(target.min())}..{int(target.max())} and predictions {int(pred.min())}..{int(pred.max())}")
    return torch.bincount(target * num_classes + pred, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def iou_per_class(confusion: torch.Tensor) -> torch.Tensor:
    """Intersection over union of every class from a confusion matrix; NaN for a class that is in
    neither the targets nor the predictions."""
    confusion = confusion.double()
    inter = confusion.diag()
    union = confusion.sum(0) + confusion.sum(1) - inter
    return torch.where(union > 0, inter / union.clamp_min(1), torch.full_like(inter, float("nan")))


def mean_iou(confusion: torch.Tensor) -> float:
    """The mean of :func:`iou_per_class` over the classes that occur (the usual mIoU)."""
    iou = iou_per_class(confusion)
    present = ~torch.isnan(iou)
    if not present.any():
        raise ValueError("no pixels to score: the confusion matrix is empty")
    return iou[present].mean().item()


@torch.no_grad()
def segmentation_scores(model: nn.Module, data: Any, num_classes: int, device: torch.device | str | None = None, batch_size: int = 128, ignore_index: int | None = None) -> dict[str, float]:
    """mIoU and pixel accuracy of ``model`` (class scores (B, K, H, W) at the input's resolution) on ``data``."""
    device = torch.device(device) if device is not None else next(model.parameters()).device
    was_training = model.training
    model.eval()
    total = torch.zeros(num_classes, num_classes, dtype=torch.long)
    for images, masks in _batches(data, batch_size):
        scores = model(to_device(images, device))
        if scores.ndim != 4 or scores.shape[-2:] != masks.shape[-2:]:
            raise ValueError(f"the model should return class scores (B, {num_classes}, H, W) at the masks' size {tuple(masks.shape[-2:])}, got {tuple(scores.shape)}")
        total += confusion_matrix(scores.argmax(1).cpu(), masks, num_classes, ignore_index)
    model.train(was_training)
    return {"miou": mean_iou(total), "pixel_accuracy": (total.diag().sum() / total.sum().clamp_min(1)).item()}
