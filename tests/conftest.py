"""Shared fixtures: small synthetic directory datasets, bundled subsets and one quickly trained model."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from support import write_digit_image

from helpers import quiet_tensorflow
from helpers.paths import TEST_DIR, TRAIN_DIR

quiet_tensorflow()


@pytest.fixture
def make_split(tmp_path):
    """Build a split folder ``<tmp>/<name>/<digit>/<i>.png`` with ``per_class`` images for each digit."""

    def _make(
        name: str = "split", digits=range(10), per_class: int = 2, ext: str = ".png", mode: str = "L", size: int = 28
    ) -> Path:
        root = tmp_path / name
        for digit in digits:
            for i in range(per_class):
                write_digit_image(root / str(digit) / f"{digit}_{i}{ext}", value=digit * 3 + i, size=size, mode=mode)
        return root

    return _make


def copy_subset(source: Path, target: Path, per_class: int) -> Path:
    """Copy the first ``per_class`` images of each digit of a bundled split."""
    for digit in range(10):
        files = sorted((source / str(digit)).glob("*.png"))[:per_class]
        (target / str(digit)).mkdir(parents=True)
        for file in files:
            shutil.copy(file, target / str(digit) / file.name)
    return target


@pytest.fixture(scope="session")
def bundled_subset(tmp_path_factory) -> Path:
    """A dataset root with 100 train and 30 test real digits per class, copied from the bundled data."""
    root = tmp_path_factory.mktemp("subset")
    copy_subset(TRAIN_DIR, root / "train", 100)
    copy_subset(TEST_DIR, root / "test", 30)
    return root


@pytest.fixture(scope="session")
def trained_model_file(tmp_path_factory) -> Path:
    """The seed CNN trained 2 epochs on 3,000 bundled digits, saved as .keras and .h5 (a few seconds)."""
    from keras.utils import to_categorical

    from helpers.data import load_arrays
    from helpers.model import build_cnn
    from helpers.model_files import save_model_files
    from helpers.training import compile_reference, set_seed

    images, labels = load_arrays(TRAIN_DIR)
    set_seed(0)
    pick = np.random.default_rng(0).permutation(len(images))[:3000]
    model = compile_reference(build_cnn())
    history = model.fit(images[pick], to_categorical(labels[pick]), epochs=2, batch_size=32, verbose=0)
    path = tmp_path_factory.mktemp("model") / "tiny_cnn.keras"
    save_model_files(model, path, history)
    return path


def pytest_addoption(parser):
    parser.addoption(
        "--run-exercises",
        action="store_true",
        help="also run every exercise change of notebooks/exercises.json (make test-exercises, ~20 min)",
    )
    parser.addoption(
        "--exercise-share",
        default=None,
        metavar="K/N",
        help="with --run-exercises: only share K of N of the exercise changes (CI rotates K)",
    )
    parser.addoption(
        "--run-editions",
        action="store_true",
        help="also run every student notebook, unanswered and with the worked solutions (slow)",
    )


def pytest_report_header(config):
    """Printed once, by the process that reports (also under pytest-xdist, whose workers' prints are lost)."""
    if config.getoption("--run-exercises"):
        from test_exercises import chosen_line

        return chosen_line(config.getoption("--exercise-share"))


def pytest_configure(config):
    config.addinivalue_line("markers", "editions: runs the real student notebooks (only with --run-editions)")


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(config, items):
    group_notebooks(config, items)
    slow = {
        "exercises": ("--run-exercises", "exercise runs are slow: make test-exercises (pytest --run-exercises)"),
        "editions": ("--run-editions", "student notebook runs are slow: make test-editions (pytest --run-editions)"),
    }
    for marker, (option, reason) in slow.items():
        if not config.getoption(option):
            for item in items:
                if item.get_closest_marker(marker):
                    item.add_marker(pytest.mark.skip(reason=reason))


# `make test` runs on two processes (pytest-xdist, `-n 2 --dist loadgroup --no-loadscope-reorder`); a notebook's
# cells share one kernel, so each notebook is one group, run in order by one worker. Three notebooks train for
# minutes: 04 (the reference model, which 05-09 and 11 load), 10 and 11. On a 2-core machine two processes share
# the CPU whatever each runs, so what sets the time is how evenly the work is split: the first worker runs 10 then 11
# (the training lane), the second starts with 04, then runs the notebooks that need no trained model (00-03, 12),
# then 05-09; both then share the unit tests. A notebook that loads 04's model (05-09, 11) waits, at its first cell,
# until 04 is done.
TRAINING_LANE = ("10", "11")
FIRST = "04"
NEEDS_04 = ("05", "06", "07", "08", "09", "11")
LANE_GROUP = "notebooks-10-11"
WAIT_FOR_04_S = 30 * 60  # at most; then the notebook goes on (and trains the reference model itself if missing)


def _notebook(item) -> str | None:
    """The number of the notebook a test item is a cell of ("04"), or None for a unit test."""
    path = Path(str(item.fspath))
    return path.name[:2] if path.suffix == ".ipynb" else None


def group_notebooks(config, items) -> None:
    """Under ``--dist loadgroup``, order the items as the comment above says (xdist keeps that order under
    ``--no-loadscope-reorder``) and suffix each notebook cell's id with its group, as pytest-xdist does for an
    ``xdist_group`` mark. (xdist 3.8 writes ``item._nodeid``, which pytest 9 no longer reads: an id is ``item._id``
    there, so the suffix goes into that, and a check stops the run if a later pytest changes it again.)"""
    if not getattr(config.option, "loadgroup", False):  # set in pytest-xdist's workers under --dist loadgroup
        return
    from _pytest.nodeid import NodeId

    def rank(item) -> int:
        number = _notebook(item)
        if number is None:
            return 4
        if number in TRAINING_LANE:
            return 0
        return 1 if number == FIRST else 3 if number in NEEDS_04 else 2

    items.sort(key=rank)  # stable: the notebooks' cells and the unit tests keep their order
    for item in items:
        number = _notebook(item)
        if number is not None and "@" not in item.nodeid:
            group = LANE_GROUP if number in TRAINING_LANE else f"notebook-{Path(str(item.fspath)).stem}"
            item._id = NodeId.parse(f"{item.nodeid}@{group}")
            if not item.nodeid.endswith(f"@{group}"):
                raise pytest.UsageError("this pytest ignores test groups; run without -n (pytest-xdist)")
    config.pluginmanager.register(WaitFor04(config), "wait-for-04")


class WaitFor04:
    """In a worker of ``make test``: the first cell of notebooks 05-09 waits until the other worker has run
    notebook 04 (a file in the temporary folder, named after xdist's run id, says so), when 04 is in this run."""

    def __init__(self, config) -> None:
        import tempfile

        run_id = getattr(config, "workerinput", {}).get("testrunuid", "")
        self.done = Path(tempfile.gettempdir()) / f"mnist-cnn-course-{run_id}-04-done" if run_id else None

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_teardown(self, item, nextitem):
        yield  # after 04's last cell, once its kernel is shut down
        if self.done and _notebook(item) == "04" and (nextitem is None or _notebook(nextitem) != "04"):
            self.done.touch()

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item):
        import time

        if self.done is None or _notebook(item) not in NEEDS_04:
            return
        if not any(_notebook(other) == "04" for other in item.session.items):
            return  # 04 is not in this run: the notebook trains the reference model itself if it is missing
        deadline = time.monotonic() + WAIT_FOR_04_S
        while not self.done.exists() and time.monotonic() < deadline:
            time.sleep(1)
