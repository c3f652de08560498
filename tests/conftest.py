"""Test-wide settings: headless notebooks, offline Hugging Face, and no network at all."""

from __future__ import annotations

import ipaddress
import os
import socket

import pytest
import torch

# Set before any kernel starts: nbval's kernels inherit this environment.
os.environ["VITLITE_HEADLESS"] = "1"
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

# Unit tests use small tensors, where one thread is fastest and leaves the other core free.
# (The chapters under nbval run in their own kernels with the default number of threads.)
torch.set_num_threads(1)

_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address, *args, **kwargs):
    """Refuse connections beyond this machine (kernels talk over loopback)."""
    host = address[0] if isinstance(address, tuple) else None
    if host is not None:
        try:
            allowed = ipaddress.ip_address(host).is_loopback
        except ValueError:
            allowed = host == "localhost"
        if not allowed:
            raise ConnectionRefusedError(f"tests must not use the network (tried to reach {host})")
    return _connect(self, address, *args, **kwargs)


socket.socket.connect = _loopback_only


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives JupyterLab in Chromium; runs after every other test")


def pytest_collection_modifyitems(config, items):
    """The browser test goes last, after the unit tests and the chapters (it is the slowest, and the least specific)."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")

