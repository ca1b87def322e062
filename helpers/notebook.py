"""The first cell of every notebook: quiet TensorFlow, seeds, plot defaults (stable stored outputs)."""

from __future__ import annotations

import platform
import warnings
from typing import Any

from helpers.provenance import package_versions
from helpers.quiet import quiet_tensorflow


def setup_notebook(seed: int | None = None) -> int:
    """Import TensorFlow quietly, seed everything, set plot defaults; returns the seed: ``SEED = setup_notebook()``."""
    quiet_tensorflow()
    warnings.filterwarnings("ignore", message=r"`shuffle=True` was passed")
    warnings.filterwarnings("ignore", message=r".*HDF5 file via `model.save\(\)`")
    import matplotlib.pyplot as plt
    plt.rcParams.update({"figure.dpi": 80, "savefig.dpi": 80, "figure.max_open_warning": 0})
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
