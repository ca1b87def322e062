"""The notebooks as a course: structure, navigation, committed outputs, size. (Their cells are run and
compared by `pytest --nbval`; these checks are about what a student and a web reader see.)"""

from __future__ import annotations

import importlib.util
import json
import re

import pytest

from helpers.paths import REPO_ROOT

NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))
EXPECTED = [
    "00_welcome_and_setup",
    "01_the_dataset",
    "02_preprocessing",
    "03_building_the_cnn",
    "04_training",
    "05_learning_curves",
    "06_evaluation",
    "07_sample_predictions",
    "08_interactive_playground",
    "09_what_the_cnn_sees",
    "10_fighting_overfitting",
    "11_a_better_recipe",
    "12_making_it_fast",
]
ABSOLUTE_PATH = re.compile(r"(?<![\w.])/(tmp|work|root|home|Users)/[\w.-]+")


def cells(path):
    return json.loads(path.read_text())["cells"]


def text(cell) -> str:
    return "".join(cell["source"])


def test_the_course_has_every_notebook_in_order():
    assert [p.stem for p in NOTEBOOKS] == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_opening_and_ending_follow_the_course_pattern(path):
    all_cells = cells(path)
    opening = text(all_cells[0])
    assert re.search(r"^# \d\d · ", opening, flags=re.MULTILINE)
    assert "## What you will learn" in opening and "## Prerequisites" in opening
    assert "How it fits the course" in opening
    bootstrap, setup = [text(c) for c in all_cells if c["cell_type"] == "code"][:2]
    assert "finish_setup(COURSE)" in bootstrap, "the first code cell gets the course in Colab (notebook_nav.py)"
    assert "setup_notebook()" in setup
    markdown = "\n".join(text(c) for c in all_cells if c["cell_type"] == "markdown")
    assert "## Summary" in markdown and "## Exercises" in markdown
    assert markdown.count("### Exercise ") >= 2 and "## Solutions" in markdown, "at least two exercises, solved"
    assert markdown.count("<details>") == markdown.count("</details>")
    nxt = markdown[markdown.index("## Next") :] if "## Next" in markdown else ""
    assert re.search(r"\]\((\d\d_\w+)\.ipynb\)", nxt), "a link to the next notebook"


def _printed(cell) -> str:
    return "".join("".join(o.get("text", "")) for o in cell["outputs"] if o["output_type"] == "stream")


def tags(cell) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


CHECK_CALL = re.compile(r"""\bcheck\(\s*["']([A-Za-z_]\w*)["']""")
PYTHON_ERRORS = re.compile(r"\b\w+(Error|Exception)\b|Traceback|ellipsis")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_exercises_are_tagged_checked_and_every_worked_solution_passes_its_check(path):
    """The exercise contract (README, "Teaching a class"): each `answer` cell (holding `...`) is followed by a
    `check` cell whose stored verdict is a plain "Not yet:" sentence; every check has a worked solution, in cells
    tagged `solution`, ending with the same `check("NAME", ...)`, whose stored verdict is "Right:"; the teacher's
    notes follow the opening cell, tagged `teacher`; nothing outside a solution is tagged after "## Solutions"."""
    all_cells = cells(path)
    assert "teacher" in tags(all_cells[1]) and re.search(r"\bminutes?\b", text(all_cells[1])), "teacher's notes"
    checks = [i for i, c in enumerate(all_cells) if "check" in tags(c)]
    assert len(checks) >= 2, "at least two checked exercises"
    solutions = {}
    for cell in all_cells:
        if "solution" in tags(cell) and cell["cell_type"] == "code" and CHECK_CALL.search(text(cell)):
            solutions[CHECK_CALL.findall(text(cell))[-1]] = cell
    for i in checks:
        cell, answer = all_cells[i], all_cells[i - 1]
        assert "answer" in tags(answer) and "..." in text(answer), f"cell {i - 1}: the answer cell, with `...`"
        names = CHECK_CALL.findall(text(cell))
        assert len(names) == 1, f'cell {i}: one check("NAME", ...) per check cell'
        printed = _printed(cell).strip()
        assert printed.startswith("Not yet:") and "\n" not in printed, f"cell {i}: {printed!r}"
        assert not PYTHON_ERRORS.search(printed), f"cell {i}: Python's error text shown to a student: {printed!r}"
        assert names[0] in solutions, f'cell {i}: no worked solution ends with check("{names[0]}", ...)'
        verdict = _printed(solutions[names[0]]).strip().splitlines()
        assert verdict and verdict[-1].startswith("Right:"), f"the worked solution of {names[0]} says {verdict}"
    first_solution = min(i for i, c in enumerate(all_cells) if "solution" in tags(c))
    assert first_solution > max(checks), "the solutions come after the exercises"
    for cell in all_cells[first_solution:]:
        assert "solution" in tags(cell) or "## Next" in text(cell), (
            f"untagged cell among the solutions: {text(cell)[:60]}"
        )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_with_clean_outputs_from_a_fresh_run(path):
    code = [c for c in cells(path) if c["cell_type"] == "code" and text(c).strip()]
    assert any(c["outputs"] for c in code), "committed without outputs"
    counts = [c["execution_count"] for c in code]
    assert counts == list(range(1, len(code) + 1)), "not executed top to bottom in a fresh kernel"
    for cell in code:
        for output in cell["outputs"]:
            assert output["output_type"] != "error"
            assert not (output["output_type"] == "stream" and output["name"] == "stderr"), text(cell)[:80]
            blob = json.dumps({k: v for k, v in output.items() if k != "data"}) + json.dumps(
                {k: v for k, v in output.get("data", {}).items() if not k.startswith("image/")}
            )
            assert not ABSOLUTE_PATH.search(blob), ABSOLUTE_PATH.search(blob).group(0)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_figure_is_committed_with_alt_text(path):
    """Each image a notebook shows carries alt text in its output's metadata (``{"image/png": {"alt": ...}}``,
    from ``helpers.plots.describe``), which the website puts on the image (issue 25)."""
    missing = []
    for number, cell in enumerate(cells(path)):
        for output in cell.get("outputs", []):
            for mime in output.get("data", {}):
                if mime.startswith("image/"):
                    alt = output.get("metadata", {}).get(mime, {}).get("alt", "")
                    if len(alt.split()) < 5:  # a few words at least: not empty, not just a file name
                        missing.append(f"cell {number}: {text(cell)[:60]!r}")
    assert not missing, f"{len(missing)} figure(s) without alt text: {missing}"


def test_ignored_cells_are_marked_on_their_first_line_only():
    for path in NOTEBOOKS:
        for cell in cells(path):
            source = text(cell)
            if cell["cell_type"] == "code" and "NBVAL_IGNORE_OUTPUT" in source:
                assert source.startswith("# NBVAL_IGNORE_OUTPUT"), (path.name, source[:80])


def test_navigation_lines_are_generated_and_up_to_date():
    spec = importlib.util.spec_from_file_location("notebook_nav", REPO_ROOT / "scripts" / "notebook_nav.py")
    nav = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(nav)
    assert nav.outdated() == [], "run: python scripts/notebook_nav.py"
    first = text(cells(NOTEBOOKS[1])[0]).splitlines()[0]
    assert first == (
        "[< Previous: 00 · Welcome and set-up](00_welcome_and_setup.ipynb) | [Course map]"
        "(00_welcome_and_setup.ipynb) | [Next: 02 · Preprocessing >](02_preprocessing.ipynb) | "
        "[![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
        "(https://colab.research.google.com/github/mnist-cnn-course/handwritten-digits-cnn/blob/main/"
        "notebooks/01_the_dataset.ipynb)"
    )


def _words_script():
    spec = importlib.util.spec_from_file_location("words", REPO_ROOT / "scripts" / "words.py")
    words = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(words)
    return words


WORDS = _words_script()  # scripts/words.py: the one counting rule, shared with the table it prints


def markdown_words(path) -> int:
    """Words in a notebook's markdown cells (code excluded): whitespace-separated tokens with a letter or digit."""
    return WORDS.markdown_words(cells(path))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_notebook_is_over_its_word_limit(path):
    """Issue 23: words are the students' time; a notebook holds at most 2,200 words of Markdown (all cells)."""
    assert markdown_words(path) <= WORDS.NOTEBOOK_LIMIT, f"{path.name}: see python scripts/words.py"


def test_the_whole_course_stays_within_its_word_budget():
    """Issue 23: at most 15,000 words of Markdown over the whole course, teacher and solution cells included."""
    total = sum(markdown_words(path) for path in NOTEBOOKS)
    assert total <= WORDS.COURSE_LIMIT, f"{total:,} words of Markdown: see python scripts/words.py"


def test_the_welcome_notebook_is_short():
    """00 is read first: about 1,000 words at most (issue 11); details belong in the README or later notebooks."""
    assert markdown_words(REPO_ROOT / "notebooks" / "00_welcome_and_setup.ipynb") <= 1000


def test_all_notebooks_together_stay_under_5_mb():
    assert sum(p.stat().st_size for p in NOTEBOOKS) < 5_000_000
