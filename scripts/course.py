"""The README's two commands without ``make``: for Windows (or any computer without it).

    py scripts\\course.py lab       (Windows; elsewhere: python3 scripts/course.py lab)
    py scripts\\course.py test

Does what the Makefile's ``setup``, ``lab`` and ``test`` do, reading the Python range (``PY_OLDEST``,
``PY_NEWEST``) and the pytest flags (``NBVAL``) from the Makefile, so both stay one recipe: a virtual environment
``.venv`` (``.venv\\Scripts`` on Windows), the pinned packages (from ``wheelhouse/`` without network when it
holds wheels: ``make wheelhouse``), ``helpers`` in editable mode; then JupyterLab, or every test.

    python scripts/course.py setup              only install
    python scripts/course.py test -k 03         extra arguments go to pytest (or to jupyter lab)
    python scripts/course.py --dry-run test     print the commands instead of running them
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))
from check_python import parse, problem  # noqa: E402  (the same one-line error as `make lab`)


def makefile_value(name: str, default: str | None = None) -> str:
    """The value of ``NAME := value`` in the Makefile; ``default`` where it has none (else a one-line error)."""
    match = re.search(rf"^{name}\s*:?=\s*(.*)$", (REPO / "Makefile").read_text(), flags=re.MULTILINE)
    if not match:
        if default is not None:
            return default
        raise SystemExit(f"error: the Makefile has no `{name} :=` line")
    return match.group(1).strip()


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def setup_commands(venv: Path, python: str = sys.executable) -> list[list[str]]:
    """Create ``venv`` (if it has no Python yet) and install the pinned packages and ``helpers`` into it."""
    wheelhouse = REPO / "wheelhouse"
    source = ["--no-index", "--find-links", str(wheelhouse)] if any(wheelhouse.glob("*.whl")) else []
    pip = [str(venv_python(venv)), "-m", "pip", "install", "--quiet", *source]
    commands = [] if venv_python(venv).exists() else [[python, "-m", "venv", str(venv)]]
    return commands + [pip + ["--upgrade", "pip"], pip + ["-r", "requirements.txt"], pip + ["--no-deps", "-e", "."]]


def task_commands(task: str, venv: Path, extra: list[str]) -> list[list[str]]:
    python = str(venv_python(venv))
    if task == "lab":
        notebooks = sorted(str(p.relative_to(REPO)) for p in (REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
        return [[python, "-m", "jupyter", "trust", *notebooks], [python, "-m", "jupyter", "lab", "notebooks", *extra]]
    if task == "test":
        flags = [
            *shlex.split(makefile_value("NBVAL")),
            *shlex.split(makefile_value("NOT_MAINTAINER", "")),
            *shlex.split(makefile_value("PARALLEL", "")),
        ]  # the student edition's Makefile has neither
        if not (REPO / "tests" / "conftest.py").is_file():  # the student edition: the notebooks are its tests
            return [[python, "-m", "pytest", *flags, "notebooks", *extra]]
        return [[python, "-m", "pytest", *flags, "notebooks", "tests", *extra]]
    return []


def main(argv: list[str]) -> int:
    dry_run = "--dry-run" in argv
    argv = [a for a in argv if a != "--dry-run"]
    if not argv or argv[0] not in ("setup", "lab", "test"):
        print(__doc__.split("\n\n")[1])
        return 2
    task, extra = argv[0], argv[1:]
    newest = makefile_value("PY_NEWEST")
    message = problem(tuple(sys.version_info[:2]), parse(makefile_value("PY_OLDEST")), parse(newest))
    if message:  # the line `make` prints, with this script's command to pick a Python
        print(
            message.rsplit(" and run `", 1)[0] + f" and run `py -{newest} scripts\\course.py {task}` "
            f"(Linux, macOS: `python{newest} scripts/course.py {task}`)",
            file=sys.stderr,
        )
        return 2
    venv = REPO / ".venv"
    stamp = venv / ".installed"  # the Makefile's stamp: make and this script share one .venv
    newest_input = max((REPO / name).stat().st_mtime for name in ("requirements.txt", "pyproject.toml"))
    installed = stamp.exists() and stamp.stat().st_mtime >= newest_input
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    for step, commands in (
        ("setup", [] if installed else setup_commands(venv)),
        (task, task_commands(task, venv, extra)),
    ):
        for command in commands:
            print("$ " + shlex.join(command), flush=True)
            status = 0 if dry_run else subprocess.run(command, cwd=REPO, env=env).returncode
            if status == 5 and step == "test":  # pytest collected nothing (a mistyped -k?): not a success
                print("error: no tests collected: check the arguments after `test`", file=sys.stderr)
            if status != 0:
                return status
        if step == "setup" and commands and not dry_run:
            stamp.touch()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
