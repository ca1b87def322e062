"""A notebook opened on its own (Colab, a JupyterHub, a download): its first cell clones the course when
``helpers`` can't be imported, puts the clone on ``sys.path`` and calls :func:`finish_setup`."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import site
import subprocess
import sys
from pathlib import Path

# module -> package to install when it is missing (a platform's own copy is kept, unless MINIMUM says otherwise)
NEEDED = {
    "tensorflow": "tensorflow",
    "keras": "keras",
    "numpy": "numpy",
    "matplotlib": "matplotlib",
    "seaborn": "seaborn",
    "sklearn": "scikit-learn",
    "PIL": "pillow",
    "h5py": "h5py",
    "ipywidgets": "ipywidgets",
    "anywidget": "anywidget",
}

# package -> the oldest version the course trusts; an older platform copy is replaced by the course's pin.
# Keras before 3.11.3 let an .h5 file run its own code even in safe mode (CVE-2025-9905).
MINIMUM = {"keras": "3.11.3"}


def _version(text: str):
    try:
        from packaging.version import Version
    except ModuleNotFoundError:  # pip vendors the same library
        from pip._vendor.packaging.version import Version
    return Version(text)


def installed_version(package: str) -> str | None:
    """The installed version of ``package``, or ``None`` when it is not installed."""
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def too_old(package: str, installed: str | None, minimum: dict[str, str] = MINIMUM) -> bool:
    """Whether the ``installed`` version of ``package`` is older than the course's ``minimum`` (not installed:
    ``False``, the missing-package rule installs it).

    >>> too_old("keras", "3.10.0"), too_old("keras", "3.11.3"), too_old("numpy", "1.0"), too_old("keras", None)
    (True, False, False, False)
    """
    return installed is not None and package in minimum and _version(installed) < _version(minimum[package])


def to_install() -> list[str]:
    """The packages the platform lacks, then those it has in a version older than ``MINIMUM``."""
    missing = [package for module, package in NEEDED.items() if importlib.util.find_spec(module) is None]
    old = [package for package in MINIMUM if too_old(package, installed_version(package))]
    return missing + [package for package in old if package not in missing]


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
    return [
        f"{r.name}{r.specifier}"
        for r in found
        if (packages is None or r.name in packages) and (not r.marker or r.marker.evaluate(target))
    ]


def finish_setup(course: str | os.PathLike) -> list[str]:
    """Install what the platform lacks or has too old (``to_install``, pinned), make ``helpers`` importable for
    good (a ``.pth`` file, as ``pip install -e`` writes: after a restart and in ``python -m helpers`` too) and work
    in ``course/notebooks``.
    Returns the packages installed."""
    course = Path(course).resolve()
    for folder in [*site.getsitepackages(), site.getusersitepackages()]:
        try:
            Path(folder).mkdir(parents=True, exist_ok=True)
            Path(folder, "mnist_cnn_course.pth").write_text(f"{course}\n")
            break
        except OSError:  # not writable: try the next one (this kernel has the course on sys.path anyway)
            continue
    install = to_install()
    command = [sys.executable, "-m", "pip", "install", "--quiet", *pinned(course / "requirements.txt", install)]
    if install and subprocess.run(command).returncode != 0:
        raise SystemExit(f"Could not install {', '.join(install)}: see pip's message above.")
    os.chdir(course / "notebooks")
    print(f"The course is in {course}; installed: {', '.join(install) or 'nothing (the platform has every package)'}")
    stale = [package for package in install if package in MINIMUM and package in sys.modules]
    if stale:
        print(
            f"{', '.join(stale)} was already imported in its old version: restart the session (Colab: Runtime > "
            f"Restart session) and run this cell again."
        )
    return install
