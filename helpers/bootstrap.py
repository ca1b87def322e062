"""A notebook opened on its own (Colab, a JupyterHub, a download): its first cell clones the course when
``helpers`` can't be imported, puts the clone on ``sys.path`` and calls :func:`finish_setup`."""

from __future__ import annotations

import importlib.util
import os
import site
import subprocess
import sys
from pathlib import Path

# module -> package to install when it is missing (a platform's own copy is always kept)
NEEDED = {"tensorflow": "tensorflow", "keras": "keras", "numpy": "numpy", "matplotlib": "matplotlib",
          "seaborn": "seaborn", "sklearn": "scikit-learn", "PIL": "pillow", "h5py": "h5py",
          "ipywidgets": "ipywidgets", "anywidget": "anywidget"}


def pinned(requirements: Path, packages: list[str] | None = None, python: str | None = None) -> list[str]:
    """The pins of ``packages`` (default: all) in ``requirements.txt`` that apply to Python ``python`` ('3.10';
    default: this one), markers evaluated and dropped. ``scripts/wheelhouse.py`` uses it too."""
    try:
        from packaging.requirements import Requirement
    except ModuleNotFoundError:  # pip vendors the same library
        from pip._vendor.packaging.requirements import Requirement
    target = {"python_version": python, "python_full_version": f"{python}.0"} if python else None
    lines = [line.split("#")[0].strip() for line in requirements.read_text().splitlines()]
    found = [Requirement(line) for line in lines if line]
    return [f"{r.name}{r.specifier}" for r in found
            if (packages is None or r.name in packages) and (not r.marker or r.marker.evaluate(target))]


def finish_setup(course: str | os.PathLike) -> list[str]:
    """Install what the platform lacks (pinned), make ``helpers`` importable for good (a ``.pth`` file, as
    ``pip install -e`` writes: after a restart and in ``python -m helpers`` too) and work in ``course/notebooks``.
    Returns the packages installed."""
    course = Path(course).resolve()
    for folder in [*site.getsitepackages(), site.getusersitepackages()]:
        try:
            Path(folder).mkdir(parents=True, exist_ok=True)
            Path(folder, "mnist_cnn_course.pth").write_text(f"{course}\n")
            break
        except OSError:  # not writable: try the next one (this kernel has the course on sys.path anyway)
            continue
    missing = [package for module, package in NEEDED.items() if importlib.util.find_spec(module) is None]
    command = [sys.executable, "-m", "pip", "install", "--quiet", *pinned(course / "requirements.txt", missing)]
    if missing and subprocess.run(command).returncode != 0:
        raise SystemExit(f"Could not install {', '.join(missing)}: see pip's message above.")
    os.chdir(course / "notebooks")
    print(f"The course is in {course}; installed: {', '.join(missing) or 'nothing (the platform has every package)'}")
    return missing
