"""Where things are: the repository, the bundled dataset and the ``models/`` folder.

Notebooks find ``data/`` and ``models/`` through these constants, wherever Jupyter was started from.
"""

from __future__ import annotations

from pathlib import Path


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
MODELS_DIR = REPO_ROOT / "models"
REFERENCE_MODEL = MODELS_DIR / "mnist_cnn_model.keras"
IMPROVED_MODEL = MODELS_DIR / "mnist_cnn_improved.keras"


def is_inside_data_dir(path: Path) -> bool:
    """True when ``path`` lies inside the repository's ``data/`` folder, which the course never writes to."""
    try:
        Path(path).resolve().relative_to(DATA_DIR.resolve())
    except ValueError:
        return False
    return True


def display_path(path: Path | str) -> str:
    """``path`` relative to the repository root when it is inside it (no machine-specific prefix in
    notebook outputs), else as given."""
    p = Path(path)
    try:
        return p.resolve().relative_to(REPO_ROOT.resolve()).as_posix()
    except ValueError:
        return str(path)
