"""Where the course's small files live: photos, checkpoints and training curves.

In a checkout they are the top-level ``assets/`` folder; in an installed wheel (Colab's
``pip install git+...``) the same folder ships as the package ``vitlite._assets``.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["asset_path"]


def _root() -> Path:
    checkout = Path(__file__).resolve().parent.parent / "assets"
    if checkout.is_dir():
        return checkout
    from importlib.resources import files

    return Path(str(files("vitlite._assets")))


def asset_path(*parts: str) -> Path:
    """The path of an asset, e.g. ``asset_path("photos", "chelsea.jpg")``."""
    path = _root().joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(f"asset {'/'.join(parts)!r} not found under {_root()}; is the checkout complete?")
    return path
