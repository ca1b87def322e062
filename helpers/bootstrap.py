"""A notebook opened on its own (Colab, a JupyterHub, a downloaded file): make the course work around it.

The first code cell of every notebook clones the course when ``helpers`` can't be imported, puts the clone on
``sys.path`` and calls :func:`finish_setup`. In a clone of the course that cell does nothing.
"""

from __future__ import annotations

import importlib.util
import os
import site
import subprocess
import sys
from pathlib import Path

# module to import -> package to install when it is missing (the platform's own copy is always kept)
NEEDED = {"tensorflow": "tensorflow", "keras": "keras", "numpy": "numpy", "matplotlib": "matplotlib",
          "seaborn": "seaborn", "sklearn": "scikit-learn", "PIL": "pillow", "h5py": "h5py",
          "ipywidgets": "ipywidgets", "anywidget": "anywidget"}


def pinned(requirements: Path, packages: list[str]) -> list[str]:
    """The lines of ``requirements.txt`` that pin ``packages`` for this Python (markers evaluated)."""
    try:
        from packaging.requirements import Requirement
    except ModuleNotFoundError:  # pip vendors the same library
        from pip._vendor.packaging.requirements import Requirement
    chosen = []
    for line in requirements.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            requirement = Requirement(line)
            if requirement.name in packages and (requirement.marker is None or requirement.marker.evaluate()):
                chosen.append(f"{requirement.name}{requirement.specifier}")
    return chosen


def add_to_site_packages(course: Path) -> bool:
    """Write a ``.pth`` file naming ``course`` (what ``pip install -e`` does), so ``import helpers`` works after
    a kernel restart and in ``python -m helpers``. False when no site-packages folder is writable."""
    folders = [Path(p) for p in site.getsitepackages()] + [Path(site.getusersitepackages())]
    for folder in folders:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "mnist_cnn_course.pth").write_text(f"{course}\n")
            return True
        except OSError:
            continue
    return False


def finish_setup(course: str | os.PathLike) -> list[str]:
    """Install what the platform lacks (pinned versions; TensorFlow only if it has none), make ``helpers``
    importable for good and work inside ``course/notebooks``. Returns the packages installed."""
    course = Path(course).resolve()
    add_to_site_packages(course)
    missing = [package for module, package in NEEDED.items() if importlib.util.find_spec(module) is None]
    if missing:
        command = [sys.executable, "-m", "pip", "install", "--quiet", *pinned(course / "requirements.txt", missing)]
        if subprocess.run(command).returncode != 0:
            raise SystemExit(f"Could not install {', '.join(missing)}: see pip's message above.")
    os.chdir(course / "notebooks")
    print(f"The course is in {course}; installed: {', '.join(missing) or 'nothing (the platform has every package)'}")
    return missing
