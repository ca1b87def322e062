"""A made-up course of two tiny notebooks, tagged as the exercise contract says, for the tests of the editions
and of grading: the real ``helpers`` (so ``helpers.notebook.check``), no TensorFlow, a few seconds a run."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from helpers.notebook import fingerprint, seal
from helpers.paths import REPO_ROOT

COLAB = (
    "[![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
    "(https://colab.research.google.com/github/teacher/course/blob/main/notebooks/{name})"
)
WORDS = ["digit", "kernel", "cell"]
# notebook -> [(name, worked answer, check's expected, right)]: what the teacher's edition holds
EXERCISES = {
    "00_words": [
        (
            "longest",
            "longest = max(words, key=len)\n",
            f'"{fingerprint("kernel")}"',
            f'right="{seal("kernel: 6 letters", "kernel")}"',
        ),
        ("count", "count = len(words)\n", "lambda n: n == len(words)", 'right="one per word"'),
    ],
    "01_numbers": [("total", "total = sum(numbers)\n", f'"{fingerprint(6)}"', "")],
}


def cell(kind: str, text: str, *tags: str):
    made = new_code_cell(text) if kind == "code" else new_markdown_cell(text)
    if tags:
        made.metadata["tags"] = list(tags)
    return made


def teacher_notebook(name: str) -> nbformat.NotebookNode:
    """A teacher's notebook: set-up, the exercises (answer + check), the worked solutions, teacher's notes."""
    setup = (
        'from helpers.notebook import check\n\nwords = ["digit", "kernel", "cell"]'
        if name == "00_words"
        else "from helpers.notebook import check\n\nnumbers = [1, 2, 3]"
    )
    cells = [
        cell("markdown", f"[Course map](00_words.ipynb) | {COLAB.format(name=name)}\n\n# {name[:2]} · Made up"),
        cell("markdown", "Teacher's notes: about ten minutes.", "teacher"),
        cell("code", setup),
        cell("markdown", "## Exercises"),
    ]
    solutions = [cell("markdown", "## Solutions", "solution")]
    for number, (variable, worked, expected, right) in enumerate(EXERCISES[name], start=1):
        call = f'check("{variable}", {expected}, hint="look at the list"{", " + right if right else ""})'
        cells += [
            cell("markdown", f"### Exercise {number}\n\nCompute `{variable}`."),
            cell("code", f"{variable} = ...  # your answer", "answer"),
            cell("code", call, "check"),
        ]
        solutions += [cell("markdown", f"### Solution {number}", "solution"), cell("code", worked + call, "solution")]
    notebook = new_notebook(cells=cells + solutions + [cell("markdown", "## Next\n\nThe end.")])
    notebook.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    for index, made in enumerate(notebook.cells):
        made["id"] = f"{name}-{index}"  # fixed ids: the same notebook gives the same bytes
    return notebook


def execute(
    notebook: nbformat.NotebookNode, folder: Path, env: dict[str, str] | None = None, timeout: int = 120
) -> nbformat.NotebookNode:
    """Run ``notebook`` top to bottom in a fresh kernel in ``folder`` (a course's notebooks/), with the
    environment ``env`` (default: this one); a cell that raises fails the run."""
    from nbclient import NotebookClient

    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(folder)}},
    )
    client.execute(**({"env": env} if env is not None else {}))
    return notebook


def course_env(course: Path, strict: bool = True) -> dict[str, str]:
    """A kernel environment that imports ``helpers`` from ``course`` (not from this repository)."""
    env = {key: value for key, value in os.environ.items() if key != "COURSE_MODELS_DIR"}
    env.update(PYTHONPATH=str(course), PYTHONHASHSEED="0", COURSE_STRICT="1" if strict else "0")
    return env


def make_course(root: Path) -> Path:
    """The made-up course in ``root``: the real helpers and course files, two executed teacher's notebooks."""
    shutil.copytree(REPO_ROOT / "helpers", root / "helpers", ignore=shutil.ignore_patterns("__pycache__"))
    for item in (
        "pyproject.toml",
        "requirements.txt",
        "environment.yml",
        "Makefile",
        "scripts/check_python.py",
        "scripts/course.py",
        "tests/nbval_sanitize.cfg",
    ):
        (root / item).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO_ROOT / item, root / item)
    shutil.copytree(REPO_ROOT / "scripts" / "student", root / "scripts" / "student")
    shutil.copytree(REPO_ROOT / "binder", root / "binder")
    (root / "data").mkdir()
    (root / "data" / "README.md").write_text("Made-up data.\n")
    (root / "notebooks").mkdir()
    for name in EXERCISES:
        notebook = execute(teacher_notebook(name), root / "notebooks")
        nbformat.write(notebook, root / "notebooks" / f"{name}.ipynb")
    return root


_MADE: dict[str, Path] = {}


def shared_course(tmp_path_factory) -> Path:
    """The made-up course, made once per test session (both test modules use it; it takes two kernel runs)."""
    if "course" not in _MADE:
        _MADE["course"] = make_course(tmp_path_factory.mktemp("made-up-course"))
    return _MADE["course"]
