"""Every change a student may try on a cell, tried in a student's own kernel: the notebook runs on to the end
(a claim that no longer holds prints a warning that says what broke), and never breaks a later notebook or
overwrites the course's models.

The changes live as data in ``notebooks/exercises.json``.  Each one is applied to a copy of its notebook,
which runs top to bottom in a fresh kernel with ``COURSE_STRICT=0`` (as in a student's kernel: no pytest) and
``COURSE_MODELS_DIR`` pointing at a private copy of ``models/``; then the later notebooks named in ``then``
must still run to the end.  All of them take about 20 minutes on a 2-core CPU, so they run only when asked:
``make test-exercises`` (``pytest --run-exercises``), or a share of them: ``--exercise-share K/N`` runs one N-th
of the entries, the long ones spread evenly (``share``; CI rotates K, so every entry runs within N runs).
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
            f"exercises.json is out of date: {old!r} found {sum(c.source.count(old) for c in cells)} times"
        )
        cells[0].source = cells[0].source.replace(old, new)
    return notebook


def run(notebook) -> tuple[str, str] | None:
    """Execute a notebook in a fresh kernel from notebooks/; ``None`` if it ran to the end, else the
    first error's ``(name, message)``."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    client = NotebookClient(
        notebook, timeout=1800, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    )
    try:
        client.execute()
    except CellExecutionError as error:
        return error.ename, error.evalue
    return None


def warnings_shown(notebook) -> str:
    """The text the executed notebook wrote to stderr (where ``expect`` puts its warnings)."""
    return "".join(
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "stream" and output.get("name") == "stderr"
    )


RETRAINING = ("04", "10", "11")  # the notebooks whose changed runs train for minutes


def share(exercises: list[dict], spec: str | None) -> list[dict]:
    """The entries of share ``K/N``; all of them when ``spec`` is None.  The changes to the notebooks that train
    for minutes are dealt out first, one to each share in turn, then the others, so that no share gets two long
    runs while another gets none; each entry is in exactly one share.

    >>> changes = [{"notebook": name} for name in ("00_a", "04_b", "01_c", "10_d", "02_e")]
    >>> [e["notebook"] for e in share(changes, "1/2")], [e["notebook"] for e in share(changes, "2/2")]
    (['04_b', '00_a', '02_e'], ['10_d', '01_c'])
    """
    if not spec:
        return exercises
    k, n = (int(part) for part in spec.split("/"))
    if not 1 <= k <= n:
        raise ValueError(f"--exercise-share {spec}: K must be 1 to N")
    dealt = sorted(exercises, key=lambda exercise: exercise["notebook"][:2] not in RETRAINING)  # stable
    return [exercise for index, exercise in enumerate(dealt) if index % n == k - 1]


def _digests(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.glob("mnist_cnn_*.*"))
    }


@pytest.fixture(scope="module")
def models_copy(tmp_path_factory) -> Path:
    """A private ``models/`` with the course's reference and improved models: copied from ``models/`` when their
    metadata says they are the right ones, else trained here (``python -m helpers train``), so that every exercise
    is checked against models it must not touch."""
    import os
    import subprocess
    import sys

    from helpers.paths import IMPROVED_MODEL, REFERENCE_MODEL
    from helpers.provenance import mismatch, read_meta
    from helpers.training import expected_settings

    folder = tmp_path_factory.mktemp("models")
    for path, recipe in ((REFERENCE_MODEL, "reference"), (IMPROVED_MODEL, "improved")):
        if path.is_file() and mismatch(read_meta(path), expected_settings(recipe)) is None:
            for file in path.parent.glob(path.stem + ".*"):
                shutil.copy(file, folder / file.name)
        else:
            subprocess.run(
                [sys.executable, "-m", "helpers", "train", "--recipe", recipe],
                cwd=REPO_ROOT,
                check=True,
                env={**os.environ, "COURSE_MODELS_DIR": str(folder)},
                stdout=subprocess.DEVNULL,
            )
    assert _digests(folder), "no model files to guard"
    return folder


def test_every_change_still_matches_its_notebook():
    """Cheap and always on: the data stays in step with the notebooks it changes."""
    assert EXERCISES, "no exercises listed"
    for exercise in EXERCISES:
        apply_changes(_notebook(exercise["notebook"]), exercise["change"])
        assert exercise["expect"] in ("runs", "warns"), _id(exercise)
        assert exercise["expect"] == "runs" or exercise.get("message"), f"{_id(exercise)}: which warning?"
        for later in exercise.get("then", []):
            assert (NOTEBOOKS / f"{later}.ipynb").is_file() and later > exercise["notebook"], later


@pytest.mark.parametrize("n", [1, 4, 6])
def test_shares_cover_every_change_once_and_spread_the_long_runs(n):
    shares = [share(EXERCISES, f"{k}/{n}") for k in range(1, n + 1)]
    assert sorted(id(e) for part in shares for e in part) == sorted(id(e) for e in EXERCISES)
    long_runs = [sum(e["notebook"][:2] in RETRAINING for e in part) for part in shares]
    assert max(long_runs) - min(long_runs) <= 1, long_runs
    assert max(len(part) for part in shares) - min(len(part) for part in shares) <= 1


def chosen_line(option: str | None) -> str:
    """The header line of a ``--run-exercises`` run (tests/conftest.py): which changes this share runs."""
    chosen = share(EXERCISES, option)
    return f"exercise changes in this run ({len(chosen)} of {len(EXERCISES)}): {', '.join(_id(e) for e in chosen)}"


def pytest_generate_tests(metafunc):
    if "exercise" in metafunc.fixturenames:
        chosen = share(EXERCISES, metafunc.config.getoption("--exercise-share"))
        metafunc.parametrize("exercise", chosen, ids=_id)


@pytest.mark.exercises
def test_exercise_runs_on_with_a_warning_and_breaks_nothing_later(exercise, models_copy, monkeypatch):
    monkeypatch.setenv("COURSE_MODELS_DIR", str(models_copy))
    monkeypatch.setenv("COURSE_STRICT", "0")  # a student's kernel: no pytest around it
    monkeypatch.setenv("PYTHONHASHSEED", "0")
    before = _digests(models_copy)
    notebook = apply_changes(_notebook(exercise["notebook"]), exercise["change"])
    outcome = run(notebook)
    assert outcome is None, f"{_id(exercise)} should run to the end in a student's kernel, but stopped: {outcome}"
    shown = warnings_shown(notebook)
    if exercise["expect"] == "warns":
        assert exercise["message"] in shown, (
            f"{_id(exercise)}: expected a warning with {exercise['message']!r}: {shown}"
        )
    assert _digests(models_copy) == before, f"{_id(exercise)} changed the course's model files"
    for later in exercise.get("then", []):
        assert run(_notebook(later)) is None, f"after {_id(exercise)}, {later} no longer runs to the end"
