"""Install and test the course under every supported Python found on this machine (``make test-pythons``).

For each Python PY_OLDEST..PY_NEWEST (read from the Makefile) found on PATH (``python3.X``), among pyenv's
versions (``$PYENV_ROOT/versions/3.X.Y``) or through the Windows launcher (``py -3.X``): a fresh virtual
environment ``.venvs/py3.X`` with its own ``models/`` inside it, the install
(``make setup PYTHON=... VENV=.venvs/py3.X``: the Makefile's own steps, nothing copied), the unit tests
(``make unit``) and the notebooks (``make nbval``: strict nbval, the flags of ``make test``), then a table of
versions, results and times. Exit status 0 when everything passed.

    python3 scripts/test_pythons.py                       every supported Python found
    python3 scripts/test_pythons.py --pythons 3.12 3.13   only these (a version or an interpreter's path)
    python3 scripts/test_pythons.py --unit-only           skip the notebooks (about 7 minutes per Python)
    python3 scripts/test_pythons.py --notebooks 00 02     only these notebooks (what CI runs)
    python3 scripts/test_pythons.py --reuse               keep a venv that is already there (quicker reruns)
    python3 scripts/test_pythons.py --list                which interpreters would run, and stop
    python3 scripts/test_pythons.py --resolve             resolve requirements.txt for Linux, Windows and
                                                          macOS arm64 with `pip install --dry-run`, no install

Standard library only; it needs ``make`` (the Makefile holds the install steps).
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENVS = REPO / ".venvs"
PLATFORMS = {  # --resolve: pip's --platform tags for each target
    "linux x86_64": ["manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"],
    "windows amd64": ["win_amd64"],
    "macos arm64": ["macosx_14_0_arm64"],
}
SUMMARY = re.compile(r"^=+ (.*\b(passed|failed|error|errors|skipped|deselected)\b.*) in [\d.]+s.*=+$")


class UsageError(Exception):
    """A mistake in the command line: printed as one line, exit status 2."""


def supported_range(makefile: Path = REPO / "Makefile") -> tuple[tuple[int, int], tuple[int, int]]:
    """(oldest, newest) supported Python, from the Makefile's ``PY_OLDEST := 3.X`` and ``PY_NEWEST := 3.Y``."""
    text = makefile.read_text()
    found = []
    for name in ("PY_OLDEST", "PY_NEWEST"):
        match = re.search(rf"^{name}\s*:?=\s*(\d+)\.(\d+)\s*$", text, flags=re.MULTILINE)
        if not match:
            raise UsageError(f"{makefile} has no line `{name} := 3.X`")
        found.append((int(match.group(1)), int(match.group(2))))
    return found[0], found[1]


def versions_in(oldest: tuple[int, int], newest: tuple[int, int]) -> list[str]:
    """['3.10', '3.11', ...]: every minor version from oldest to newest (one major version)."""
    return [f"{oldest[0]}.{minor}" for minor in range(oldest[1], newest[1] + 1)]


def probe(command: list[str]) -> tuple[str, str] | None:
    """(full version, executable) of the interpreter ``command`` runs, or None if it does not run."""
    try:
        out = subprocess.run(
            command + ["-c", "import sys, platform; print(platform.python_version()); print(sys.executable)"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = out.stdout.split("\n")
    if out.returncode != 0 or len(lines) < 2 or not lines[1].strip():
        return None  # e.g. a pyenv shim for a version that is not selected
    return lines[0].strip(), lines[1].strip()


def pyenv_candidates(version: str) -> list[list[str]]:
    """pyenv's CPython builds of ``version`` (e.g. 3.13.0, not 3.13.0t or 3.13-dev), newest patch first."""
    roots = [os.environ.get("PYENV_ROOT", ""), str(Path.home() / ".pyenv")]
    found = []
    for root in dict.fromkeys(r for r in roots if r):
        for folder in glob.glob(os.path.join(root, "versions", version + ".*")):
            patch = Path(folder).name[len(version) + 1 :]
            if patch.isdigit():
                for exe in ("bin/python3", "python.exe"):
                    if os.path.isfile(os.path.join(folder, exe)):
                        found.append((int(patch), [os.path.join(folder, exe)]))
    return [command for _, command in sorted(found, reverse=True)]


def find_interpreters(versions: list[str]) -> dict[str, tuple[str, str]]:
    """For each version found: (full version, executable). PATH first, then pyenv, then the Windows launcher."""
    found: dict[str, tuple[str, str]] = {}
    for version in versions:
        candidates = [[name] for name in (f"python{version}", "python3", "python") if shutil.which(name)]
        candidates += pyenv_candidates(version)
        if shutil.which("py"):
            candidates.append(["py", f"-{version}"])
        candidates.append([sys.executable])
        for command in candidates:
            result = probe(command)
            if result and re.fullmatch(re.escape(version) + r"\.\d+", result[0]):
                found[version] = result
                break
    return found


def select(requested: list[str] | None, supported: list[str]) -> dict[str, tuple[str, str]]:
    """The interpreters to test: every supported one found, or the ``requested`` versions / paths."""
    if not requested:
        found = find_interpreters(supported)
        if not found:
            raise UsageError(f"no Python {supported[0]}-{supported[-1]} found on PATH or in pyenv")
        return found
    chosen: dict[str, tuple[str, str]] = {}
    for item in requested:
        if re.fullmatch(r"\d+\.\d+", item):
            if item not in supported:
                raise UsageError(f"Python {item} is not supported; pick among {' '.join(supported)}")
            result = find_interpreters([item]).get(item)
            if not result:
                raise UsageError(f"no Python {item} found on PATH (python{item}) or in pyenv")
        else:
            result = probe([item])
            if not result:
                raise UsageError(f"{item} is not a Python interpreter that runs")
            if ".".join(result[0].split(".")[:2]) not in supported:
                raise UsageError(f"{item} is Python {result[0]}; supported: {supported[0]}-{supported[-1]}")
        chosen[".".join(result[0].split(".")[:2])] = result
    return chosen


def child_env() -> dict[str, str]:
    """This environment without make's variables (a parent make's PYTHON= would override ours) or a venv."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "VIRTUAL_ENV")}
    env["PYTHONUNBUFFERED"] = "1"  # pytest's progress shows as it goes, not at the end
    return env


def run_step(command: list[str], models: Path) -> tuple[bool, str, float]:
    """Run ``command`` in the repository, echoing its output; (passed, pytest's summary or '', seconds).

    ``models`` becomes COURSE_MODELS_DIR: each Python trains and loads its own models, as a student's clone would.
    """
    print("$ " + " ".join(command), flush=True)
    start = time.monotonic()
    summary = ""
    env = child_env()
    env["COURSE_MODELS_DIR"] = str(models)
    with subprocess.Popen(
        command,
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        bufsize=1,
    ) as process:
        for line in process.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            match = SUMMARY.match(line.strip())
            if match:
                summary = match.group(1)
    return process.returncode == 0, summary, time.monotonic() - start


def minutes(seconds: float | None) -> str:
    return "-" if seconds is None else f"{int(seconds // 60)}:{int(seconds % 60):02d}"


def test_one(version: str, executable: str, unit_only: bool, reuse: bool, notebooks: list[str] | None = None) -> dict:
    """Install into .venvs/py<version> and run the tests; a row of the table."""
    venv = VENVS / f"py{version}"
    if venv.exists() and not reuse:
        shutil.rmtree(venv)
    make = ["make", "--no-print-directory", f"PYTHON={executable}", f"VENV={venv.relative_to(REPO).as_posix()}"]
    row: dict = {"version": version}
    targets = {
        "install": ["setup"],
        "unit": ["unit"],
        "notebooks": ["nbval"] + ([f"NOTEBOOKS={' '.join(notebooks)}"] if notebooks else []),
    }
    for name in steps_of(unit_only):
        print(f"\n=== Python {version}: {name} ===", flush=True)
        passed, summary, seconds = run_step(make + targets[name], venv / "models")
        row[name] = (passed, summary, seconds)
        if not passed and name == "install":
            break
    return row


def steps_of(unit_only: bool) -> list[str]:
    return ["install", "unit"] + ([] if unit_only else ["notebooks"])


def row_passed(row: dict, unit_only: bool) -> bool:
    """Every step ran and passed."""
    return all(name in row and row[name][0] for name in steps_of(unit_only))


def table(rows: list[dict], found: dict[str, tuple[str, str]], unit_only: bool) -> str:
    names = steps_of(unit_only)
    header = ["Python", "interpreter"] + names + ["total", "result"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        full, executable = found[row["version"]]
        cells, total = [full, executable], 0.0
        for name in names:
            if name not in row:
                cells.append("not run")
                continue
            passed, summary, seconds = row[name]
            total += seconds
            text = summary if name != "install" else ("ok" if passed else "FAILED")
            if name != "install" and not passed and not summary:
                text = "FAILED"
            cells.append(f"{text} ({minutes(seconds)})")
        cells += [minutes(total), "pass" if row_passed(row, unit_only) else "FAIL"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def resolve_one(executable: str, version: str, tags: list[str]) -> tuple[bool, str]:
    """Does requirements.txt resolve to wheels for this Python and platform? (ok, pip's last error line)"""
    with tempfile.TemporaryDirectory() as target:  # --target: old pips refuse --platform without it
        # --python: pip evaluates the requirements' markers (python_version) for that interpreter
        command = [
            sys.executable,
            "-m",
            "pip",
            "--python",
            executable,
            "install",
            "--dry-run",
            "--quiet",
            "--ignore-installed",
            "--target",
            target,
            "--only-binary=:all:",
            "--python-version",
            version,
            "-r",
            "requirements.txt",
        ]
        for tag in tags:
            command += ["--platform", tag]
        out = subprocess.run(command, cwd=REPO, env=child_env(), capture_output=True, text=True)
    errors = [line for line in out.stderr.splitlines() if line.startswith("ERROR")]
    return out.returncode == 0, "resolves" if out.returncode == 0 else (errors[-1] if errors else "fails")


def resolve(found: dict[str, tuple[str, str]]) -> int:
    """``pip install --dry-run`` of requirements.txt for each Python found x each platform; a table."""
    if subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True).returncode != 0:
        raise UsageError(f"--resolve needs pip in {sys.executable}")
    jobs = {
        (version, platform): (executable, version, tags)
        for version, (_, executable) in found.items()
        for platform, tags in PLATFORMS.items()
    }
    with ThreadPoolExecutor(max_workers=3) as pool:  # mostly waiting for the package index
        results = dict(zip(jobs, pool.map(lambda job: resolve_one(*job), jobs.values())))
    lines = ["| Python | " + " | ".join(PLATFORMS) + " |", "|" + "---|" * (len(PLATFORMS) + 1)]
    for version in found:
        lines.append(f"| {version} | " + " | ".join(results[version, platform][1] for platform in PLATFORMS) + " |")
    print("\n".join(lines))
    return 0 if all(ok for ok, _ in results.values()) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pythons", nargs="+", metavar="X", help="versions (3.12) or interpreter paths")
    parser.add_argument("--unit-only", action="store_true", help="skip the notebooks")
    parser.add_argument("--notebooks", nargs="+", metavar="NN", help="only these notebooks (by number: 00 04)")
    parser.add_argument("--reuse", action="store_true", help="keep a venv already in .venvs/ (not fresh)")
    parser.add_argument("--list", action="store_true", help="print the interpreters found, run nothing")
    parser.add_argument("--resolve", action="store_true", help="only resolve requirements.txt per platform")
    args = parser.parse_args(argv)
    try:
        oldest, newest = supported_range()
        supported = versions_in(oldest, newest)
        found = select(args.pythons, supported)
        if args.list:
            for version, (full, executable) in found.items():
                print(f"{version} {full} {executable}")
            return 0
        if args.resolve:
            return resolve(found)
        if not shutil.which("make"):
            raise UsageError("make not found; it runs the install steps (Makefile)")
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print("Pythons to test: " + ", ".join(f"{full} ({exe})" for full, exe in found.values()), flush=True)
    rows = [
        test_one(version, executable, args.unit_only, args.reuse, args.notebooks)
        for version, (_, executable) in found.items()
    ]
    result = table(rows, found, args.unit_only)
    print("\n" + result)
    failed = [row["version"] for row in rows if not row_passed(row, args.unit_only)]
    print("\nall passed" if not failed else f"\nFAILED: Python {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
