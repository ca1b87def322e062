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
