"""Shared by the reference tests."""

from __future__ import annotations

import torch
from torch import nn


@torch.no_grad()
def random_weights(model: nn.Module, std: float = 0.2, seed: int = 0, buffers: bool = False) -> nn.Module:
    """Give every parameter non-trivial random values (Hugging Face initialises some to 0 or 1), in eval mode.

    Matrices and kernels are drawn at the scale 1 / sqrt(fan-in) and a norm's scale (a 1-D ``weight``) near
    1, so that the signal survives the depth: with everything at ``std``, each layer shrank it and the deep
    stages' outputs no longer depended on the input at all (a comparison of two models' biases). Biases,
    class tokens and position tables get ``std``. ``buffers=True`` treats a frozen batch norm's weight and
    bias buffers the same way and draws the running statistics too (DETR's backbone)."""
    gen = torch.Generator().manual_seed(seed)
    tensors = list(model.named_parameters())
    if buffers:
        tensors += [(n, b) for n, b in model.named_buffers() if n.endswith(("weight", "bias"))]
    for name, p in tensors:
        noise = torch.randn(p.shape, generator=gen)
        if p.ndim >= 2 and p.shape[0] > 1:  # not a (1, ...) token or position table: those get std
            p.copy_(noise / p[0].numel() ** 0.5)
        else:
            p.copy_(1.0 + noise * std if name.endswith("weight") else noise * std)
    if buffers:
        for name, b in model.named_buffers():
            if name.endswith("running_var"):
                b.copy_(0.5 + torch.rand(b.shape, generator=gen))
            elif name.endswith("running_mean"):
                b.copy_(torch.randn(b.shape, generator=gen) * std)
    return model.eval()


def max_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    return (a - b).abs().max().item()
