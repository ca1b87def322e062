"""Where things are: the repository, the bundled dataset and the ``models/`` folder.

Notebooks find ``data/`` and ``models/`` through these constants, wherever Jupyter was started from.

Two environment variables change the course's settings without editing a notebook (``make test-variants``
uses them to train every model under other conditions, in a folder of its own):

- ``COURSE_SEED``: the random seed of every training run (default 42), read by ``course_seed()``;
- ``COURSE_MODELS_DIR``: where trained models are kept (default ``models/``; relative to the repository).
"""

from __future__ import annotations

import os
from pathlib import Path

from helpers.errors import CourseError

SEED_VARIABLE = "COURSE_SEED"
MODELS_VARIABLE = "COURSE_MODELS_DIR"
DEFAULT_SEED = 42


def find_repo_root(start: Path | None = None) -> Path:
    """Return the course repository's root: the nearest folder above ``start`` holding ``pyproject.toml``
    and ``data/``.  Defaults to the folder of this package (the editable install points at the repo)."""
    start = (start or Path(__file__)).resolve()
    for folder in [start, *start.parents]:
        if (folder / "pyproject.toml").is_file() and (folder / "data").is_dir():
            return folder
    return Path(__file__).resolve().parent.parent


REPO_ROOT = find_repo_root()
DATA_DIR = REPO_ROOT / "data"
BUNDLED_DATASET = DATA_DIR / "reduced_mnist"
TRAIN_DIR = BUNDLED_DATASET / "train"
TEST_DIR = BUNDLED_DATASET / "test"


def course_seed() -> int:
    """The course's random seed: ``$COURSE_SEED`` if set, else 42.

    >>> course_seed() if "COURSE_SEED" not in os.environ else 42
    42
    """
    text = os.environ.get(SEED_VARIABLE, "").strip()
    if not text:
        return DEFAULT_SEED
    if not (text.isascii() and text.isdigit()) or int(text) >= 2**32:
        raise CourseError(f"{SEED_VARIABLE}={text!r} is not a seed: use a whole number from 0 to 4294967295")
    return int(text)


def _models_dir() -> Path:
    folder = Path(os.environ.get(MODELS_VARIABLE, "").strip() or "models")
    return folder if folder.is_absolute() else REPO_ROOT / folder


MODELS_DIR = _models_dir()
EXPERIMENTS_DIR = MODELS_DIR / "experiments"
REFERENCE_MODEL = MODELS_DIR / "mnist_cnn_model.keras"
IMPROVED_MODEL = MODELS_DIR / "mnist_cnn_improved.keras"


def is_inside_data_dir(path: Path) -> bool:
    """True when ``path`` lies inside the repository's ``data/`` folder, which the course never writes to."""
    try:
        Path(path).resolve().relative_to(DATA_DIR.resolve())
    except ValueError:
        return False
    return True


def refuse_data_dir(path: Path | str) -> Path:
    """The one write guard: raise ``CourseError`` when ``path`` lies inside ``data/`` (the bundled dataset,
    which the course never writes to); return it as a ``Path`` otherwise."""
    path = Path(path)
    if is_inside_data_dir(path):
        raise CourseError(f"refusing to write into data/ (it holds the bundled dataset): {path}")
    return path


def display_path(path: Path | str) -> str:
    """``path`` relative to the repository root when it is inside it (no machine-specific prefix in
    notebook outputs), else as given."""
    p = Path(path)
    try:
        return p.resolve().relative_to(REPO_ROOT.resolve()).as_posix()
    except ValueError:
        return str(path)
