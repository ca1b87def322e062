"""The training recipes' names (``python -m helpers train --recipe NAME``) and settings, without importing
TensorFlow or any other helper, so ``--help`` stays instant; ``helpers.training`` holds their code."""

from __future__ import annotations

from typing import Any

RECIPE_NAMES = ("reference", "improved")

REFERENCE_EPOCHS = 20
REFERENCE_BATCH_SIZE = 32
IMPROVED_EPOCHS = 18
IMPROVED_MEMBERS = 2
IMPROVED_BATCH_SIZE = 128


def planned_epochs(recipe: str, options: dict[str, Any]) -> int:
    """How many epochs a run of ``recipe`` reports (``epoch k/N``); the committee's members train together.

    >>> planned_epochs("improved", {"epochs": 5})
    5
    """
    return options.get("epochs", IMPROVED_EPOCHS if recipe == "improved" else REFERENCE_EPOCHS)
