"""The student edition of the course, generated from the teacher's (tag and strip, as the scikit-learn MOOC does).

    python scripts/editions.py                      # build dist/student/ (what `make student` runs)
    python scripts/editions.py --check              # exit 1 if dist/student/ is missing or older than its sources
    python scripts/editions.py --repository URL     # the students' own GitHub copy: Colab badges point there

``notebooks/`` is the teacher's edition: worked solutions with their outputs. The student edition drops every cell
tagged ``solution`` or ``teacher`` and keeps the rest with its outputs: each exercise's ``answer`` cell (``...``)
and its ``check`` cell, whose fingerprint or property gives no answer away. It is a whole course folder: helpers,
data, requirements, a Makefile and a README for students (templates in ``scripts/student/``), and
``edition-manifest.json``: the hash of every source it was built from and of every file it holds, so ``--check``
tells when it is out of date. The build is deterministic (same sources, same bytes) and writes only under
``dist/``: into a temporary folder first, which replaces the old edition when it is complete.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DIST = REPO / "dist" / "student"
TEMPLATES = Path("scripts") / "student"  # the student Makefile and README, relative to a course
MANIFEST = "edition-manifest.json"
# What a student's course folder needs besides its notebooks, relative to the course root.
COURSE_FILES = [
    "helpers",
    "data",
    "requirements.txt",
    "environment.yml",
    "pyproject.toml",
    "binder",
    "scripts/check_python.py",
    "scripts/course.py",
    "tests/nbval_sanitize.cfg",
    "benchmarks/results/spread/spread.json",  # notebook 10's three-seed table reads it
]
NOT_COPIED = {"__pycache__", ".ipynb_checkpoints", ".DS_Store"}
HIDDEN_TAGS = {"solution", "teacher"}
CHECK_CALL = re.compile(r"""^check\(\s*["']([A-Za-z_]\w*)["']""", flags=re.MULTILINE)
SOLUTION_HEADING = re.compile(r"^#+\s*Solutions?\b", flags=re.MULTILINE)
COLAB_BADGE = re.compile(r"\s*\|\s*\[!\[Open in Colab\]\([^)]*\)\]\([^)]*\)")
REPOSITORY_LINE = re.compile(r'^(Repository\s*=\s*")([^"]+)(")', flags=re.MULTILINE)


class EditionError(Exception):
    """A notebook that breaks the exercise contract, or a course folder that can't be built: one line per fault."""


@dataclass
class Exercise:
    """Exercise ``number`` of a notebook: the variable ``name`` its check looks up, the indexes of its ``answer``
    and ``check`` cells, the check cell's source and the worked answer (the solution's code before its check)."""

    number: int
    name: str
    answer: int
    check: int
    check_source: str
    solution: str | None


def source(cell: dict) -> str:
    """A cell's source as one string (notebook files may store it as a list of lines)."""
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else text


def tags(cell: dict) -> set[str]:
    """The cell's tags (``cell.metadata.tags``)."""
    return set(cell.get("metadata", {}).get("tags", []))


def printed(cell: dict) -> str:
    """What a code cell printed (its stream outputs and plain-text results)."""
    parts = []
    for output in cell.get("outputs", []):
        text = output.get("text", output.get("data", {}).get("text/plain", ""))
        parts.append("".join(text) if isinstance(text, list) else text)
    return "".join(parts)


def check_name(code: str) -> str | None:
    """The NAME of the last ``check("NAME", ...)`` call that starts a line of ``code``, or None."""
    names = CHECK_CALL.findall(code)
    return names[-1] if names else None


def worked_answer(code: str, name: str) -> str | None:
    """A solution cell's code without its closing ``check("NAME", ...)`` call: the answer a student would write."""
    calls = [m for m in CHECK_CALL.finditer(code) if m.group(1) == name]
    return code[: calls[-1].start()].rstrip() + "\n" if calls else None


def exercises(notebook: dict, label: str = "notebook") -> list[Exercise]:
    """The exercises of a teacher's notebook, in order (the k-th ``check`` cell is exercise k). Raises
    ``EditionError`` listing every break of the contract (``label`` names the notebook in the messages)."""
    cells = notebook["cells"]
    faults = []
    answers = [i for i, c in enumerate(cells) if "answer" in tags(c)]
    checks = [i for i, c in enumerate(cells) if "check" in tags(c)]
    calls = sum(
        len(CHECK_CALL.findall(source(c))) + source(c).count("check(lambda")
        for c in cells
        if c["cell_type"] == "code" and not tags(c) & HIDDEN_TAGS
    )
    if calls and not checks:
        faults.append(f"{label}: has exercises (check calls) but no cells tagged `answer` and `check`")
    solutions = {}
    for i, cell in enumerate(cells):
        hidden = tags(cell) & HIDDEN_TAGS
        if cell["cell_type"] == "code" and "solution" in hidden and check_name(source(cell)):
            solutions[check_name(source(cell))] = worked_answer(source(cell), check_name(source(cell)))
        if not hidden and SOLUTION_HEADING.search(source(cell)) and cell["cell_type"] == "markdown":
            faults.append(f"{label}: cell {i} has a Solution heading but no `solution` tag")
    found = []
    for number, index in enumerate(checks, start=1):
        code = source(cells[index])
        name = check_name(code)
        if index - 1 not in answers:
            faults.append(f"{label}: the check of exercise {number} (cell {index}) does not follow an `answer` cell")
        elif "..." not in source(cells[index - 1]):
            faults.append(f"{label}: the answer cell of exercise {number} (cell {index - 1}) holds no `...`")
        if name is None:
            faults.append(f'{label}: the check of exercise {number} (cell {index}) has no check("NAME", ...) line')
            continue
        if re.search(r"^Right:", printed(cells[index]), flags=re.MULTILINE):
            faults.append(
                f"{label}: the check of exercise {number} (cell {index}) printed Right: its answer cell is answered"
            )
        if name not in solutions:
            faults.append(
                f'{label}: exercise {number} ({name}) has no `solution` code cell ending in check("{name}", ...)'
            )
        found.append(Exercise(number, name, index - 1, index, code, solutions.get(name)))
    if len(answers) != len(checks):
        faults.append(f"{label}: {len(answers)} `answer` cells but {len(checks)} `check` cells")
    names = [e.name for e in found]
    faults += [f"{label}: two exercises check `{n}`" for n in sorted({n for n in names if names.count(n) > 1})]
    if faults:
        raise EditionError("\n".join(faults))
    return found


def strip(notebook: dict, label: str = "notebook", repository: str | None = None) -> dict:
    """The student edition of a teacher's notebook: without its ``solution`` and ``teacher`` cells, every other
    cell kept with its outputs. Check cells get nbval's ``nbval-ignore-output`` tag, so a student's ``make test``
    still passes once they answer. The "Open in Colab" badge points to ``repository`` (the students' GitHub
    copy of this edition), or is dropped: the teacher's badge would open the notebook with its solutions."""
    exercises(notebook, label)  # refuse a notebook that breaks the contract
    student = copy.deepcopy(notebook)
    student["cells"] = [c for c in student["cells"] if not tags(c) & HIDDEN_TAGS]
    for cell in student["cells"]:
        if "check" in tags(cell):
            cell["metadata"]["tags"] = [*cell["metadata"]["tags"], "nbval-ignore-output"]
    if student["cells"] and student["cells"][0]["cell_type"] == "markdown":
        first = student["cells"][0]
        name = label.rsplit("/", 1)[-1]
        badge = "" if repository is None else " | " + _colab_badge(repository, name)
        first["source"] = COLAB_BADGE.sub(lambda _: badge, source(first), count=1)
    if repository is not None:
        for cell in student["cells"]:
            if cell["cell_type"] == "code" and "finish_setup(COURSE)" in source(cell):
                cell["source"] = re.sub(r'(COURSE_REPO_URL", ")[^"]+(")', rf"\g<1>{repository}\g<2>", source(cell))
    return student


def _colab_badge(repository: str, name: str) -> str:
    sys.path.insert(0, str(REPO / "scripts"))
    from notebook_nav import colab_badge

    return colab_badge(repository.rstrip("/"), name)


def fill_answers(student: dict, teacher: dict, label: str = "notebook") -> dict:
    """``student`` with the worked solution (from ``teacher``) added at the end of every answer cell: each check
    then says Right. The cell's own code stays (``import json`` before ``fives = ...``, say): it runs unanswered,
    as the student edition does, and the worked answer then overrides the ``...``."""
    filled = copy.deepcopy(student)
    worked = {e.name: e.solution for e in exercises(teacher, label)}
    cells = filled["cells"]
    for index, cell in enumerate(cells):
        if "check" in tags(cell) and check_name(source(cell)) in worked and index > 0:
            cells[index - 1]["source"] = f"{source(cells[index - 1]).rstrip()}\n{worked[check_name(source(cell))]}"
    return filled


def notebook_text(notebook: dict) -> str:
    """A notebook as file text, always the same bytes for the same notebook."""
    return json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def course_notebooks(course: Path) -> list[Path]:
    """The course's notebooks, ``notebooks/NN_*.ipynb``, in order."""
    return sorted((course / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def files_under(path: Path) -> list[Path]:
    """``path`` itself if it is a file, else every file below it, sorted, without caches and checkpoints."""
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*") if p.is_file() and not NOT_COPIED & set(p.parts) and p.suffix != ".pyc")


def digest(path: Path) -> str:
    """The sha256 of a file, or of a folder's files (their relative paths and contents)."""
    sha = hashlib.sha256()
    for file in files_under(path):
        sha.update(file.relative_to(path).as_posix().encode() + b"\0" if path.is_dir() else b"")
        sha.update(hashlib.sha256(file.read_bytes()).digest())
    return sha.hexdigest()


def sources(course: Path) -> dict[str, str]:
    """What the student edition is built from, each with its digest: the notebooks, the course files, the
    templates, the Makefile (the student one takes its Python range and test flags) and this script."""
    items = [
        *(p.relative_to(course).as_posix() for p in course_notebooks(course)),
        *COURSE_FILES,
        TEMPLATES.as_posix(),
        "Makefile",
    ]
    found = {item: digest(course / item) for item in items if (course / item).exists()}
    found["scripts/editions.py"] = digest(Path(__file__))
    return found


def makefile_value(course: Path, name: str) -> str:
    """``NAME := value`` of the teacher's Makefile (the student Makefile takes the same Python range and flags)."""
    match = re.search(rf"^{name}\s*:?=\s*(.*)$", (course / "Makefile").read_text(), flags=re.MULTILINE)
    if not match:
        raise EditionError(f"{course / 'Makefile'}: no `{name} :=` line")
    return match.group(1).strip()


def build(course: Path = REPO, dest: Path = DIST, repository: str | None = None) -> dict:
    """Build the student edition of ``course`` into ``dest`` (replacing it) and return its manifest. Every
    notebook is checked first; nothing is written when one breaks the contract."""
    notebooks = course_notebooks(course)
    if not notebooks:
        raise EditionError(f"{course / 'notebooks'}: no NN_*.ipynb notebooks")
    stripped, faults = {}, []
    for path in notebooks:
        label = f"notebooks/{path.name}"
        try:
            stripped[path.name] = notebook_text(strip(json.loads(path.read_text(encoding="utf-8")), label, repository))
        except EditionError as error:
            faults.append(str(error))
        except ValueError as error:
            faults.append(f"{label}: not a notebook ({error})")
    if faults:
        raise EditionError("\n".join(faults))
    values = {name: makefile_value(course, name) for name in ("PY_OLDEST", "PY_NEWEST", "NBVAL")}
    work = dest.parent / f".{dest.name}.building"
    shutil.rmtree(work, ignore_errors=True)
    try:
        (work / "notebooks").mkdir(parents=True)
        for name, text in stripped.items():
            (work / "notebooks" / name).write_text(text, encoding="utf-8")
        for item in COURSE_FILES:
            for file in files_under(course / item) if (course / item).exists() else []:
                target = work / file.relative_to(course)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(file, target)  # with its mode: binder/postBuild stays executable
        for template in sorted((course / TEMPLATES).iterdir()):
            text = template.read_text(encoding="utf-8")
            for name, value in values.items():
                text = text.replace(f"@{name}@", value)
            (work / template.name).write_text(text, encoding="utf-8")
        if repository is not None and (work / "pyproject.toml").exists():
            pyproject = work / "pyproject.toml"
            pyproject.write_text(REPOSITORY_LINE.sub(rf"\g<1>{repository}\g<3>", pyproject.read_text()))
        manifest = {
            "about": "The student edition, built by scripts/editions.py (make student) from these sources; "
            "do not edit: rebuild.",
            "repository": repository,
            "sources": sources(course),
            "files": outputs(work),
        }
        (work / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
        shutil.rmtree(dest, ignore_errors=True)
        work.rename(dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return manifest


def outputs(edition: Path) -> dict[str, str]:
    """The digest of each notebook and top-level item of a built edition (data/ and helpers/ as one digest each)."""
    items = sorted(
        {
            p.relative_to(edition).parts[0] if p.parent.name != "notebooks" else p.relative_to(edition).as_posix()
            for p in files_under(edition)
        }
        - {MANIFEST}
    )
    return {item: digest(edition / item) for item in items}


def stale(course: Path = REPO, dest: Path = DIST) -> list[str]:
    """Why ``dest`` is not the student edition of ``course`` as it is now (empty when it is up to date)."""
    try:
        manifest = json.loads((dest / MANIFEST).read_text())
    except (OSError, ValueError):
        return [f"{dest} has no readable {MANIFEST}: run `make student`"]
    now, then = sources(course), manifest.get("sources", {})
    reasons = [
        f"{item} changed since the build" for item in sorted(set(now) | set(then)) if now.get(item) != then.get(item)
    ]
    built = outputs(dest)
    recorded = manifest.get("files", {})
    reasons += [
        f"{dest.name}/{item} was edited after the build"
        for item in sorted(set(built) | set(recorded))
        if built.get(item) != recorded.get(item)
    ]
    return reasons


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dest", type=Path, default=DIST, help="where to build (default: dist/student)")
    parser.add_argument(
        "--repository",
        help="the students' GitHub copy (https://github.com/OWNER/REPO): "
        "Colab badges and the notebooks' set-up cell point there",
    )
    parser.add_argument("--check", action="store_true", help="only say whether --dest is up to date")
    args = parser.parse_args(argv)
    if args.check:
        reasons = stale(REPO, args.dest)
        for reason in reasons:
            print(f"out of date: {reason}")
        return 1 if reasons else 0
    try:
        manifest = build(REPO, args.dest, args.repository)
    except EditionError as error:
        print(f"error: the student edition was not built:\n{error}", file=sys.stderr)
        return 1
    notebooks = sum(1 for item in manifest["files"] if item.startswith("notebooks/"))
    where = args.dest.relative_to(Path.cwd()) if args.dest.is_relative_to(Path.cwd()) else args.dest
    print(f"student edition: {notebooks} notebooks and the course files in {where}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
