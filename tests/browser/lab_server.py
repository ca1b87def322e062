"""Start JupyterLab on loopback for the browser tests, on a copy of the notebooks, and stop it again.

The server gets a random free port, a random token and its own settings, workspace, config and runtime
folders, so nothing of the user's Jupyter set-up (or of the repository) is read or written.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

#: JupyterLab settings for a quiet, deterministic test run: every cell in the page (no windowing), no news
#: or update pop-ups over the widgets, and no autosave (the test saves when it wants to).
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
}


@dataclass
class Lab:
    """A running JupyterLab: its process, base URL (with the token) and the folder it serves."""

    process: subprocess.Popen
    work: Path
    url: str
    token: str
    root: Path
    log: Path

    def open_url(self, path: str = "", workspace: str = "") -> str:
        """The address that opens ``path`` (e.g. ``"08_x.ipynb"``) in JupyterLab, with the token; in its own
        ``workspace`` (the set of open tabs) if one is named."""
        where = f"lab/workspaces/{workspace}/tree/" if workspace else "lab/tree/"
        return f"{self.url}{where}{path}?token={self.token}"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def copy_notebooks(target: Path) -> Path:
    """Copy ``notebooks/*.ipynb`` (only the notebooks) into ``target``; the tests never touch the originals."""
    target.mkdir(parents=True, exist_ok=True)
    for notebook in sorted((REPO / "notebooks").glob("*.ipynb")):
        shutil.copy(notebook, target / notebook.name)
    return target


def jupyter_env(work: Path) -> dict[str, str]:
    """The environment of the server and of ``jupyter trust``: Jupyter's own folders inside ``work``, and
    ``helpers`` imported from this checkout."""
    return {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(work / "config"),
        "JUPYTER_DATA_DIR": str(work / "data"),
        "JUPYTER_RUNTIME_DIR": str(work / "runtime"),
        "PYTHONHASHSEED": "0",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }


def trust(work: Path, notebooks: list[Path]) -> None:
    """``jupyter trust`` the notebooks for the server started on ``work``, as ``make lab`` does for the course's."""
    subprocess.run(
        [sys.executable, "-m", "jupyter", "trust", *map(str, notebooks)],
        env=jupyter_env(work),
        check=True,
        capture_output=True,
    )


def start_lab(work: Path, timeout: float = 120.0) -> Lab:
    """Start ``jupyter lab`` serving a copy of the notebooks in ``work/notebooks``; wait until it answers."""
    root = copy_notebooks(work / "notebooks")
    settings = work / "lab-settings"
    for plugin, values in LAB_SETTINGS.items():
        package, name = plugin.rsplit("/", 1)
        (settings / package).mkdir(parents=True, exist_ok=True)
        (settings / package / f"{name}.jupyterlab-settings").write_text(json.dumps(values))
    port, token = free_port(), secrets.token_hex(16)
    env = jupyter_env(work)
    log = work / "jupyterlab.log"
    command = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        f"--LabApp.user_settings_dir={settings}",
        f"--LabApp.workspaces_dir={work / 'workspaces'}",
        "--ServerApp.allow_root=True",
    ]
    process = subprocess.Popen(command, cwd=root, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    lab = Lab(process, work, f"http://127.0.0.1:{port}/", token, root, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"jupyter lab exited with status {process.returncode}; see {log}")
        try:
            with urllib.request.urlopen(f"{lab.url}api/status?token={token}", timeout=5):
                return lab
        except OSError:
            time.sleep(0.5)
    stop_lab(lab)
    raise RuntimeError(f"jupyter lab did not answer within {timeout:.0f} s; see {log}")


def stop_lab(lab: Lab) -> None:
    """Stop the server (and so its kernels)."""
    if lab.process.poll() is None:
        lab.process.terminate()
        try:
            lab.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            lab.process.kill()
            lab.process.wait()
