"""helpers.paths: the course's folder is found, or named as missing with what to do; never guessed."""

import os
import shutil
import subprocess
import sys

import pytest

from helpers.errors import CourseError
from helpers.paths import DATA_DIR, REPO_ROOT, find_repo_root


def run_copied_package(tmp_path, *args: str, **env_vars: str) -> subprocess.CompletedProcess:
    """Run ``python *args`` with a copy of ``helpers`` outside any clone of the course (as an installed copy)."""
    shutil.copytree(REPO_ROOT / "helpers", tmp_path / "lone" / "helpers", ignore=shutil.ignore_patterns("__pycache__"))
    env = {key: value for key, value in os.environ.items() if key not in ("COURSE_ROOT", "PYTHONPATH")}
    env.update(PYTHONPATH=str(tmp_path / "lone"), **env_vars)
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, cwd=tmp_path)


def test_the_course_is_found_from_the_package():
    assert find_repo_root() == REPO_ROOT and DATA_DIR == REPO_ROOT / "data"
    assert (REPO_ROOT / "pyproject.toml").is_file()


def test_no_course_above_a_folder_is_an_error_saying_what_to_do(tmp_path):
    with pytest.raises(CourseError, match="cannot find the course's folder .* set COURSE_ROOT") as excinfo:
        find_repo_root(tmp_path)
    assert str(tmp_path) in str(excinfo.value) and "\n" not in str(excinfo.value)


def test_a_package_outside_the_course_says_so_in_one_line(tmp_path):
    result = run_copied_package(tmp_path, "-m", "helpers", "data")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("error: cannot find the course's folder") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_course_root_points_an_installed_package_at_the_course(tmp_path):
    code = "from helpers.paths import REPO_ROOT, TRAIN_DIR; print(REPO_ROOT); print(TRAIN_DIR.is_dir())"
    result = run_copied_package(tmp_path, "-c", code, COURSE_ROOT=str(REPO_ROOT))
    assert result.stdout.split() == [str(REPO_ROOT), "True"], result.stderr
    wrong = run_copied_package(tmp_path / "again", "-c", code, COURSE_ROOT=str(tmp_path))
    assert f"COURSE_ROOT={tmp_path} is not the course's folder" in wrong.stderr
