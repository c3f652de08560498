"""Where the course runs: device choice, seeding, and the Colab bootstrap."""

from __future__ import annotations

import os
import random
import sys
from typing import Any, Iterable

import numpy as np
import torch

__all__ = ["in_colab", "pick_device", "seed_everything", "setup", "headless", "progress"]


def in_colab() -> bool:
    """True inside a Google Colab runtime."""
    return "google.colab" in sys.modules


def headless() -> bool:
    """True when no widget front end will render the output.

    That is the case outside an IPython kernel (a plain script, the .py twin run
    with ``python``) and whenever ``VITLITE_HEADLESS=1`` is set, which the test
    suite and the benchmark do because they execute notebooks with no browser.
    """
    if os.environ.get("VITLITE_HEADLESS", "") not in ("", "0"):
        return True
    try:
        from IPython import get_ipython
    except ImportError:
        return True
    shell = get_ipython()
    return shell is None or not hasattr(shell, "kernel")


def pick_device(prefer: str | None = None) -> torch.device:
    """The best available device: CUDA, then Apple's MPS, then the CPU.

    ``prefer`` (or the ``VITLITE_DEVICE`` environment variable) forces one, e.g. ``"cpu"``.
    """
    prefer = prefer or os.environ.get("VITLITE_DEVICE") or None
    if prefer is not None:
        device = torch.device(prefer)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError("device 'cuda' was asked for but CUDA is not available; use 'cpu'")
        if device.type == "mps" and not _mps_available():
            raise ValueError("device 'mps' was asked for but MPS is not available; use 'cpu'")
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    if _mps_available():
        return torch.device("mps")
    return torch.device("cpu")


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return backend is not None and backend.is_available()


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (all devices) so a run repeats itself."""
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def setup(seed: int = 0, device: str | None = None, quiet: bool = False) -> torch.device:
    """One call at the top of every chapter: seed, pick the device, enable widgets on Colab.

    Returns the device the chapter should use.
    """
    seed_everything(seed)
    chosen = pick_device(device)
    if in_colab():
        from google.colab import output  # type: ignore[import-not-found]

        output.enable_custom_widget_manager()
    if not quiet:
        threads = torch.get_num_threads()
        print(f"vitlite: device={chosen.type}, torch {torch.__version__}, {threads} CPU threads, seed={seed}")
    return chosen


def progress(iterable: Iterable | None = None, total: int | None = None, desc: str = "", **kwargs: Any):
    """A progress bar: a widget in a live notebook, a quiet text bar when headless.

    Headless runs (tests, the benchmark, the committed notebooks) print two lines, the start and
    the end, so the stored output stays short whatever the machine's speed.
    """
    if headless():
        from tqdm.std import tqdm

        kwargs.setdefault("mininterval", float("inf"))
        kwargs.setdefault("file", sys.stdout)
        kwargs.setdefault("ncols", 90)
    else:
        from tqdm.auto import tqdm
    return tqdm(iterable, total=total, desc=desc, **kwargs)
