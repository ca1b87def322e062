"""Where things are: the course's folder (the clone this package lives in, Colab's clone included, or
``$COURSE_ROOT``), the bundled dataset and ``models/`` (``$COURSE_MODELS_DIR``), wherever Jupyter was started
from; the seed of every run (``$COURSE_SEED``, default 42)."""

from __future__ import annotations

import os
from pathlib import Path

from helpers.errors import CourseError

SEED_VARIABLE = "COURSE_SEED"
MODELS_VARIABLE = "COURSE_MODELS_DIR"
DEFAULT_SEED = 42


ROOT_VARIABLE = "COURSE_ROOT"


def _is_course(folder: Path) -> bool:
    return (folder / "pyproject.toml").is_file() and (folder / "data").is_dir()


def find_repo_root(start: Path | None = None) -> Path:
    """The nearest folder above ``start`` (default: this package) holding ``pyproject.toml`` and ``data/``;
    ``CourseError`` saying how to point at the course when there is none."""
    start = (start or Path(__file__)).resolve()
    for folder in [start, *start.parents]:
        if _is_course(folder):
            return folder
    raise CourseError(
        f"cannot find the course's folder (one holding pyproject.toml and data/) above {start}: "
        f"use helpers from a clone of the course (pip install -e .), or set {ROOT_VARIABLE} to it"
    )


def course_root() -> Path:
    """``$COURSE_ROOT`` when set (checked), else the course folder this package lives in (``find_repo_root``)."""
    text = os.environ.get(ROOT_VARIABLE, "").strip()
    if not text:
        return find_repo_root()
    folder = Path(text).expanduser().resolve()
    if not _is_course(folder):
        raise CourseError(f"{ROOT_VARIABLE}={text} is not the course's folder: it must hold pyproject.toml and data/")
    return folder


REPO_ROOT = course_root()
DATA_DIR = REPO_ROOT / "data"
BUNDLED_DATASET = DATA_DIR / "reduced_mnist"
TRAIN_DIR = BUNDLED_DATASET / "train"
TEST_DIR = BUNDLED_DATASET / "test"


def course_seed() -> int:
    """The course's random seed: ``$COURSE_SEED`` if set, else 42.

    >>> from unittest import mock
    >>> with mock.patch.dict(os.environ, {"COURSE_SEED": "7"}):
    ...     course_seed()
    7
    >>> with mock.patch.dict(os.environ, {"COURSE_SEED": ""}):
    ...     course_seed()
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


def refuse_data_dir(path: Path | str) -> Path:
    """The one write guard: ``CourseError`` when ``path`` lies inside ``data/``; else ``path`` as a ``Path``."""
    path = Path(path)
    if path.resolve().is_relative_to(DATA_DIR.resolve()):
        raise CourseError(f"refusing to write into data/ (it holds the bundled dataset): {path}")
    return path


def display_path(path: Path | str) -> str:
    """``path`` relative to the repository root when inside it (no machine's prefix in outputs), else as given."""
    p = Path(path)
    try:
        return p.resolve().relative_to(REPO_ROOT.resolve()).as_posix()
    except ValueError:
        return str(path)
