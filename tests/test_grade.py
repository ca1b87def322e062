"""Grading a class (scripts/grade.py, `make grade SUBMISSIONS=DIR`) over a made-up class of the made-up course:
one student with everything right, one with nothing done, one with some done (cells moved), one with a broken
notebook and one that crashes, one whose notebook loops, one who handed in nothing."""

from __future__ import annotations

import csv
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from made_up_course import shared_course

from helpers.paths import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "scripts"))
import editions  # noqa: E402

# a teacher's tool, run on a made-up class (a kernel per notebook): `make test-maintainer`, not `make test`
pytestmark = pytest.mark.maintainer

GRADE = [sys.executable, str(REPO_ROOT / "scripts" / "grade.py")]
TIMEOUT = 10  # seconds a notebook may run: the made-up ones take about one


@pytest.fixture(scope="session")
def course(tmp_path_factory) -> Path:
    return shared_course(tmp_path_factory)


def answered(notebook: dict, answers: dict[str, str]) -> dict:
    """``notebook`` with the answer cell of each exercise named in ``answers`` holding that code."""
    cells = notebook["cells"]
    for index, cell in enumerate(cells):
        name = editions.check_name(editions.source(cell)) if "check" in editions.tags(cell) else None
        if name in answers:
            cells[index - 1]["source"] = answers[name]
    return notebook


def make_class(course: Path, folder: Path) -> Path:
    """The made-up class's submissions, from the student edition of the made-up course."""
    edition = folder.parent / "edition"
    editions.build(course, edition)

    def student(name: str) -> dict:
        return json.loads((edition / "notebooks" / f"{name}.ipynb").read_text())

    def hand_in(who: str, name: str, notebook: dict | str) -> None:
        (folder / who).mkdir(parents=True, exist_ok=True)
        text = notebook if isinstance(notebook, str) else editions.notebook_text(notebook)
        (folder / who / f"{name}.ipynb").write_text(text)

    for name in ("00_words", "01_numbers"):
        teacher = json.loads((course / "notebooks" / f"{name}.ipynb").read_text())
        hand_in("ada", name, editions.fill_answers(student(name), teacher))  # every worked solution
        hand_in("bo", name, student(name))  # nothing done
    moved = answered(student("00_words"), {"longest": 'longest = "KERNEL "', "count": "count = 2"})
    cells = moved["cells"]
    first, second = (
        next(i for i, c in enumerate(cells) if f'check("{n}"' in editions.source(c)) for n in ("longest", "count")
    )
    cells[first - 1 : first + 1], cells[second - 1 : second + 1] = (
        cells[second - 1 : second + 1],
        cells[first - 1 : first + 1],
    )
    hand_in("cy", "00_words", moved)  # exercise 2 moved above exercise 1; 01 not handed in
    hand_in("dee", "00_words", '{"cells": [')  # not JSON
    hand_in(
        "dee",
        "01_numbers",
        answered(
            student("01_numbers"), {"total": 'open("../data/written-by-a-student.txt", "w").write("x")\ntotal = 1 / 0'}
        ),
    )
    hand_in(
        "eve",
        "00_words",
        answered(student("00_words"), {"longest": "longest = max(words, key=len)", "count": "while True:\n    pass"}),
    )
    (folder / "fay").mkdir()  # handed in nothing
    (folder / "ada" / "notes.txt").write_text("not a notebook of the course: ignored\n")
    return folder


@pytest.fixture(scope="module")
def graded(course, tmp_path_factory):
    """The made-up class graded as `make grade` does; returns (folder, the run, the digests before)."""
    folder = make_class(course, tmp_path_factory.mktemp("class") / "submissions")
    before = digests(folder)
    course_before = digests(course)
    run = subprocess.run(
        [*GRADE, str(folder), "--timeout", str(TIMEOUT), "--course", str(course)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    return folder, run, before, course_before


def digests(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


EXPECTED = """\
student,notebook,exercise,result
ada,00_words,1,right
ada,00_words,2,right
ada,01_numbers,1,right
bo,00_words,1,not yet
bo,00_words,2,not yet
bo,01_numbers,1,not yet
cy,00_words,1,right
cy,00_words,2,not yet
cy,01_numbers,1,missing
dee,00_words,1,error
dee,00_words,2,error
dee,01_numbers,1,error
eve,00_words,1,right
eve,00_words,2,error
eve,01_numbers,1,missing
fay,00_words,1,missing
fay,00_words,2,missing
fay,01_numbers,1,missing
"""


def test_a_made_up_class_gets_the_expected_table(graded):
    folder, run, _, _ = graded
    assert run.returncode == 0, run.stderr
    assert (folder / "grades.csv").read_text().replace("\r\n", "\n") == EXPECTED
    rows = list(csv.DictReader((folder / "grades.csv").open()))
    assert {row["result"] for row in rows} == {"right", "not yet", "error", "missing"}


def test_the_summary_says_per_exercise_how_many_got_it_right(graded):
    _, run, _, _ = graded
    lines = run.stdout.splitlines()
    table = lines[lines.index(next(line for line in lines if line.startswith("notebook"))) :]
    assert [line.split() for line in table] == [
        ["notebook", "exercise", "right", "not", "yet", "error", "missing"],
        ["00_words", "1", "longest", "3/6", "1", "1", "1"],
        ["00_words", "2", "count", "1/6", "2", "2", "1"],
        ["01_numbers", "1", "total", "1/6", "1", "1", "3"],
    ]
    assert len(lines) <= 40, "one screen"


def test_students_code_ran_in_a_copy_and_changed_nothing(graded, course):
    folder, _, before, course_before = graded
    after = digests(folder)
    assert after.pop("grades.csv") and after == before, "the submissions are as handed in"
    assert digests(course) == course_before, "the course (its data/ too) is untouched"


def test_bad_arguments_get_one_line_and_no_traceback(tmp_path, course):
    cases = [
        ([str(tmp_path / "nowhere")], 2, "is not a folder"),
        ([str(tmp_path), "--timeout", "0"], 2, "--timeout 0 is not a number of seconds above 0"),
        ([str(tmp_path), "--course", str(course)], 1, "no student folders in"),
    ]
    for arguments, code, message in cases:
        run = subprocess.run([*GRADE, *arguments], capture_output=True, text=True)
        assert (run.returncode, run.stderr.count("\n")) == (code, 1) and message in run.stderr, run.stderr
        assert "Traceback" not in run.stderr


def test_a_course_without_tagged_exercises_is_refused_by_name(tmp_path):
    notebook = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "id": "a",
                "metadata": {},
                "outputs": [],
                "source": 'check("total", "0123456789abcdef", hint="sum them")',
            }
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (tmp_path / "course" / "notebooks").mkdir(parents=True)
    (tmp_path / "course" / "notebooks" / "00_x.ipynb").write_text(json.dumps(notebook))
    (tmp_path / "class" / "ada").mkdir(parents=True)
    run = subprocess.run(
        [*GRADE, str(tmp_path / "class"), "--course", str(tmp_path / "course")], capture_output=True, text=True
    )
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert "notebooks/00_x.ipynb: has exercises (check calls) but no cells tagged `answer` and `check`" in run.stderr
    assert not (tmp_path / "class" / "grades.csv").exists()
