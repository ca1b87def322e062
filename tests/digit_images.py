"""A synthetic digit image for tests, in a module of its own: ``tests/browser/`` has a ``conftest.py`` too, so
``from conftest import ...`` could pick up the wrong one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


def write_digit_image(path: Path, value: int = 200, size: int = 28, mode: str = "L") -> Path:
    """A simple synthetic 'digit': a bright bar whose position depends on ``value``."""
    array = np.zeros((size, size), dtype=np.uint8)
    array[size // 4: 3 * size // 4, (value % size) // 2 + 2: (value % size) // 2 + 6] = 255
    image = Image.fromarray(array, mode="L")
    if mode != "L":
        image = image.convert(mode)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path
