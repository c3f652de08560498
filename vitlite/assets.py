"""Where the course's small files live: photos, checkpoints and training curves.

In a checkout they are the top-level ``assets/`` folder; in an installed wheel (Colab's
``pip install git+...``) the same folder ships as the package ``vitlite._assets``.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

__all__ = ["asset_path", "assets_root"]


@lru_cache(maxsize=1)
def assets_root() -> Path:
    """The folder that holds the assets: the checkout's ``assets/`` or the installed ``vitlite/_assets``.

    ``vitlite._assets`` has no ``__init__.py``, so importlib sees a namespace package, whose
    ``importlib.resources.files()`` is a ``MultiplexedPath`` rather than a path on Python
    3.10-3.13. The import system's list of search locations is a plain list of folders on
    every version, so that is what is used.
    """
    top = Path(__file__).resolve().parent.parent
    checkout = top / "assets"
    if (
        top / "pyproject.toml"
    ).is_file() and checkout.is_dir():  # a checkout, not a site-packages that happens to hold an assets/ folder
        return checkout
    installed = Path(__file__).resolve().parent / "_assets"
    if installed.is_dir():
        return installed
    spec = importlib.util.find_spec("vitlite._assets")
    for location in (spec.submodule_search_locations or []) if spec is not None else []:
        if Path(location).is_dir():
            return Path(location)
    raise FileNotFoundError(
        f"the course's assets are missing: neither {checkout} nor {installed} exists; reinstall vitlite"
    )


def asset_path(*parts: str) -> Path:
    """The path of an asset, e.g. ``asset_path("photos", "chelsea.jpg")``."""
    root = assets_root()
    path = root.joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(
            f"asset {'/'.join(parts)!r} not found under {root}; is the checkout or the installation complete?"
        )
    return path
