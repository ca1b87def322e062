"""What the tests share: running the course's commands, loading a script, writing test files (digit images,
PNG bytes, IDX files), the pins of ``requirements.txt`` read on their own, and hashes of pixel content.

One module with a name of its own (``from support import ...``): ``tests/browser/`` has a ``conftest.py`` too,
so ``from conftest import ...`` could pick up the wrong one.  Nothing here uses the code under test to compute an
expectation: the pins are parsed here, not by ``helpers.bootstrap``; pixels are decoded by Pillow alone.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import io
import os
import re
import struct
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from PIL import Image

from helpers.paths import DATA_DIR, REPO_ROOT

# --- running the course's commands ----------------------------------------------------------------------


def run_module(
    module: str, *args: str | Path, cwd: Path = REPO_ROOT, timeout: float = 600, **env_vars: str
) -> subprocess.CompletedProcess:
    """``python -m MODULE ARGS`` as a user runs it, with this interpreter: text output captured."""
    env = {**os.environ, "PYTHONHASHSEED": "0", **env_vars}
    return subprocess.run(
        [sys.executable, "-m", module, *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=timeout,
    )


def run_cli(*args: str | Path, cwd: Path = REPO_ROOT, **env_vars: str) -> subprocess.CompletedProcess:
    """``python -m helpers ARGS``."""
    return run_module("helpers", *args, cwd=cwd, **env_vars)


def run_bench(*args: str | Path, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess:
    """``python -m benchmarks ARGS``."""
    return run_module("benchmarks", *args, cwd=cwd, timeout=900)


def assert_user_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    """The contract for a user's mistake: exit status 2, one line ``error: ...`` holding each fragment, no
    traceback."""
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.fixture(scope="module", autouse=True)
def data_dir_is_never_written():
    """Imported by a test module, it checks that nothing in that module wrote into ``data/``."""

    def snapshot():
        return sorted((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in DATA_DIR.rglob("*"))

    before = snapshot()
    yield
    assert snapshot() == before, "a test of this module wrote into data/"


def load_script(name: str) -> ModuleType:
    """``scripts/NAME.py`` as a module (the scripts are no package)."""
    spec = importlib.util.spec_from_file_location(name, REPO_ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- test files -----------------------------------------------------------------------------------------


def write_digit_image(path: Path, value: int = 200, size: int = 28, mode: str = "L") -> Path:
    """A simple synthetic 'digit': a bright bar whose position depends on ``value``."""
    array = np.zeros((size, size), dtype=np.uint8)
    array[size // 4 : 3 * size // 4, (value % size) // 2 + 2 : (value % size) // 2 + 6] = 255
    image = Image.fromarray(array, mode="L")
    if mode != "L":
        image = image.convert(mode)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path


def png_bytes(array: np.ndarray, mode: str | None = None) -> bytes:
    """``array`` encoded as a PNG file's bytes."""
    buffer = io.BytesIO()
    Image.fromarray(array, mode=mode).save(buffer, format="PNG")
    return buffer.getvalue()


def write_idx(path: Path, array: np.ndarray, compress: bool = True) -> Path:
    """An MNIST IDX file of unsigned bytes (gzip-compressed by default), written from the format's definition."""
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    data = header + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def pixel_digest(path: Path) -> str:
    """sha256 of an image's decoded pixels, its mode and size: equal for the same picture under any file name
    or PNG encoding."""
    with Image.open(path) as image:
        return hashlib.sha256(f"{image.mode} {image.size}".encode() + image.tobytes()).hexdigest()


# --- requirements.txt, read on its own ------------------------------------------------------------------

PIN = re.compile(r'([A-Za-z0-9_.-]+)==([0-9][\w.]*)\s*(?:;\s*python_version\s*(<|>=)\s*"(\d+\.\d+)")?')


def requirement_pins(requirements: Path = REPO_ROOT / "requirements.txt") -> dict[str, list[str]]:
    """``{package (lower case): every version pinned for it}``; each line must be an exact pin, with at most a
    ``python_version <`` or ``>=`` marker (the only kind the course uses)."""
    pins: dict[str, list[str]] = {}
    for line in requirements.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            match = PIN.fullmatch(line)
            assert match, f"not an exact pin with at most a python_version marker: {line!r}"
            pins.setdefault(match.group(1).lower(), []).append(match.group(2))
    return pins


def pins_for(python: str, requirements: Path = REPO_ROOT / "requirements.txt") -> dict[str, str]:
    """``{package: version}`` that ``requirements`` pins for Python ``python`` ('3.10'), markers compared as
    version tuples here; a package pinned twice for one Python fails."""
    version = tuple(int(part) for part in python.split("."))
    chosen: dict[str, str] = {}
    for line in requirements.read_text().splitlines():
        line = line.split("#")[0].strip()
        if not line:
            continue
        match = PIN.fullmatch(line)
        assert match, f"not an exact pin with at most a python_version marker: {line!r}"
        name, pin, operator, bound = match.groups()
        if operator:
            limit = tuple(int(part) for part in bound.split("."))
            if (version < limit) != (operator == "<"):
                continue
        assert name.lower() not in chosen, f"Python {python}: {name} pinned twice"
        chosen[name.lower()] = pin
    return chosen
