"""Download every pinned wheel for the computers of a class into one folder (``make wheelhouse``).

Copy the folder (``wheelhouse/``) onto each computer, next to the course, and ``make lab`` / ``make test`` (or
``python scripts/course.py setup``) install from it without any network. One folder holds wheels for several
platforms and Python versions side by side; pip picks the right ones.

    python scripts/wheelhouse.py                                   this computer's platform and Python
    python scripts/wheelhouse.py --platforms linux windows macos --pythons 3.11 3.12
    python scripts/wheelhouse.py --dest /media/usb/wheelhouse

Markers in requirements.txt (``; python_version < "3.11"``) are evaluated for each target Python, so Python 3.10
gets its own pins (read by helpers.bootstrap.pinned, as a notebook opened in Colab reads them). Needs pip,
nothing else: it runs before any install.
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # helpers.bootstrap (standard library only) and scripts/test_pythons.py
sys.path.insert(0, str(REPO / "scripts"))
from test_pythons import PLATFORMS as PLATFORM_TAGS  # noqa: E402  (the tags --resolve checks)

from helpers.bootstrap import pinned  # noqa: E402  (the one marker-aware reader of requirements.txt)

PLATFORMS = {name.split()[0]: tags for name, tags in PLATFORM_TAGS.items()}  # linux, windows, macos
BUILD_TOOLS = ["pip", "setuptools>=61"]  # `make setup` upgrades pip and builds `helpers` (pip install -e .)


def requirements_for(python: str, requirements: Path = REPO / "requirements.txt") -> list[str]:
    """The pins of ``requirements`` that apply to Python ``python`` ('3.10'), markers removed."""
    return pinned(requirements, python=python)


def download(python: str, platform_name: str | None, dest: Path) -> int:
    """``pip download`` the wheels for one (Python, platform); ``None`` is this computer. pip's exit status."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        handle.write("\n".join(requirements_for(python) + BUILD_TOOLS) + "\n")
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--quiet",
        "--only-binary=:all:",
        "--dest",
        str(dest),
        "--python-version",
        python,
        "-r",
        handle.name,
    ]
    for tag in PLATFORMS[platform_name] if platform_name else []:
        command += ["--platform", tag]
    print(f"Python {python}, {platform_name or 'this computer'}:", flush=True)
    status = subprocess.run(command).returncode
    Path(handle.name).unlink()
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--platforms", nargs="+", choices=sorted(PLATFORMS), help="default: this computer's")
    parser.add_argument("--pythons", nargs="+", metavar="3.X", help="default: the Python running this script")
    parser.add_argument("--dest", type=Path, default=REPO / "wheelhouse", help="default: wheelhouse/")
    args = parser.parse_args(argv)
    pythons = args.pythons or [".".join(platform.python_version_tuple()[:2])]
    for python in pythons:
        if not (python.count(".") == 1 and all(part.isdigit() for part in python.split("."))):
            print(f"error: --pythons takes versions like 3.12, not {python!r}", file=sys.stderr)
            return 2
    args.dest.mkdir(parents=True, exist_ok=True)
    failed = [
        f"{python}/{name or 'here'}"
        for python in pythons
        for name in (args.platforms or [None])
        if download(python, name, args.dest) != 0
    ]
    wheels = list(args.dest.glob("*.whl"))
    size = sum(w.stat().st_size for w in wheels) / 1e9
    print(f"{len(wheels)} wheels, {size:.1f} GB in {args.dest}" + (f"; FAILED: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
