"""Keep the navigation line at the top of every notebook right: generated from the notebooks' own titles.

Each notebook's first cell starts with ``[< Previous: NN · Title](...) | [Course map](...) | [Next: ...](...)``,
built from the ``# NN · Title`` heading of its neighbours.  Run after adding or renaming a notebook:

    python scripts/notebook_nav.py          # rewrite the lines that are out of date
    python scripts/notebook_nav.py --check  # exit 1 if any is out of date (tests/test_notebooks.py runs this)
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
MAP = "00_welcome_and_setup.ipynb"


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
        lines[path] = " | ".join(parts)
    return lines


def outdated() -> list[Path]:
    stale = []
    for path, line in expected_lines().items():
        first = json.loads(path.read_text())["cells"][0]["source"]
        first_line = ("".join(first)).split("\n", 1)[0]
        if first_line != line:
            stale.append(path)
    return stale


def rewrite() -> list[Path]:
    changed = []
    for path, line in expected_lines().items():
        notebook = json.loads(path.read_text())
        source = "".join(notebook["cells"][0]["source"])
        first, _, rest = source.partition("\n")
        if first == line:
            continue
        if not first.startswith("[") or "Course map" not in first:
            rest = source  # no navigation line yet: insert one
        new = f"{line}\n{rest}" if rest.startswith("\n") else f"{line}\n\n{rest}"
        notebook["cells"][0]["source"] = new.splitlines(keepends=True)
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
