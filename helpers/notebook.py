"""The first cell of every notebook: quiet TensorFlow, seeds, plot defaults.

Keeps the stored outputs of the notebooks identical from run to run (see ``tests/nbval_sanitize.cfg``).
"""

from __future__ import annotations

import platform
import warnings
from typing import Any

from helpers.quiet import quiet_tensorflow


def setup_notebook(seed: int = 42) -> None:
    """Import TensorFlow quietly, seed every random generator, and set modest plot defaults.

    Also silences one Keras warning that is noise here: ``fit`` warns that ``shuffle=True`` is ignored
    for a ``tf.data.Dataset``, but our datasets shuffle themselves (``load_dataset(..., shuffle=True)``).
    """
    quiet_tensorflow()
    warnings.filterwarnings("ignore", message=r"`shuffle=True` was passed")
    warnings.filterwarnings("ignore", message=r".*HDF5 file via `model.save\(\)`")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"figure.dpi": 80, "savefig.dpi": 80, "figure.max_open_warning": 0})
    from helpers.training import set_seed

    set_seed(seed)


def environment_report() -> dict[str, Any]:
    """Versions of Python and the course's libraries, and the devices TensorFlow found."""
    import importlib.metadata as metadata

    import tensorflow as tf

    versions = {"python": platform.python_version()}
    for package in ("tensorflow", "keras", "numpy", "matplotlib", "seaborn", "scikit-learn", "ipywidgets",
                    "jupyterlab", "nbval"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    gpus = tf.config.list_physical_devices("GPU")
    versions["devices"] = f"{len(gpus)} GPU(s)" if gpus else "CPU only"
    return versions
