"""The course opened anywhere (issue 15): a notebook alone as in Colab, Binder / JupyterHub (repo2docker), Windows
without make, an offline classroom (a wheelhouse)."""

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from support import load_script, pins_for

from helpers import bootstrap
from helpers.paths import REPO_ROOT

NOTEBOOK = "00_welcome_and_setup.ipynb"


def platform_env(tmp_path: Path) -> dict[str, str]:
    """This process's environment as a fresh platform's would be: nothing that points Python at other code or
    settings (PYTHONPATH, PYTHONSTARTUP, PYTHONHOME, a venv, the course's own variables, PIP_* options) and
    Jupyter's and IPython's per-user folders (kernels, config, startup scripts) in ``tmp_path``, not this
    machine's ``~/.jupyter``, ``~/.local/share/jupyter`` or ``~/.ipython``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTHON", "COURSE_", "JUPYTER", "IPYTHON", "PIP_", "CONDA")) and k != "VIRTUAL_ENV"
    }
    env.update(
        PYTHONHASHSEED="0",
        PYTHONNOUSERSITE="1",
        IPYTHONDIR=str(tmp_path / "ipython"),
        JUPYTER_CONFIG_DIR=str(tmp_path / "jupyter-config"),
        JUPYTER_DATA_DIR=str(tmp_path / "jupyter-data"),
    )
    return env


def bare_kernel(tmp_path: Path, env: dict[str, str]) -> dict[str, str]:
    """A Jupyter kernel that has the course's packages (TensorFlow, ipykernel, ...) but not ``helpers``, as in
    Colab: a venv whose only link to ours is a path file naming our site-packages (path files *inside* that folder,
    such as the editable install of ``helpers``, are not run), checked in the environment ``env`` the kernel will
    run in. Returns the variables that select it."""
    venv = tmp_path / "bare"
    subprocess.run([sys._base_executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(purelib, "course_packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    spec = tmp_path / "jupyter" / "kernels" / "bare"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "bare",
                "language": "python",
            }
        )
    )
    check = subprocess.run(
        [str(python), "-c", "import importlib.util as u; print(u.find_spec('helpers'))"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    assert check.stdout.strip() == "None", f"the bare kernel must not see helpers: {check.stdout}{check.stderr}"
    return {"JUPYTER_PATH": str(tmp_path / "jupyter"), "BARE_SITE": purelib}


def texts(cell: dict) -> list[str]:
    """What a cell showed as text: each stream (stdout, stderr) as one piece where it first appeared, as strict
    nbval compares them, and each result's text/plain.  How a stream arrived in pieces is no output: the kernel
    sends what a print wrote so far whenever its output thread wakes, so one line may come as two messages
    ("...", "\n"); how often depends on the machine's load and on the Python (measured on 2 busy cores: 5-14% of
    prints)."""
    found, streams = [], {}
    for output in cell.get("outputs", []):
        if output["output_type"] == "stream":
            if output["name"] not in streams:
                streams[output["name"]] = len(found)
                found.append("")
            found[streams[output["name"]]] += "".join(output["text"])
        elif "data" in output and "text/plain" in output["data"]:
            found.append("".join(output["data"]["text/plain"]))
    return found


def test_texts_join_a_stream_that_arrived_in_pieces():
    one = {"outputs": [{"output_type": "stream", "name": "stdout", "text": ["Right: it.\n"]}]}
    pieces = {
        "outputs": [
            {"output_type": "stream", "name": "stdout", "text": ["Right: it."]},
            {"output_type": "stream", "name": "stdout", "text": "\n"},
        ]
    }
    assert texts(pieces) == texts(one) == ["Right: it.\n"]
    other = {"outputs": [{"output_type": "stream", "name": "stdout", "text": ["Right: that.\n"]}]}
    warned = {"outputs": [*one["outputs"], {"output_type": "stream", "name": "stderr", "text": "Warning: x\n"}]}
    assert texts(other) != texts(one) and texts(warned) != texts(one)


@pytest.mark.slow
@pytest.mark.parametrize("where", ["alone", "nbgitpuller"])
@pytest.mark.maintainer
def test_a_notebook_alone_in_an_empty_folder_gets_the_course_and_runs(tmp_path, where):
    """alone: Colab, or a notebook downloaded by itself; nbgitpuller: a hub puts a clone in the student's home,
    and nothing installs ``helpers``."""
    if not (REPO_ROOT / ".git").exists():
        pytest.skip("needs the course as a git repository to clone from (COURSE_REPO_URL=file://...)")
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO_ROOT, capture_output=True, text=True
    ).stdout
    env = platform_env(tmp_path)
    env.update(bare_kernel(tmp_path, env))
    env["COURSE_REPO_URL"] = REPO_ROOT.as_uri()  # what Colab gets from GitHub, from a local clone
    if where == "alone":
        lone = tmp_path / "lone"
        lone.mkdir()
        shutil.copy(REPO_ROOT / "notebooks" / NOTEBOOK, lone / NOTEBOOK)
        course = lone / "mnist-cnn-course"
    else:
        course = tmp_path / "pulled"
        subprocess.run(["git", "clone", "--quiet", env["COURSE_REPO_URL"], str(course)], check=True)
        lone = course / "notebooks"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "jupyter",
            "nbconvert",
            "--to",
            "notebook",
            "--execute",
            "--ExecutePreprocessor.kernel_name=bare",
            "--ExecutePreprocessor.timeout=900",
            "--output",
            "executed.ipynb",
            NOTEBOOK,
        ],
        cwd=lone,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert run.returncode == 0, f"the lone notebook stopped:\n{run.stderr[-3000:]}"
    assert (course / "helpers" / "bootstrap.py").is_file(), "the first cell should have cloned the course"
    pth = Path(env["BARE_SITE"], "mnist_cnn_course.pth")
    assert pth.read_text().strip() == str(course.resolve()), "helpers should be installed (a path file)"
    executed = json.loads((lone / "executed.ipynb").read_text())["cells"]
    committed = json.loads((REPO_ROOT / "notebooks" / NOTEBOOK).read_text())["cells"]
    code = [(c, e) for c, e in zip(committed, executed) if c["cell_type"] == "code"]
    assert "installed: nothing" in "".join(texts(code[0][1])), texts(code[0][1])
    for original, again in code[1:]:
        source = "".join(original["source"])
        assert not any(o["output_type"] == "error" for o in again["outputs"]), source[:80]
        if "NBVAL_IGNORE_OUTPUT" not in source:
            assert texts(again) == texts(original), f"the cell printed something else alone:\n{source[:200]}"
    after = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO_ROOT, capture_output=True, text=True
    ).stdout
    assert after == dirty, "running a notebook alone changed files of the course it was cloned from"


def test_the_first_cell_does_nothing_in_a_clone_and_names_the_configured_repository():
    nav = load_script("notebook_nav")
    assert nav.outdated() == [], "run: python scripts/notebook_nav.py"
    url = nav.repository_url()
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", url), url
    for path in nav.notebook_paths():
        notebook = json.loads(path.read_text())
        cell = nav.first_code_cell(notebook)
        assert cell["outputs"] == [], f"{path.name}: the first cell printed something in a clone"
        assert f'"COURSE_REPO_URL", "{url}"' in "".join(cell["source"])
        assert (
            f"colab.research.google.com/github/{url.removeprefix('https://github.com/')}/blob/main/notebooks/"
            f"{path.name}" in "".join(notebook["cells"][0]["source"])
        )


def test_the_readme_badges_open_the_configured_repository():
    repository = load_script("notebook_nav").repository_url().removeprefix("https://github.com/")
    readme = (REPO_ROOT / "README.md").read_text()
    assert f"colab.research.google.com/github/{repository}/blob/main/notebooks/00_welcome_and_setup.ipynb" in readme
    assert f"mybinder.org/v2/gh/{repository}/main?urlpath=lab/tree/notebooks/00_welcome_and_setup.ipynb" in readme


def test_a_repository_url_that_colab_cannot_open_is_refused_in_one_line():
    nav = load_script("notebook_nav")
    with pytest.raises(SystemExit, match="is not https://github.com/OWNER/REPO"):
        nav.colab_badge("https://gitlab.com/a/b", "00_welcome_and_setup.ipynb")


def test_pinned_evaluates_the_markers_for_each_python(tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(
        '# a comment\nkeras==3.15.1; python_version >= "3.11"  # new\n'
        'keras==3.12.4; python_version < "3.11"\n\nanywidget==0.11.0\nnumpy==2.4.6\n'
    )
    assert bootstrap.pinned(requirements, ["keras", "anywidget"], python="3.10") == [
        "keras==3.12.4",
        "anywidget==0.11.0",
    ]
    assert bootstrap.pinned(requirements, ["keras"], python="3.11") == ["keras==3.15.1"]
    assert bootstrap.pinned(requirements, python="3.13") == ["keras==3.15.1", "anywidget==0.11.0", "numpy==2.4.6"]


def test_pinned_reads_the_course_requirements_for_this_python():
    this = "{}.{}".format(*sys.version_info[:2])
    wanted = pins_for(this)  # parsed on its own in tests/support.py
    assert bootstrap.pinned(REPO_ROOT / "requirements.txt", ["keras", "anywidget"]) == [
        f"keras=={wanted['keras']}",
        f"anywidget=={wanted['anywidget']}",
    ]


def test_finish_setup_installs_only_what_is_missing_and_never_replaces_tensorflow(tmp_path, monkeypatch):
    course = tmp_path / "course"
    (course / "notebooks").mkdir(parents=True)
    shutil.copy(REPO_ROOT / "requirements.txt", course / "requirements.txt")
    site_packages = tmp_path / "site-packages"
    monkeypatch.setattr(bootstrap.site, "getsitepackages", lambda: [str(tmp_path / "read-only" / "x")])
    monkeypatch.setattr(bootstrap.site, "getusersitepackages", lambda: str(site_packages))
    (tmp_path / "read-only").write_text("a file, so no folder can be made under it")
    monkeypatch.setattr(bootstrap, "NEEDED", {**bootstrap.NEEDED, "no_such_module_here": "anywidget"})
    commands = []
    monkeypatch.setattr(
        bootstrap.subprocess, "run", lambda command: commands.append(command) or subprocess.CompletedProcess(command, 0)
    )
    monkeypatch.chdir(tmp_path)
    assert bootstrap.finish_setup(course) == ["anywidget"]
    assert commands == [[sys.executable, "-m", "pip", "install", "--quiet", "anywidget==0.11.0"]]
    assert Path.cwd() == (course / "notebooks").resolve()
    assert (site_packages / "mnist_cnn_course.pth").read_text() == f"{course.resolve()}\n"


def test_a_failed_install_stops_with_one_line(tmp_path, monkeypatch):
    (tmp_path / "notebooks").mkdir()
    shutil.copy(REPO_ROOT / "requirements.txt", tmp_path / "requirements.txt")
    monkeypatch.setattr(bootstrap.site, "getsitepackages", lambda: [str(tmp_path / "site-packages")])
    monkeypatch.setattr(bootstrap, "NEEDED", {"no_such_module_here": "seaborn"})
    monkeypatch.setattr(bootstrap.subprocess, "run", lambda command: subprocess.CompletedProcess(command, 1))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit, match=r"^Could not install seaborn: see pip's message above\.$"):
        bootstrap.finish_setup(tmp_path)


@pytest.mark.maintainer
def test_binder_and_repo2docker_hubs_build_the_pinned_course():
    binder = REPO_ROOT / "binder"
    assert (binder / "requirements.txt").read_text().splitlines()[-1] == "-r ../requirements.txt"
    runtime = (binder / "runtime.txt").read_text().strip()
    conda = re.search(r"python=(3\.\d+)", (REPO_ROOT / "environment.yml").read_text()).group(1)
    assert runtime == f"python-{conda}", "Binder and conda users get the same Python"
    post_build = (binder / "postBuild").read_text()
    assert "pip install --no-cache-dir --no-deps -e ." in post_build and os.access(binder / "postBuild", os.X_OK)
    repo2docker = pytest.importorskip("repo2docker.app", reason="pip install -r requirements-maintainer.txt")
    app = repo2docker.Repo2Docker()
    cwd = os.getcwd()
    os.chdir(REPO_ROOT)  # repo2docker reads the repository it is run in
    try:
        pack = next(cls(base_image=app.base_image) for cls in app.buildpacks if cls(base_image=app.base_image).detect())
        pack.platform = "linux/amd64"
        dockerfile = pack.render()
        version = pack.python_version
    finally:
        os.chdir(cwd)
    assert type(pack).__name__ == "PythonBuildPack" and version == conda
    copy_all = dockerfile.index("COPY --chown=1000:1000 src/ ${REPO_DIR}/")
    install = dockerfile.index('pip install --no-cache-dir -r "binder/requirements.txt"')
    assert copy_all < install, "requirements.txt points to ../requirements.txt: the whole repository is needed first"
    assert dockerfile.index("RUN ./binder/postBuild") > install


@pytest.mark.maintainer
def test_offline_installs_take_the_wheelhouse_and_never_the_network(tmp_path):
    wheelhouse = tmp_path / "wheelhouse"
    wheelhouse.mkdir()
    dry_run = subprocess.run(
        ["make", "-n", "setup", f"VENV={tmp_path / 'venv'}", f"WHEELHOUSE={wheelhouse}"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    ).stdout
    assert "--no-index" not in dry_run, "an empty wheelhouse/ is not used"
    (wheelhouse / "example-1.0-py3-none-any.whl").write_bytes(b"")
    dry_run = subprocess.run(
        ["make", "-n", "setup", f"VENV={tmp_path / 'venv'}", f"WHEELHOUSE={wheelhouse}"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    ).stdout
    installs = [line for line in dry_run.splitlines() if "pip install" in line]
    assert len(installs) == 3 and all(f"--no-index --find-links {wheelhouse}" in line for line in installs), dry_run


@pytest.mark.maintainer
@pytest.mark.parametrize("python", ["3.10", "3.11", "3.12", "3.13"])
def test_the_wheelhouse_pins_each_python_its_own_versions(python):
    wheelhouse = load_script("wheelhouse")
    wanted = [f"{name}=={version}" for name, version in pins_for(python).items()]
    assert wheelhouse.requirements_for(python) == wanted


def test_windows_entry_point_runs_the_makefiles_commands():
    run = subprocess.run(
        [sys.executable, "scripts/course.py", "--dry-run", "test", "-k", "03"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    pytest_line = run.stdout.strip().splitlines()[-1]
    makefile = subprocess.run(
        ["make", "-n", "test", "PYTEST_ARGS=-k 03"], cwd=REPO_ROOT, capture_output=True, text=True
    ).stdout
    wanted = shlex.split(re.search(r"-m pytest (.*)$", makefile, flags=re.MULTILINE).group(1))
    assert shlex.split(pytest_line.split("-m pytest ", 1)[1]) == wanted, (pytest_line, wanted)


def make_value(name: str) -> str:
    """A variable of the Makefile as ``make`` itself evaluates it."""
    run = subprocess.run(
        ["make", "--no-print-directory", f"--eval=print-value: ; @echo '$({name})'", "print-value"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    return run.stdout.strip()


def test_windows_entry_point_reads_the_makefiles_values_as_make_does():
    if shutil.which("make") is None:
        pytest.skip("needs make, to compare with")
    course = load_script("course")
    for name in ("PY_OLDEST", "PY_NEWEST", "NBVAL"):
        assert course.makefile_value(name) == make_value(name), name


def test_windows_entry_point_refuses_an_unsupported_python_in_one_line(tmp_path):
    """course.py run by a Python outside the Makefile's range says so in one line; a copy of the scripts with a
    range that excludes this Python, so any Python can be refused."""
    (tmp_path / "scripts").mkdir()
    for script in ("course.py", "check_python.py"):
        shutil.copy(REPO_ROOT / "scripts" / script, tmp_path / "scripts" / script)
    this = sys.version_info[:2]
    (tmp_path / "Makefile").write_text(f"PY_OLDEST := 3.{this[1] + 1}\nPY_NEWEST := 3.{this[1] + 2}\n")
    run = subprocess.run([sys.executable, "scripts/course.py", "lab"], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 2 and run.stderr.count("\n") == 1 and "Traceback" not in run.stderr, run.stderr
    assert f"Python {this[0]}.{this[1]} is too old" in run.stderr and f"py -3.{this[1] + 2} scripts" in run.stderr
    assert not (tmp_path / ".venv").exists()
    usage = subprocess.run(
        [sys.executable, "scripts/course.py", "nonsense"], cwd=REPO_ROOT, capture_output=True, text=True
    )
    assert usage.returncode == 2 and "course.py lab" in usage.stdout
