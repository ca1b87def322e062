"""The training recipes (``python -m helpers train --recipe NAME``), one frozen ``Recipe`` each: the one place
their numbers live.  Training, the CLI, the widgets and the metadata check all read them from here.  No
TensorFlow and no helper above ``errors`` is imported, so ``--help`` stays instant; ``helpers.training`` holds
the code that follows a recipe."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from helpers.errors import CourseError


@dataclass(frozen=True)
class Recipe:
    """How one of the course's models is trained.

    ``learning_rate`` is Adam's (the peak, after ``warmup_epochs`` of warm-up from ``warmup_from``; then a
    cosine decay to 0 when ``cosine`` is set).  ``members`` CNNs train together; ``shifts``: the model also
    averages its answers over the digit moved one pixel each way.  Validation digits: the test split, or
    ``validation_fraction`` of the training digits when that is set."""

    name: str
    epochs: int
    batch_size: int
    learning_rate: float
    summary: str
    warmup_from: float | None = None
    warmup_epochs: int = 0
    cosine: bool = False
    label_smoothing: float = 0.0
    members: int = 1
    shifts: bool = False
    validation_fraction: float | None = None


REFERENCE = Recipe(
    name="reference",
    epochs=20,
    batch_size=32,
    learning_rate=1e-3,
    summary="the original project's recipe: one CNN, Adam at 0.001, validated on the test split",
)
IMPROVED = Recipe(
    name="improved",
    epochs=18,
    batch_size=128,
    learning_rate=3e-3,
    warmup_from=1.5e-4,
    warmup_epochs=1,
    cosine=True,
    label_smoothing=0.1,
    members=2,
    shifts=True,
    validation_fraction=0.1,
    summary="a committee of two regularized CNNs trained together, warm-up then cosine decay, "
    "labels smoothed by 0.1, answers averaged over one-pixel shifts",
)

RECIPES = {recipe.name: recipe for recipe in (REFERENCE, IMPROVED)}
RECIPE_NAMES = tuple(RECIPES)


def get_recipe(name: str) -> Recipe:
    """The recipe called ``name``; ``CourseError`` listing the recipes for any other name.

    >>> get_recipe("improved").members
    2
    """
    if name not in RECIPES:
        raise CourseError(f"unknown recipe {name!r}; choose one of: {', '.join(RECIPE_NAMES)}")
    return RECIPES[name]


def planned_epochs(recipe: str, options: dict[str, Any]) -> int:
    """How many epochs a run of ``recipe`` reports (``epoch k/N``); the committee's members train together.

    >>> planned_epochs("improved", {"epochs": 5})
    5
    """
    return options.get("epochs", get_recipe(recipe).epochs)


def training_settings(recipe: str, members: int | None = None) -> dict[str, Any]:
    """What a run of ``recipe`` learns with beyond its epochs and batch size (recorded and checked in a model's
    metadata): learning rate, warm-up, label smoothing, members (``members`` when a run chose its own) ...

    >>> training_settings("reference")["learning_rate"]
    0.001
    """
    settings = {
        key: value
        for key, value in asdict(get_recipe(recipe)).items()
        if key not in ("name", "summary", "epochs", "batch_size")
    }
    if members is not None:
        settings["members"] = members
    return settings
