"""helpers.bootstrap: a notebook alone (Colab) installs what the platform lacks, and replaces a Keras too old
to trust (before 3.11.3 safe mode let an .h5 file run its own code); no real pip install here."""

import shutil
import subprocess
import sys

import pytest

from helpers import bootstrap
from helpers.paths import REPO_ROOT


@pytest.mark.parametrize(
    "installed, old",
    [
        ("3.8.0", True),
        ("3.11.2", True),
        ("3.11.3rc1", True),
        ("3.11.3", False),
        ("3.15.1", False),
        ("4.0", False),
        (None, False),
    ],
)
def test_keras_older_than_3_11_3_is_too_old(installed, old):
    assert bootstrap.too_old("keras", installed) is old


def fake_platform(monkeypatch, tmp_path, versions: dict[str, str | None]):
    """A platform whose every module is importable and whose packages have ``versions``; pip only records."""
    course = tmp_path / "course"
    (course / "notebooks").mkdir(parents=True)
    shutil.copy(REPO_ROOT / "requirements.txt", course / "requirements.txt")
    monkeypatch.setattr(bootstrap.site, "getsitepackages", lambda: [str(tmp_path / "site-packages")])
    monkeypatch.setattr(bootstrap, "installed_version", lambda package: versions.get(package, "99"))
    commands = []
    monkeypatch.setattr(
        bootstrap.subprocess, "run", lambda command: commands.append(command) or subprocess.CompletedProcess(command, 0)
    )
    monkeypatch.chdir(tmp_path)
    return course, commands


def test_an_old_platform_keras_is_replaced_by_the_courses_pin(tmp_path, monkeypatch, capsys):
    course, commands = fake_platform(monkeypatch, tmp_path, {"keras": "3.10.0"})
    assert bootstrap.finish_setup(course) == ["keras"]
    pin = bootstrap.pinned(REPO_ROOT / "requirements.txt", ["keras"])
    assert commands == [[sys.executable, "-m", "pip", "install", "--quiet", *pin]]
    assert bootstrap.too_old("keras", pin[0].split("==")[1]) is False  # the pin itself is patched
    out = capsys.readouterr().out
    assert "installed: keras" in out and "restart the session" in out  # this kernel imported keras already


def test_a_patched_platform_keras_is_kept(tmp_path, monkeypatch, capsys):
    course, commands = fake_platform(monkeypatch, tmp_path, {"keras": "3.11.3"})
    assert bootstrap.finish_setup(course) == []
    assert commands == []
    assert "installed: nothing" in capsys.readouterr().out
