"""Shared by the reference tests."""

from __future__ import annotations

import torch
from torch import nn


@torch.no_grad()
def random_weights(model: nn.Module, std: float = 0.2, seed: int = 0) -> nn.Module:
    """Give every parameter non-trivial random values (Hugging Face initialises some to 0 or 1), in eval mode."""
    gen = torch.Generator().manual_seed(seed)
    for p in model.parameters():
        p.copy_(torch.randn(p.shape, generator=gen) * std)
    return model.eval()


def max_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    return (a - b).abs().max().item()
