"""The training recipes the CLI knows, by name: ``python -m helpers train --recipe NAME``.

Names are listed without importing TensorFlow, so ``--help`` and argument errors stay instant.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

RECIPE_NAMES = ("reference", "improved")


def _reference(**options: Any) -> tuple[Any, dict]:
    from helpers.training import train_reference

    return train_reference(**options)


def _improved(**options: Any) -> tuple[Any, dict]:
    from helpers.training import train_improved

    return train_improved(**options)


RECIPES: dict[str, Callable[..., tuple[Any, dict]]] = {
    "reference": _reference,
    "improved": _improved,
}


def planned_epochs(recipe: str, options: dict[str, Any]) -> int:
    """How many epochs a run of ``recipe`` with these options reports (for ``epoch k/N`` progress lines).
    The improved recipe trains its committee members one after the other."""
    from helpers.training import IMPROVED_EPOCHS, IMPROVED_MEMBERS, REFERENCE_EPOCHS

    if recipe == "improved":
        return options.get("epochs", IMPROVED_EPOCHS) * options.get("members", IMPROVED_MEMBERS)
    return options.get("epochs", REFERENCE_EPOCHS)
