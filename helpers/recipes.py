"""The training recipes' names (``python -m helpers train --recipe NAME``) and settings, without importing
TensorFlow or any other helper, so ``--help`` stays instant; ``helpers.training`` holds their code."""

from __future__ import annotations

from typing import Any

RECIPE_NAMES = ("reference", "improved")

REFERENCE_EPOCHS = 20
REFERENCE_BATCH_SIZE = 32
IMPROVED_EPOCHS = 30
IMPROVED_MEMBERS = 2
IMPROVED_BATCH_SIZE = 64


def planned_epochs(recipe: str, options: dict[str, Any]) -> int:
    """How many epochs a run of ``recipe`` reports (``epoch k/N``), its committee members one after another.

    >>> planned_epochs("improved", {"epochs": 5})
    10
    """
    if recipe == "improved":
        return options.get("epochs", IMPROVED_EPOCHS) * options.get("members", IMPROVED_MEMBERS)
    return options.get("epochs", REFERENCE_EPOCHS)
