"""The set-up: one source of pinned versions, the two README commands, CI, the nbval sanitize file."""

import re

from helpers.paths import REPO_ROOT

REQUIRED = ["tensorflow", "keras", "numpy", "matplotlib", "seaborn", "scikit-learn", "jupyterlab", "ipywidgets",
            "nbval", "pytest", "pillow", "anywidget"]


def requirement_pins() -> dict[str, list[str]]:
    pins: dict[str, list[str]] = {}
    for line in (REPO_ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            match = re.fullmatch(r"([A-Za-z0-9_.-]+)==([0-9][\w.]*)(\s*;.*)?", line)
            assert match, f"not an exact pin: {line!r}"
            pins.setdefault(match.group(1).lower(), []).append(match.group(2))
    return pins


def test_every_course_package_is_pinned_exactly():
    pins = requirement_pins()
    for package in REQUIRED:
        assert package in pins, package
    assert pins["tensorflow"] == ["2.21.0"] and pins["keras"][0].startswith("3.")
    assert pins["jupyterlab"][0].startswith("4.") and pins["ipywidgets"][0].startswith("8.")


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
    assert "make test" in ci
    makefile = (REPO_ROOT / "Makefile").read_text()
    assert "--nbval-current-env" in makefile and "tests notebooks" in makefile


def test_sanitize_file_has_every_rule_nbval_will_read():
    from nbval.plugin import get_sanitize_patterns

    text = (REPO_ROOT / "tests" / "nbval_sanitize.cfg").read_text()
    patterns = get_sanitize_patterns(text)
    assert len(patterns) == text.count("regex:") == 7
    ansi = dict(patterns)[r"\x1b\[[0-9;]*m"]
    assert ansi == ""
    import re

    variant_models = dict(patterns)[r"models/variants/[\w-]+/"]  # make test-variants keeps models apart
    assert re.sub(r"models/variants/[\w-]+/", variant_models, "models/variants/one-thread/a.keras") == "models/a.keras"


def test_generated_files_are_ignored_by_git():
    ignored = (REPO_ROOT / ".gitignore").read_text().split()
    for entry in (".venv/", "models/", "*.keras", "*.h5", "__pycache__/"):
        assert entry in ignored
