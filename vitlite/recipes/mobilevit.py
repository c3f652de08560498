"""The studies of chapters 05 and 06 (MobileViT v1, v2, v3): filled in after the pilot."""

from __future__ import annotations

from vitlite.recipes.runner import Arm, Study

__all__ = ["STUDIES"]

STUDIES: tuple[Study, ...] = ()
