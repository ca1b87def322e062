"""The set-up: one source of pinned versions, the two README commands, CI, the nbval sanitize file."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from support import load_script, pins_for, requirement_pins

from helpers.paths import REPO_ROOT

REQUIRED = [
    "tensorflow",
    "keras",
    "numpy",
    "matplotlib",
    "seaborn",
    "scikit-learn",
    "jupyterlab",
    "ipywidgets",
    "nbval",
    "pytest",
    "pillow",
    "anywidget",
]


def supported_versions() -> list[str]:
    """['3.10', ..., '3.13'] from the Makefile's PY_OLDEST and PY_NEWEST."""
    makefile = (REPO_ROOT / "Makefile").read_text()
    oldest, newest = (
        re.search(rf"^{name} := 3\.(\d+)$", makefile, flags=re.MULTILINE).group(1)
        for name in ("PY_OLDEST", "PY_NEWEST")
    )
    return [f"3.{minor}" for minor in range(int(oldest), int(newest) + 1)]


def test_makefile_pyproject_and_readme_agree_on_the_python_versions():
    versions = supported_versions()
    assert versions[0] == "3.10" and len(versions) >= 4, versions
    newest_minor = int(versions[-1].split(".")[1])
    pyproject = (REPO_ROOT / "pyproject.toml").read_text()
    assert f'requires-python = ">={versions[0]},<3.{newest_minor + 1}"' in pyproject
    readme = (REPO_ROOT / "README.md").read_text()
    assert f"Python {', '.join(versions[:-1])} or {versions[-1]}" in readme  # the quick start
    conda = re.search(r"python=(3\.\d+)", (REPO_ROOT / "environment.yml").read_text()).group(1)
    assert conda in versions
    # the interpreter running these tests is one of them
    assert f"{sys.version_info.major}.{sys.version_info.minor}" in versions


def test_every_supported_python_gets_exactly_one_pin_of_each_package():
    for version in supported_versions():
        assert set(pins_for(version)) == set(requirement_pins()), f"Python {version}: a package is not pinned"


def test_check_python_names_the_newest_supported_version_in_one_line():
    check = load_script("check_python")
    oldest, newest = check.parse(supported_versions()[0]), check.parse(supported_versions()[-1])
    for version in supported_versions():
        assert check.problem(check.parse(version), oldest, newest) is None
    too_new = check.problem((newest[0], newest[1] + 1), oldest, newest, "make test")
    too_old = check.problem((3, 9), oldest, newest)
    pick = "PYTHON=python{}.{}".format(*newest)
    assert "newer than TensorFlow supports" in too_new and f"make test {pick}" in too_new
    assert "too old" in too_old and f"make lab {pick}" in too_old
    assert "\n" not in too_new + too_old and too_new.startswith("error: ")


def test_check_python_exits_2_with_one_line_for_an_unsupported_interpreter():
    script = str(REPO_ROOT / "scripts" / "check_python.py")
    ok = subprocess.run([sys.executable, script, "3.10", "3.99"], capture_output=True, text=True)
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, "", "")
    older = subprocess.run([sys.executable, script, "3.1", "3.2", "make lab"], capture_output=True, text=True)
    assert older.returncode == 2 and older.stdout == ""
    assert older.stderr.startswith("error: Python 3.") and older.stderr.count("\n") == 1
    assert "make lab PYTHON=python3.2" in older.stderr


def test_every_course_package_is_pinned_exactly():
    pins = requirement_pins()
    for package in REQUIRED:
        assert package in pins, package
    assert len(pins["tensorflow"]) == 1, "one TensorFlow for every Python: the course's outputs depend on it"
    minor = ".".join(pins["tensorflow"][0].split(".")[:2])  # the Python range is the one this TensorFlow supports
    for name in ("README.md", "Makefile"):
        named = set(re.findall(r"TensorFlow (\d+\.\d+)", (REPO_ROOT / name).read_text()))
        assert named == {minor}, f"{name} names TensorFlow {sorted(named)}, requirements.txt pins {minor}"


def test_installed_versions_match_the_pins():
    import importlib.metadata as metadata

    for package, versions in requirement_pins().items():
        assert metadata.version(package) in versions, f"{package} {metadata.version(package)} not in {versions}"


def test_environment_yml_takes_its_versions_from_requirements_txt():
    text = (REPO_ROOT / "environment.yml").read_text()
    assert "-r requirements.txt" in text
    assert "python=3.1" in text
    # no second list of versions that could drift
    assert not re.search(r"^\s*-\s*(tensorflow|keras|numpy|matplotlib)", text, flags=re.MULTILINE)


def test_readme_gives_the_two_commands_and_ci_runs_one_of_them():
    readme = (REPO_ROOT / "README.md").read_text()
    assert "make lab" in readme and "make test" in readme
    ci = (REPO_ROOT / ".ci" / "run").read_text()
    assert "make test" in ci and "test_pythons.py --list" in ci  # a second Python too
    makefile = (REPO_ROOT / "Makefile").read_text()
    assert "--nbval-current-env" in makefile and "notebooks tests" in makefile


def test_sanitize_file_has_every_rule_nbval_will_read():
    from nbval.plugin import get_sanitize_patterns

    text = (REPO_ROOT / "tests" / "nbval_sanitize.cfg").read_text()
    patterns = get_sanitize_patterns(text)
    assert len(patterns) == text.count("regex:") >= 7  # each rule parsed: none lost to a typo
    ansi = dict(patterns)[r"\x1b\[[0-9;]*m"]
    assert ansi == ""
    import re

    rule = r"models/variants/[\w-]+\b"  # make test-variants keeps models apart
    variant_models = dict(patterns)[rule]
    assert re.sub(rule, variant_models, "models/variants/one-thread/a.keras") == "models/a.keras"
    assert re.sub(rule, variant_models, "dir  models/variants/onednn-off\n") == "dir  models\n"  # 00's paths


def test_generated_files_are_ignored_by_git():
    """Asked of git itself: paths that set-up, training and tests write, none of them committed by mistake."""
    if not (REPO_ROOT / ".git").exists():
        pytest.skip("not a git checkout: nothing to ask git")
    generated = [
        ".venv/bin/python",
        ".venvs/py3.13/bin/python",
        "models/mnist_cnn_model.keras",
        "notebooks/experiment.keras",
        "models/old.h5",
        "helpers/__pycache__/data.cpython-311.pyc",
        "datasets/mnist/train/0/0.png",
        "wheelhouse/numpy.whl",
    ]
    result = subprocess.run(
        ["git", "check-ignore", "--no-index", "--verbose", "--non-matching", *generated],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    not_ignored = [line.split("\t")[-1] for line in result.stdout.splitlines() if line.startswith("::")]
    assert result.returncode in (0, 1) and len(result.stdout.splitlines()) == len(generated), result.stderr
    assert not not_ignored, f"git would commit these generated files: {not_ignored}"


@pytest.mark.maintainer
def test_test_pythons_reads_the_makefile_range_and_finds_this_interpreter():
    script = load_script("test_pythons")
    oldest, newest = script.supported_range()
    assert script.versions_in(oldest, newest) == supported_versions()
    this = f"{sys.version_info.major}.{sys.version_info.minor}"
    full, executable = script.find_interpreters([this])[this]
    assert full.startswith(this + ".") and subprocess.run([executable, "-c", "pass"]).returncode == 0


@pytest.mark.maintainer
def test_test_pythons_takes_pyenv_cpython_builds_newest_first(tmp_path, monkeypatch):
    script = load_script("test_pythons")
    for name in ("3.12.1", "3.12.10", "3.12.2t", "3.12-dev", "3.13.0"):
        (tmp_path / "versions" / name / "bin").mkdir(parents=True)
        (tmp_path / "versions" / name / "bin" / "python3").write_text("")
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path / "nohome"))
    found = [Path(command[0]).parent.parent.name for command in script.pyenv_candidates("3.12")]
    assert found == ["3.12.10", "3.12.1"]


@pytest.mark.maintainer
def test_test_pythons_refuses_an_unsupported_version_in_one_line(capsys):
    script = load_script("test_pythons")
    assert script.main(["--pythons", "3.9"]) == 2
    assert script.main(["--pythons", str(REPO_ROOT / "no-such-python")]) == 2
    errors = capsys.readouterr().err.splitlines()
    assert len(errors) == 2 and all(line.startswith("error: ") for line in errors)
    assert "3.9 is not supported" in errors[0] and "Traceback" not in "".join(errors)


@pytest.mark.maintainer
def test_test_pythons_table_fails_a_python_with_a_failed_or_missing_step():
    script = load_script("test_pythons")
    found = {"3.12": ("3.12.1", "/py312"), "3.13": ("3.13.0", "/py313")}
    rows = [
        {
            "version": "3.12",
            "install": (True, "", 61.0),
            "unit": (True, "300 passed", 120.0),
            "notebooks": (True, "150 passed", 400.0),
        },
        {"version": "3.13", "install": (True, "", 60.0), "unit": (False, "1 failed, 299 passed", 119.0)},
    ]
    lines = script.table(rows, found, unit_only=False).splitlines()
    assert lines[2].endswith("| 9:41 | pass |") and "300 passed (2:00)" in lines[2]
    assert "1 failed, 299 passed (1:59)" in lines[3] and "not run" in lines[3] and lines[3].endswith("| FAIL |")
    assert script.row_passed(rows[1], unit_only=True) is False
    assert script.row_passed(rows[0], unit_only=True) is True
