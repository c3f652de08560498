"""Evaluation metrics. Each takes a model and data, or predictions and targets."""

from __future__ import annotations

from typing import Any, Iterable

import torch
from torch import nn

from vitlite.train import to_device

__all__ = ["predict", "accuracy"]


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
