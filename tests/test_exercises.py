"""Every change a student may try on a cell, tried: students change cells, and a changed cell may fail, but only at
an assert that says what broke, and never by breaking a later notebook or overwriting the reference model.

The changes live as data in ``notebooks/exercises.json``.  Each one is applied to a copy of its notebook,
which runs top to bottom in a fresh kernel with ``COURSE_MODELS_DIR`` pointing at a private copy of
``models/``; then the later notebooks named in ``then`` must still run to the end.  This takes about
20 minutes on a 2-core CPU, so it runs only when asked: ``make test-exercises`` (``pytest --run-exercises``).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from helpers.paths import REPO_ROOT

NOTEBOOKS = REPO_ROOT / "notebooks"
SPEC = json.loads((NOTEBOOKS / "exercises.json").read_text())
EXERCISES = SPEC["exercises"]


def _id(exercise: dict) -> str:
    return f"{exercise['notebook'][:2]}-ex{exercise['exercise']}"


def _notebook(name: str):
    import nbformat

    return nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)


def apply_changes(notebook, changes: list[list[str]]):
    """Replace each ``old`` (found exactly once among the code cells) by ``new``; return the notebook."""
    for old, new in changes:
        cells = [cell for cell in notebook.cells if cell.cell_type == "code" and old in cell.source]
        assert len(cells) == 1 and cells[0].source.count(old) == 1, (
            f"exercises.json is out of date: {old!r} found {sum(c.source.count(old) for c in cells)} times")
        cells[0].source = cells[0].source.replace(old, new)
    return notebook


def run(notebook) -> tuple[str, str] | None:
    """Execute a notebook in a fresh kernel from notebooks/; ``None`` if it ran to the end, else the
    first error's ``(name, message)``."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    client = NotebookClient(notebook, timeout=1800, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    try:
        client.execute()
    except CellExecutionError as error:
        return error.ename, error.evalue
    return None


def _digests(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.glob("mnist_cnn_*.*"))}


@pytest.fixture(scope="module")
def models_copy(tmp_path_factory) -> Path:
    """A private ``models/`` with the course's reference and improved models (copied from ``models/`` when
    their metadata says they are the right ones; otherwise the notebooks train them on first use)."""
    from helpers.paths import IMPROVED_MODEL, REFERENCE_MODEL
    from helpers.provenance import mismatch, read_meta
    from helpers.training import expected_settings

    folder = tmp_path_factory.mktemp("models")
    for path, recipe in ((REFERENCE_MODEL, "reference"), (IMPROVED_MODEL, "improved")):
        if path.is_file() and mismatch(read_meta(path), expected_settings(recipe)) is None:
            for file in path.parent.glob(path.stem + ".*"):
                shutil.copy(file, folder / file.name)
    return folder


def test_every_change_still_matches_its_notebook():
    """Cheap and always on: the data stays in step with the notebooks it changes."""
    assert EXERCISES, "no exercises listed"
    for exercise in EXERCISES:
        apply_changes(_notebook(exercise["notebook"]), exercise["change"])
        assert exercise["expect"] in ("runs", "assert"), _id(exercise)
        assert exercise["expect"] == "runs" or exercise.get("message"), f"{_id(exercise)}: which assert?"
        for later in exercise.get("then", []):
            assert (NOTEBOOKS / f"{later}.ipynb").is_file() and later > exercise["notebook"], later


@pytest.mark.exercises
@pytest.mark.parametrize("exercise", EXERCISES, ids=_id)
def test_exercise_fails_only_at_an_explaining_assert_and_breaks_nothing_later(exercise, models_copy, monkeypatch):
    monkeypatch.setenv("COURSE_MODELS_DIR", str(models_copy))
    monkeypatch.setenv("PYTHONHASHSEED", "0")
    before = _digests(models_copy)
    outcome = run(apply_changes(_notebook(exercise["notebook"]), exercise["change"]))
    if exercise["expect"] == "runs":
        assert outcome is None, f"{_id(exercise)} should run to the end, but stopped: {outcome}"
    else:
        assert outcome is not None, f"{_id(exercise)} should stop at an assert, but ran to the end"
        name, message = outcome
        assert name == "AssertionError", f"{_id(exercise)} stopped with {name}, not at an assert: {message}"
        assert exercise["message"] in message, f"{_id(exercise)}: unexpected assert message: {message}"
    if before:  # the course's models were there before: the exercise must not have touched them
        assert _digests(models_copy) == before, f"{_id(exercise)} changed the reference model files"
    for later in exercise.get("then", []):
        assert run(_notebook(later)) is None, f"after {_id(exercise)}, {later} no longer runs to the end"
