"""Grade a class: run every student's notebooks and write who got which exercise right.

    python scripts/grade.py SUBMISSIONS                 # what `make grade SUBMISSIONS=DIR` runs
    python scripts/grade.py SUBMISSIONS --timeout 300   # seconds a notebook may run (default 900)

``SUBMISSIONS/<student>/`` holds that student's notebooks, any of them, named as in the course
(``03_building_the_cnn.ipynb``). The exercises come from the teacher's edition: the k-th ``check`` cell of a
notebook is its exercise k, and its ``check("NAME", ...)`` names the answer it looks up, so a student who moves or
deletes cells is still graded. Each student gets a temporary copy of the course (helpers, data, models), where
each notebook runs top to bottom in a fresh kernel (cells that raise don't stop it) with ``COURSE_STRICT=0``;
then the teacher's check of every exercise runs in that kernel. Results: ``right``, ``not yet``, ``error``
(the answer's cell raised, or the notebook is not a notebook, ran out of time or crashed the kernel before the
check) or ``missing`` (no such notebook). ``SUBMISSIONS/grades.csv`` gets one row per student, notebook and
exercise; the screen, how many got each exercise right.

This runs the students' code, with your rights: run it in a container or a throwaway account.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from editions import COURSE_FILES, EditionError, Exercise, course_notebooks, exercises, source  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
RESULTS = ("right", "not yet", "error", "missing")
COLUMNS = ["student", "notebook", "exercise", "result"]
DEFAULT_TIMEOUT = 900
GRACE = 30  # seconds for each check after the notebook


class NotANotebook(ValueError):
    """A submitted file that nbformat can't read as a notebook."""


def course_exercises(course: Path) -> dict[str, list[Exercise]]:
    """Each notebook of the teacher's edition (by stem) with its exercises; raises ``EditionError`` if one has
    no tags or breaks the contract."""
    found, faults = {}, []
    for path in course_notebooks(course):
        try:
            found[path.stem] = exercises(json.loads(path.read_text(encoding="utf-8")), f"notebooks/{path.name}")
        except EditionError as error:
            faults.append(str(error))
    if faults:
        raise EditionError("\n".join(faults))
    return found


def copy_course(course: Path, target: Path) -> Path:
    """A copy of what the notebooks need (the course files, and ``models/`` so trained models load), with an
    empty ``notebooks/``: the students' code runs there and can't touch the real course."""
    for item in [*COURSE_FILES, "models"]:
        if (course / item).is_dir():
            skip = shutil.ignore_patterns("__pycache__", "*.pyc", "variants")  # models/variants: make test-variants
            shutil.copytree(course / item, target / item, ignore=skip)
        elif (course / item).is_file():
            (target / item).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(course / item, target / item)
    (target / "notebooks").mkdir(parents=True, exist_ok=True)
    (target / "data").mkdir(exist_ok=True)  # helpers.paths finds the course root by pyproject.toml and data/
    return target


def verdict(cell) -> str | None:
    """``right`` or ``not yet`` from what a check cell printed; None if it printed no verdict."""
    for output in cell.get("outputs", []):
        text = output.get("text", "")
        for line in (text if isinstance(text, str) else "".join(text)).splitlines():
            if line.startswith("Right:"):
                return "right"
            if line.startswith("Not yet:"):
                return "not yet"
    return None


def raised(cell) -> bool:
    return any(output.get("output_type") == "error" for output in cell.get("outputs", []))


def answer_raised(cells: list, name: str) -> bool:
    """Whether the student's answer to exercise ``name`` raised: the cell before their check of ``name``, or
    any cell that assigns ``name``."""
    assigns = re.compile(rf"^\s*{re.escape(name)}\s*(:[^=]*)?=(?!=)", flags=re.MULTILINE)
    for index, cell in enumerate(cells):
        if cell.get("cell_type") != "code":
            continue
        is_check = re.search(rf"""check\(\s*["']{re.escape(name)}["']""", source(cell))
        before = cells[index - 1] if is_check and index > 0 else None
        if raised(cell) and assigns.search(source(cell)) or before is not None and raised(before):
            return True
    return False


def run_notebook(path: Path, course: Path, checks: list[Exercise], timeout: float) -> dict[str, str]:
    """Run a student's notebook in ``course`` (a copy) and then the teacher's checks; each exercise's result."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    try:
        notebook = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
    except Exception as error:  # not JSON, not a notebook, not UTF-8
        first_line = (str(error).splitlines() or [""])[0][:80]
        raise NotANotebook(f"not a notebook ({type(error).__name__}: {first_line})") from None
    student_cells = list(notebook.cells)
    grading = [nbformat.v4.new_code_cell("from helpers.notebook import check\n" + e.check_source) for e in checks]
    notebook.cells = student_cells + grading
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTEST_CURRENT_TEST", "COURSE_MODELS_DIR", "JPY_PARENT_PID")
    }
    env.update(COURSE_STRICT="0", PYTHONHASHSEED="0", PYTHONPATH=str(course), MPLBACKEND="Agg")
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        allow_errors=True,
        record_timing=False,
        resources={"metadata": {"path": str(course / "notebooks")}},
        interrupt_on_timeout=True,  # a cell that runs too long is stopped, and counts as raised
        error_on_timeout={"ename": "Timeout", "evalue": f"stopped after {timeout:g} s"},
    )
    deadline = time.monotonic() + timeout
    try:
        with client.setup_kernel(env=env, cwd=str(course / "notebooks"), stderr=subprocess.DEVNULL):  # kernel logs
            for index, cell in enumerate(student_cells):
                if cell.cell_type == "code" and time.monotonic() < deadline:
                    client.timeout = max(1, int(deadline - time.monotonic()))
                    client.execute_cell(cell, index)
            client.timeout = GRACE
            for index, cell in enumerate(grading, start=len(student_cells)):
                client.execute_cell(cell, index)
    except (CellTimeoutError, DeadKernelError):
        pass  # the kernel died: the checks that did not run are errors
    results = {}
    for exercise, cell in zip(checks, grading):
        found = verdict(cell)
        if found == "right":
            results[exercise.name] = "right"
        elif found is None or answer_raised(student_cells, exercise.name):
            results[exercise.name] = "error"
        else:
            results[exercise.name] = "not yet"
    return results


def grade(submissions: Path, course: Path = REPO, timeout: float = DEFAULT_TIMEOUT, log=print) -> list[dict[str, str]]:
    """Grade every ``submissions/<student>/`` against ``course``; write ``submissions/grades.csv`` and return
    its rows. ``log`` gets one line per notebook as it is graded."""
    known = course_exercises(course)
    students = sorted(p for p in submissions.iterdir() if p.is_dir() and not p.name.startswith("."))
    rows = []
    for student in students:
        unknown = sorted(
            p.name
            for p in student.iterdir()
            if not p.name.startswith(".") and (p.suffix != ".ipynb" or p.stem not in known)
        )
        if unknown:
            log(f"{student.name}: not notebooks of the course, ignored: {', '.join(unknown)}")
        with tempfile.TemporaryDirectory(prefix="grading-") as folder:
            copy = copy_course(course, Path(folder))
            for notebook, checks in known.items():
                if not checks:
                    continue
                submitted = student / f"{notebook}.ipynb"
                if not submitted.is_file():
                    results = {e.name: "missing" for e in checks}
                else:
                    started = time.monotonic()
                    target = copy / "notebooks" / submitted.name
                    shutil.copyfile(submitted, target)
                    try:
                        results = run_notebook(target, copy, checks, timeout)
                    except NotANotebook as error:
                        log(f"{student.name}/{submitted.name}: {error}")
                        results = {e.name: "error" for e in checks}
                    except Exception as error:  # a kernel that would not start, a full disk: grade on
                        log(f"{student.name}/{submitted.name}: could not be run ({type(error).__name__}: {error})")
                        results = {e.name: "error" for e in checks}
                    log(
                        f"{student.name}/{submitted.name}: "
                        + ", ".join(results[e.name] for e in checks)
                        + f" ({time.monotonic() - started:.0f} s)"
                    )
                rows += [
                    {
                        "student": student.name,
                        "notebook": notebook,
                        "exercise": str(e.number),
                        "result": results[e.name],
                    }
                    for e in checks
                ]
    write_csv(rows, submissions / "grades.csv")
    return rows


def write_csv(rows: list[dict[str, str]], path: Path) -> None:
    """Write the rows to ``path`` at once (a temporary file renamed over it: never half a table)."""
    partial = path.with_name(f".{path.name}.partial")
    with partial.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    partial.replace(path)


def summary(rows: list[dict[str, str]], course: Path = REPO) -> str:
    """One line per exercise: how many students got it right, and the other results."""
    names = {(notebook, str(e.number)): e.name for notebook, found in course_exercises(course).items() for e in found}
    counts: dict[tuple[str, str], Counter] = {}
    for row in rows:
        counts.setdefault((row["notebook"], row["exercise"]), Counter())[row["result"]] += 1
    students = len({row["student"] for row in rows})
    width = max([len(notebook) for notebook, _ in counts] + [8])
    lines = [f"{'notebook':<{width}}  {'exercise':<20} {'right':>9} {'not yet':>8} {'error':>6} {'missing':>8}"]
    for (notebook, number), count in counts.items():
        label = f"{number} {names.get((notebook, number), '')}"
        right = f"{count['right']}/{students}"
        lines.append(
            f"{notebook:<{width}}  {label:<20} {right:>9} {count['not yet']:>8} {count['error']:>6} "
            f"{count['missing']:>8}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("submissions", type=Path, help="a folder with one folder of notebooks per student")
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        help=f"seconds one notebook may run (default {DEFAULT_TIMEOUT})",
    )
    parser.add_argument("--course", type=Path, default=REPO, help=argparse.SUPPRESS)  # the tests' made-up course
    args = parser.parse_args(argv)
    if not args.submissions.is_dir():
        print(
            f"error: {args.submissions} is not a folder (SUBMISSIONS=DIR, with DIR/<student>/*.ipynb)", file=sys.stderr
        )
        return 2
    if args.timeout <= 0:
        print(f"error: --timeout {args.timeout:g} is not a number of seconds above 0", file=sys.stderr)
        return 2
    try:
        rows = grade(args.submissions, args.course, args.timeout)
    except EditionError as error:
        print(f"error: the course's exercises can't be read:\n{error}", file=sys.stderr)
        return 1
    if not rows:
        print(f"error: no student folders in {args.submissions}", file=sys.stderr)
        return 1
    students = len({row["student"] for row in rows})
    print(f"\n{students} student{'s' * (students != 1)}; every result in {args.submissions / 'grades.csv'}")
    print(summary(rows, args.course))
    return 0


if __name__ == "__main__":
    sys.exit(main())
