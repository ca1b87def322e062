"""Keep the top of every notebook right: the navigation line and the cell that gets the course in Colab.

Each notebook's first cell starts with ``[< Previous: NN · Title](...) | [Course map](...) | [Next: ...](...) |
[Open in Colab]``, built from the ``# NN · Title`` heading of its neighbours and the repository URL configured
once, in ``pyproject.toml`` (``[project.urls] Repository``). Its first code cell is ``BOOTSTRAP``: when ``helpers``
can't be imported (Colab, a JupyterHub, a notebook downloaded alone) it clones that URL (or ``$COURSE_REPO_URL``)
and calls ``helpers.bootstrap.finish_setup``. Run after adding or renaming a notebook, or changing the URL:

    python scripts/notebook_nav.py          # rewrite what is out of date
    python scripts/notebook_nav.py --check  # exit 1 if anything is out of date (tests/test_notebooks.py runs this)
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
MAP = "00_welcome_and_setup.ipynb"
PYPROJECT = NOTEBOOKS.parent / "pyproject.toml"
BRANCH = "main"  # the branch Colab opens
BOOTSTRAP = """\
# Opened on its own (Colab, a JupyterHub, a downloaded notebook)? This cell gets the course and installs what is
# missing, keeping the platform's TensorFlow. In a clone of the course it does nothing.
import importlib.util
import os
import subprocess
import sys

if importlib.util.find_spec("helpers") is None:
    COURSE = ".." if os.path.isdir("../helpers") else "mnist-cnn-course"
    if not os.path.isdir(COURSE):
        url = os.environ.get("COURSE_REPO_URL", "{url}")
        if subprocess.run(["git", "clone", "--quiet", "--depth=1", url, COURSE]).returncode != 0:
            raise SystemExit(f"Could not download the course from {{url}}: check the internet connection.")
    sys.path.insert(0, os.path.abspath(COURSE))
    from helpers.bootstrap import finish_setup

    finish_setup(COURSE)"""
BOOTSTRAP_MARK = BOOTSTRAP.split("\n", 1)[0]


def repository_url() -> str:
    """``[project.urls] Repository`` of pyproject.toml: the one place the course's address is configured."""
    match = re.search(
        r"^\[project\.urls\]\s*\n(?:.*\n)*?Repository\s*=\s*\"([^\"]+)\"", PYPROJECT.read_text(), flags=re.MULTILINE
    )
    if not match:
        raise SystemExit(f'error: {PYPROJECT.name} has no [project.urls] Repository = "https://github.com/..."')
    return match.group(1).rstrip("/")


def colab_badge(url: str, name: str) -> str:
    """A Markdown "Open in Colab" badge for notebook ``name`` of the GitHub repository ``url``."""
    match = re.fullmatch(r"https://github\.com/([\w.-]+)/([\w.-]+?)(\.git)?", url)
    if not match:
        raise SystemExit(f"error: Colab opens notebooks from GitHub; {url} is not https://github.com/OWNER/REPO")
    target = (
        f"https://colab.research.google.com/github/{match.group(1)}/{match.group(2)}/blob/{BRANCH}/notebooks/{name}"
    )
    return f"[![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)]({target})"


def bootstrap_cell(url: str) -> str:
    return BOOTSTRAP.format(url=url)


def notebook_paths() -> list[Path]:
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def title_of(path: Path) -> str:
    """``# 03 · Building the CNN`` -> ``03 · Building the CNN``."""
    source = "".join(json.loads(path.read_text())["cells"][0]["source"])
    match = re.search(r"^# (\d\d · .+)$", source, flags=re.MULTILINE)
    if not match:
        raise SystemExit(f"error: {path.name} has no '# NN · Title' heading in its first cell")
    return match.group(1).strip()


def expected_lines() -> dict[Path, str]:
    url = repository_url()
    paths = notebook_paths()
    titles = [title_of(p) for p in paths]
    lines = {}
    for i, path in enumerate(paths):
        parts = []
        if i > 0:
            parts.append(f"[< Previous: {titles[i - 1]}]({paths[i - 1].name})")
        parts.append(f"[Course map]({MAP})")
        if i + 1 < len(paths):
            parts.append(f"[Next: {titles[i + 1]} >]({paths[i + 1].name})")
        parts.append(colab_badge(url, path.name))
        lines[path] = " | ".join(parts)
    return lines


def first_code_cell(notebook: dict) -> dict:
    return next(cell for cell in notebook["cells"] if cell["cell_type"] == "code")


def outdated() -> list[Path]:
    stale = []
    bootstrap = bootstrap_cell(repository_url())
    for path, line in expected_lines().items():
        notebook = json.loads(path.read_text())
        first_line = ("".join(notebook["cells"][0]["source"])).split("\n", 1)[0]
        if first_line != line or "".join(first_code_cell(notebook)["source"]) != bootstrap:
            stale.append(path)
    return stale


def put_bootstrap(notebook: dict, bootstrap: str) -> bool:
    """Make the first code cell ``bootstrap``. A new cell goes first, with the execution count 1 and no output
    (what a fresh run in a clone gives), and the later cells' counts move up by one. True if anything changed."""
    source = bootstrap.splitlines(keepends=True)
    first = first_code_cell(notebook)
    if "".join(first["source"]).startswith(BOOTSTRAP_MARK):
        changed = first["source"] != source
        first["source"] = source
        return changed
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code" and cell["execution_count"] is not None:
            cell["execution_count"] += 1
            for output in cell["outputs"]:
                if output.get("execution_count") is not None:
                    output["execution_count"] += 1
    index = notebook["cells"].index(first)
    notebook["cells"].insert(
        index,
        {
            "cell_type": "code",
            "execution_count": 1,
            "id": "course-bootstrap",
            "metadata": {},
            "outputs": [],
            "source": source,
        },
    )
    return True


def rewrite() -> list[Path]:
    changed = []
    bootstrap = bootstrap_cell(repository_url())
    for path, line in expected_lines().items():
        notebook = json.loads(path.read_text())
        edited = put_bootstrap(notebook, bootstrap)
        source = "".join(notebook["cells"][0]["source"])
        first, _, rest = source.partition("\n")
        if first != line:
            if not first.startswith("[") or "Course map" not in first:
                rest = source  # no navigation line yet: insert one
            new = f"{line}\n{rest}" if rest.startswith("\n") else f"{line}\n\n{rest}"
            notebook["cells"][0]["source"] = new.splitlines(keepends=True)
            edited = True
        if edited:
            path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n")
            changed.append(path)
    return changed


def main(argv: list[str]) -> int:
    if "--check" in argv:
        stale = outdated()
        for path in stale:
            print(f"out of date: {path.name} (run python scripts/notebook_nav.py)")
        return 1 if stale else 0
    for path in rewrite():
        print(f"updated {path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
