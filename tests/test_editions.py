"""The student edition (scripts/editions.py, `make student`): no worked solution, no answer, every exercise kept,
a whole course folder, deterministic and up to date with the teacher's notebooks. First on a made-up course of two
tiny notebooks, then on the real one (running every real student notebook: --run-editions, make test-editions)."""

from __future__ import annotations

import filecmp
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from made_up_course import COLAB, course_env, execute, shared_course, teacher_notebook

from helpers.paths import MODELS_DIR, REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "scripts"))
import editions  # noqa: E402
from grade import verdict  # noqa: E402
from notebook_nav import bootstrap_cell  # noqa: E402

REAL_NOTEBOOKS = editions.course_notebooks(REPO_ROOT)


@pytest.fixture(scope="session")
def course(tmp_path_factory) -> Path:
    return shared_course(tmp_path_factory)


@pytest.fixture(scope="module")
def edition(course, tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("dist") / "student"
    editions.build(course, dest)
    return dest


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def all_files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def assert_gives_no_answer_away(student: dict, teacher: dict) -> None:
    """No solution or teacher cell, no Right in an output, no worked answer in any cell; every exercise kept."""
    found = editions.exercises(teacher)
    texts = [editions.source(c) + editions.printed(c) for c in student["cells"]]
    assert not [c for c in student["cells"] if editions.tags(c) & {"solution", "teacher"}]
    assert not [t for t in texts if re.search(r"^Right:", t, flags=re.MULTILINE)], "a check shows its answer"
    assert not [t for t in texts if editions.SOLUTION_HEADING.search(t)], "a Solutions heading is left"
    promises = [
        m.group(0)
        for t in texts
        for m in re.finditer(r"[^.\n]*solutions? (are|is) at the end[^.\n]*", t, flags=re.IGNORECASE)
    ]
    assert not promises, f"no solutions here: put that sentence in a markdown cell tagged `solution`: {promises}"
    for exercise in found:
        assert not [t for t in texts if exercise.solution.strip() in t], f"the worked answer of {exercise.name}"
    checks = [c for c in student["cells"] if "check" in editions.tags(c)]
    answers = [c for c in student["cells"] if "answer" in editions.tags(c)]
    assert [editions.source(c) for c in checks] == [e.check_source for e in found], "every check, unchanged"
    assert len(answers) == len(found) and all("..." in editions.source(c) for c in answers)


# ---- the made-up course


def test_student_notebooks_keep_every_exercise_and_give_no_answer_away(course, edition):
    for path in editions.course_notebooks(course):
        student, teacher = load(edition / "notebooks" / path.name), load(path)
        assert_gives_no_answer_away(student, teacher)
        assert "kernel: 6 letters" not in json.dumps(student), "a sealed explanation reads only once answered"
        kept = [c for c in teacher["cells"] if not editions.tags(c) & {"solution", "teacher"}]
        assert [c.get("outputs") for c in student["cells"]] == [c.get("outputs") for c in kept], "outputs kept"
        assert "Open in Colab" not in editions.source(student["cells"][0]), "the teacher's badge opens solutions"


def test_the_student_edition_is_a_whole_course_folder(course, edition):
    for item in (
        "Makefile",
        "README.md",
        "helpers/notebook.py",
        "data/README.md",
        "requirements.txt",
        "environment.yml",
        "pyproject.toml",
        "scripts/check_python.py",
        "scripts/course.py",
        "tests/nbval_sanitize.cfg",
        editions.MANIFEST,
    ):
        assert (edition / item).is_file(), item
    assert os.access(edition / "binder" / "postBuild", os.X_OK), "repo2docker runs it: it stays executable"
    makefile = (edition / "Makefile").read_text()
    assert "@" not in re.sub(r"^\t@|\$@|@test|@touch", "", makefile, flags=re.MULTILINE), "a placeholder is left"
    for name in ("PY_OLDEST", "PY_NEWEST", "NBVAL"):
        assert editions.makefile_value(edition, name) == editions.makefile_value(course, name)
    assert sorted(p.name for p in (edition / "notebooks").iterdir()) == ["00_words.ipynb", "01_numbers.ipynb"]
    # Windows without make: scripts/course.py reads the student Makefile and runs strict nbval of the notebooks
    dry = subprocess.run(
        [sys.executable, "scripts/course.py", "--dry-run", "test"], cwd=edition, capture_output=True, text=True
    )
    assert dry.returncode == 0, dry.stderr
    assert "--nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg" in dry.stdout


def test_the_build_is_deterministic_and_writes_only_into_its_folder(course, tmp_path):
    before = all_files(course)
    editions.build(course, tmp_path / "one" / "student")
    editions.build(course, tmp_path / "two" / "student")
    editions.build(course, tmp_path / "two" / "student")  # over an old build
    assert all_files(tmp_path / "one" / "student") == all_files(tmp_path / "two" / "student")
    assert sorted(p.name for p in (tmp_path / "two").iterdir()) == ["student"], "no temporary folder left"
    assert all_files(course) == before


def test_check_says_when_the_edition_is_out_of_date(course, tmp_path):
    source = shutil.copytree(course, tmp_path / "course")
    dest = tmp_path / "dist" / "student"
    assert editions.stale(source, dest) == [f"{dest} has no readable {editions.MANIFEST}: run `make student`"]
    editions.build(source, dest)
    assert editions.stale(source, dest) == []
    notebook = load(source / "notebooks" / "01_numbers.ipynb")
    notebook["cells"][-1]["source"] = "## Next\n\nThe end, reworded."
    (source / "notebooks" / "01_numbers.ipynb").write_text(json.dumps(notebook))
    (dest / "helpers" / "notebook.py").write_text("# edited by hand\n")
    assert editions.stale(source, dest) == [
        "notebooks/01_numbers.ipynb changed since the build",
        "student/helpers was edited after the build",
    ]
    editions.build(source, dest)
    assert editions.stale(source, dest) == []


def test_check_on_the_command_line_says_what_to_do(tmp_path):
    run = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "editions.py"), "--check", "--dest", str(tmp_path / "student")],
        capture_output=True,
        text=True,
    )
    assert (run.returncode, run.stdout) == (
        1,
        f"out of date: {tmp_path / 'student'} has no readable {editions.MANIFEST}: run `make student`\n",
    )


def test_a_students_repository_gets_the_colab_badge_and_the_set_up_cell(tmp_path):
    teacher = teacher_notebook("00_words")
    teacher["cells"].insert(
        2,
        {
            "cell_type": "code",
            "execution_count": None,
            "id": "boot",
            "metadata": {},
            "outputs": [],
            "source": bootstrap_cell("https://github.com/teacher/course"),
        },
    )
    student = editions.strip(teacher, "notebooks/00_words.ipynb", repository="https://github.com/class/course-2027")
    assert COLAB.format(name="00_words.ipynb").replace("teacher/course", "class/course-2027") in editions.source(
        student["cells"][0]
    )
    assert '"COURSE_REPO_URL", "https://github.com/class/course-2027"' in editions.source(student["cells"][1])


@pytest.mark.parametrize(
    "breakage, message",
    [
        ("untagged", "has exercises (check calls) but no cells tagged `answer` and `check`"),
        ("answered", "printed Right: its answer cell is answered"),
        ("no dots", "the answer cell of exercise 1 (cell 5) holds no `...`"),
        ("no solution", "exercise 2 (count) has no `solution` code cell"),
        ("untagged heading", "has a Solution heading but no `solution` tag"),
    ],
)
def test_a_notebook_that_breaks_the_contract_is_refused_with_a_line_naming_it(breakage, message, tmp_path):
    teacher = teacher_notebook("00_words")
    cells = teacher["cells"]
    if breakage == "untagged":
        for cell in cells:
            cell["metadata"].pop("tags", None)
    elif breakage == "answered":
        cells[6]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "Right: kernel\n"}]
    elif breakage == "no dots":
        cells[5]["source"] = "longest = 'kernel'"
    elif breakage == "no solution":
        cells[:] = [c for c in cells if not editions.source(c).startswith("count = len")]
    else:
        cells[-1]["source"] = "## Solutions\n\nBelow."
    with pytest.raises(editions.EditionError, match=re.escape("notebooks/00_words.ipynb: ")) as error:
        editions.strip(teacher, "notebooks/00_words.ipynb")
    assert message in str(error.value)
    course = tmp_path / "course"
    (course / "notebooks").mkdir(parents=True)
    (course / "notebooks" / "00_words.ipynb").write_text(json.dumps(teacher))
    with pytest.raises(editions.EditionError):
        editions.build(course, tmp_path / "dist" / "student")
    assert not (tmp_path / "dist").exists() or not any((tmp_path / "dist").iterdir()), "nothing written"


def test_student_notebooks_run_unanswered_and_every_check_says_not_yet(edition):
    for path in sorted((edition / "notebooks").glob("*.ipynb")):
        ran = execute(load_nb(path), edition / "notebooks", course_env(edition))
        checks = [c for c in ran.cells if "check" in editions.tags(c)]
        assert checks and [verdict(c) for c in checks] == ["not yet"] * len(checks), path.name


def test_each_answer_cell_filled_with_its_worked_solution_says_right(course, edition):
    for path in editions.course_notebooks(course):
        filled = editions.fill_answers(load(edition / "notebooks" / path.name), load(path))
        ran = execute(to_node(filled), edition / "notebooks", course_env(edition))
        checks = [c for c in ran.cells if "check" in editions.tags(c)]
        assert checks and [verdict(c) for c in checks] == ["right"] * len(checks), path.name


def load_nb(path: Path):
    import nbformat

    return nbformat.read(path, as_version=4)


def to_node(notebook: dict):
    import nbformat

    return nbformat.reads(json.dumps(notebook), as_version=4)  # sources as strings, as nbclient wants them


# ---- the real course: these need the notebooks tagged as the exercise contract says


@pytest.mark.parametrize("path", REAL_NOTEBOOKS, ids=lambda p: p.stem)
def test_every_real_notebook_follows_the_exercise_contract(path):
    found = editions.exercises(load(path), f"notebooks/{path.name}")
    assert len(found) >= 2, "every notebook has at least two checked exercises (tests/test_notebooks.py)"


@pytest.mark.parametrize("path", REAL_NOTEBOOKS, ids=lambda p: p.stem)
def test_every_real_student_notebook_gives_no_answer_away(path):
    teacher = load(path)
    assert_gives_no_answer_away(editions.strip(teacher, f"notebooks/{path.name}"), teacher)


@pytest.fixture(scope="module")
def real_edition(tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("real-dist") / "student"
    editions.build(REPO_ROOT, dest)
    return dest


def test_the_student_edition_is_up_to_date_with_the_source(real_edition):
    """dist/ is not committed: a build from the notebooks as they are now is the student edition, and a
    dist/student/ left from an older build is reported (run `make student`)."""
    assert editions.stale(REPO_ROOT, real_edition) == []
    for path in REAL_NOTEBOOKS:
        expected = editions.notebook_text(editions.strip(load(path), f"notebooks/{path.name}"))
        assert (real_edition / "notebooks" / path.name).read_text(encoding="utf-8") == expected
    assert filecmp.cmp(real_edition / "helpers" / "notebook.py", REPO_ROOT / "helpers" / "notebook.py", shallow=False)
    if editions.DIST.exists():
        assert editions.stale() == [], "dist/student is older than the course: run `make student`"


@pytest.fixture(scope="module")
def runnable_edition(real_edition) -> Path:
    """The real student edition with this course's trained models, so notebooks load them instead of training."""
    if MODELS_DIR.is_dir() and not (real_edition / "models").exists():
        shutil.copytree(MODELS_DIR, real_edition / "models", ignore=shutil.ignore_patterns("variants"))
    return real_edition


@pytest.mark.editions
@pytest.mark.parametrize("path", REAL_NOTEBOOKS, ids=lambda p: p.stem)
def test_every_real_student_notebook_runs_unanswered_and_says_not_yet(path, runnable_edition):
    ran = execute(
        load_nb(runnable_edition / "notebooks" / path.name),
        runnable_edition / "notebooks",
        course_env(runnable_edition),
        timeout=1800,
    )
    checks = [c for c in ran.cells if "check" in editions.tags(c)]
    assert checks and [verdict(c) for c in checks] == ["not yet"] * len(checks)


@pytest.mark.editions
@pytest.mark.parametrize("path", REAL_NOTEBOOKS, ids=lambda p: p.stem)
def test_every_real_worked_solution_in_its_answer_cell_says_right(path, runnable_edition):
    filled = editions.fill_answers(load(runnable_edition / "notebooks" / path.name), load(path))
    ran = execute(to_node(filled), runnable_edition / "notebooks", course_env(runnable_edition), timeout=1800)
    verdicts = {editions.check_name(editions.source(c)): verdict(c) for c in ran.cells if "check" in editions.tags(c)}
    assert verdicts and set(verdicts.values()) == {"right"}, verdicts
