"""The model registry: every named model of the course, one file per paper.

``create_model(name, **overrides)`` builds any of them; ``device="meta"`` builds it
without allocating memory, which is how a 300M-parameter model gets counted.
"""

from __future__ import annotations

import difflib
import fnmatch
import inspect
import re
from typing import Callable

import torch
from torch import nn

__all__ = ["register_model", "create_model", "list_models"]

_MODELS: dict[str, Callable[..., nn.Module]] = {}


def register_model(fn: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
    """Decorator: make a model constructor available to :func:`create_model` under its function name."""
    if fn.__name__ in _MODELS:
        raise ValueError(f"model {fn.__name__!r} is registered twice")
    _MODELS[fn.__name__] = fn
    return fn


def create_model(name: str, *, device: str | torch.device | None = None, **overrides) -> nn.Module:
    """Build the registered model ``name``; keyword arguments override its configuration.

    ``device="meta"`` creates parameters without storage (count them, inspect shapes).
    """
    if not isinstance(name, str):
        raise TypeError(
            f"create_model needs a model name, a string such as 'vit_tiny_shapes'; got {name!r} (vitlite.list_models() lists them all)"
        )
    if name not in _MODELS:
        close = difflib.get_close_matches(name, _MODELS, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ValueError(f"unknown model {name!r}{hint} (vitlite.list_models() lists them all)")
    try:
        if device is None:
            return _MODELS[name](**overrides)
        with torch.device(device):
            return _MODELS[name](**overrides)
    except TypeError as error:
        match = re.search(r"unexpected keyword argument '(\w+)'", str(error))
        if match is None:
            raise
        with torch.device("meta"):
            settings = sorted(
                p
                for p in inspect.signature(type(_MODELS[name]()).__init__).parameters
                if p not in ("self", "args", "kwargs")
            )
        close = difflib.get_close_matches(match.group(1), settings, n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        raise ValueError(
            f"{name} has no setting {match.group(1)!r}{hint} (its settings: {', '.join(settings)})"
        ) from None


def list_models(pattern: str = "*") -> list[str]:
    """Registered model names matching a shell-style ``pattern``, sorted."""
    return sorted(n for n in _MODELS if fnmatch.fnmatch(n, pattern))


from vitlite.models import (  # noqa: E402,F401  (registers their models)
    attnconv,
    dense,
    detr,
    dino,
    dpt,
    mobilevit,
    mobilevitv2,
    permuted,
    resnet,
    setr,
    swin,
    t2t,
    vit,
)
