"""Named training runs that produce the course's checkpoints, and the code to load them.

    python -m vitlite.recipes --list
    python -m vitlite.recipes data_hunger                # trains, writes assets/checkpoints/data_hunger/
    python -m vitlite.recipes mobilevit --shard 0/2      # half of a study's runs (run 1/2 beside it)

A chapter whose experiment needs more CPU time than its budget trains live for a while with
the very code the recipe uses, then loads the recipe's checkpoints and evaluates them. Every
recipe writes a ``manifest.json`` that records the command, the CPU time, the device and the
versions it ran with; a study (chapters 05 on) also records its expectation, fixed before the runs,
and one JSON record per run with its scores and training curves.
"""

from __future__ import annotations

from vitlite.recipes.classic import (
    DATA_HUNGER,
    SOFT_SPLIT,
    WINDOWS,
    Comparison,
    DataHunger,
    Entry,
    comparison,
    data_hunger,
)
from vitlite.recipes.registry import RECIPES, Recipe, main
from vitlite.recipes.runner import (
    CHECKPOINTS,
    TASKS,
    Arm,
    Study,
    checkpoint_files,
    describe,
    load_checkpoint,
    manifest,
    provenance,
    save_checkpoint,
    summarize,
    train_classifier,
)

__all__ = [
    "RECIPES",
    "Recipe",
    "main",
    "CHECKPOINTS",
    "TASKS",
    "Arm",
    "Study",
    "summarize",
    "DataHunger",
    "DATA_HUNGER",
    "Entry",
    "Comparison",
    "SOFT_SPLIT",
    "WINDOWS",
    "data_hunger",
    "comparison",
    "train_classifier",
    "save_checkpoint",
    "load_checkpoint",
    "checkpoint_files",
    "manifest",
    "provenance",
    "describe",
]
