"""Measuring what a model costs: time per call, images per second, and memory.

Memory on the CPU is measured as the bytes autograd keeps for the backward pass (activations
and attention matrices), found with saved-tensor hooks; it is deterministic and is what grows
with the number of tokens. On CUDA the allocator's peak is used instead.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Any, Callable

import torch

__all__ = ["Measurement", "measure", "saved_bytes"]


@dataclass(frozen=True)
class Measurement:
    seconds: float  # median wall time of one call
    memory_bytes: int  # saved activations (CPU) or the allocator's peak (CUDA)

    @property
    def megabytes(self) -> float:
        return self.memory_bytes / 2**20


def saved_bytes(fn: Callable[[], Any]) -> int:
    """Bytes of the tensors autograd saves for backward while ``fn`` runs (each storage counted once)."""
    storages: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        storage = t.untyped_storage()
        storages[storage.data_ptr()] = storage.nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        fn()
    return sum(storages.values())


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def measure(
    fn: Callable[[], Any], device: torch.device | str = "cpu", repeats: int = 3, warmup: int = 1, memory: bool = True
) -> Measurement:
    """Median time of ``fn()`` over ``repeats`` calls after ``warmup``, and its memory (see the module doc;
    0 with ``memory=False``, which saves one more call).

    ``fn`` should run a forward pass with gradients enabled if the CPU memory figure is wanted."""
    device = torch.device(device)
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        _sync(device)
        start = time.perf_counter()
        fn()
        _sync(device)
        times.append(time.perf_counter() - start)
    if not memory:
        return Measurement(statistics.median(times), 0)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
        base = torch.cuda.memory_allocated(device)
        fn()
        _sync(device)
        memory = torch.cuda.max_memory_allocated(device) - base
    else:
        memory = saved_bytes(fn)
    return Measurement(statistics.median(times), memory)
