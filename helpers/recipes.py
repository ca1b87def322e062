"""The training recipes the CLI knows, by name (``python -m helpers train --recipe NAME``), and their
settings.  ``helpers.training`` holds the code of each recipe and imports its settings from here.

Names and settings come without importing TensorFlow (or any other helper), so ``--help`` and argument
errors stay instant.
"""

from __future__ import annotations

from typing import Any

RECIPE_NAMES = ("reference", "improved")

REFERENCE_EPOCHS = 20
REFERENCE_BATCH_SIZE = 32
IMPROVED_EPOCHS = 18
IMPROVED_MEMBERS = 2
IMPROVED_BATCH_SIZE = 128


def planned_epochs(recipe: str, options: dict[str, Any]) -> int:
    """How many epochs a run of ``recipe`` with these options reports (for ``epoch k/N`` progress lines).
    The improved recipe trains its committee members together, in the same epochs.

    >>> planned_epochs("improved", {"epochs": 5})
    5
    """
    return options.get("epochs", IMPROVED_EPOCHS if recipe == "improved" else REFERENCE_EPOCHS)
