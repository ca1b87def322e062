"""Download every pinned wheel for the computers of a class into one folder (``make wheelhouse``).

Copy the folder (``wheelhouse/``) onto each computer, next to the course, and ``make lab`` / ``make test`` (or
``python scripts/course.py setup``) install from it without any network. One folder holds wheels for several
platforms and Python versions side by side; pip picks the right ones.

    python scripts/wheelhouse.py                                   this computer's platform and Python
    python scripts/wheelhouse.py --platforms linux windows macos --pythons 3.11 3.12
    python scripts/wheelhouse.py --dest /media/usb/wheelhouse

Markers in requirements.txt (``; python_version < "3.11"``) are evaluated for each target Python, so Python 3.10
gets its own pins. Standard library only, plus pip.
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PLATFORMS = {  # pip's --platform tags; the first that has a wheel wins
    "linux": ["manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"],
    "windows": ["win_amd64"],
    "macos": ["macosx_14_0_arm64", "macosx_12_0_arm64", "macosx_11_0_arm64"],
}
BUILD_TOOLS = ["pip", "setuptools>=61"]  # `make setup` upgrades pip and builds `helpers` (pip install -e .)


def requirements_for(python: str, requirements: Path = REPO / "requirements.txt") -> list[str]:
    """The pins of ``requirements`` that apply to Python ``python`` ('3.10'), markers removed."""
    try:
        from packaging.requirements import Requirement
    except ModuleNotFoundError:
        from pip._vendor.packaging.requirements import Requirement
    environment = {"python_version": python, "python_full_version": f"{python}.0"}
    pins = []
    for line in requirements.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate(environment):
                pins.append(f"{requirement.name}{requirement.specifier}")
    return pins


def download(python: str, platform_name: str | None, dest: Path) -> int:
    """``pip download`` the wheels for one (Python, platform); ``None`` is this computer. pip's exit status."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        handle.write("\n".join(requirements_for(python) + BUILD_TOOLS) + "\n")
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:", "--dest", str(dest),
               "--python-version", python, "-r", handle.name]
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
    failed = [f"{python}/{name or 'here'}" for python in pythons for name in (args.platforms or [None])
              if download(python, name, args.dest) != 0]
    wheels = list(args.dest.glob("*.whl"))
    size = sum(w.stat().st_size for w in wheels) / 1e9
    print(f"{len(wheels)} wheels, {size:.1f} GB in {args.dest}" + (f"; FAILED: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
