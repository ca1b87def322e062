"""The first cell of every notebook: quiet TensorFlow, seeds, plot defaults (stable stored outputs)."""

from __future__ import annotations

import platform
import warnings
from collections.abc import Callable
from typing import Any

from helpers.provenance import package_versions
from helpers.quiet import quiet_tensorflow


def setup_notebook(seed: int | None = None) -> int:
    """Import TensorFlow quietly, seed everything, set plot defaults; returns the seed: ``SEED = setup_notebook()``."""
    quiet_tensorflow()
    warnings.filterwarnings("ignore", message=r"`shuffle=True` was passed")
    warnings.filterwarnings("ignore", message=r".*HDF5 file via `model.save\(\)`")
    import matplotlib.pyplot as plt
    from helpers.style import STYLE
    plt.rcParams.update(STYLE)
    from helpers.training import set_seed
    return set_seed(seed)


def environment_report() -> dict[str, Any]:
    """Versions of Python and the course's libraries, and the devices TensorFlow found."""
    import tensorflow as tf
    versions = {"python": platform.python_version()}
    found = package_versions(("tensorflow", "keras", "numpy", "matplotlib", "seaborn", "scikit-learn", "ipywidgets",
                              "jupyterlab", "nbval"))
    versions.update({name: version or "not installed" for name, version in found.items()})
    gpus = tf.config.list_physical_devices("GPU")
    versions["devices"] = f"{len(gpus)} GPU(s)" if gpus else "CPU only"
    return versions


def check(solved: Callable[[], bool], right: str, hint: str) -> None:
    """An exercise's check: prints ``Right: <right>`` if ``solved()``, else ``Not yet: <hint>`` (naming the error
    when it raises, e.g. on the ``...`` placeholder).

    >>> check(lambda: len(...) == 3, "three.", "give a list of 3")
    Not yet: give a list of 3 (TypeError: object of type 'ellipsis' has no len())
    """
    try:
        passed, error = bool(solved()), ""
    except Exception as exc:  # a student's half-written answer: say why, never a traceback
        passed, error = False, f" ({type(exc).__name__}: {exc})"
    print(f"Right: {right}" if passed else f"Not yet: {hint}{error}")
