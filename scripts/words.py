"""How many words of Markdown each notebook asks a student to read, against the course's word budget (issue 23).

    python scripts/words.py    # a table per notebook and the total; exit 1 if a limit is exceeded

A word is a whitespace-separated token with a letter or digit in it, counted over the Markdown cells only (code
and outputs excluded). The teacher's edition is every Markdown cell (what the limits apply to); the student edition
leaves out the cells tagged ``solution`` or ``teacher``, as ``scripts/editions.py`` does.
tests/test_notebooks.py counts with the same function, ``markdown_words``.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
COURSE_LIMIT = 15_000  # words of Markdown in the whole course, teacher's edition
NOTEBOOK_LIMIT = 2_200  # words of Markdown in one notebook, teacher's edition
HIDDEN_TAGS = {"solution", "teacher"}  # cells the student edition leaves out


def markdown_words(cells: Iterable[dict], hidden_tags: Iterable[str] = ()) -> int:
    """Words in the Markdown cells of a notebook's ``cells``, skipping cells tagged with any of ``hidden_tags``.

    >>> markdown_words([{"cell_type": "markdown", "source": ["## Summary\\n", "- 98 % right ->"]}])
    3
    """
    hidden = set(hidden_tags)
    return sum(
        len([token for token in "".join(cell["source"]).split() if re.search(r"\w", token)])
        for cell in cells
        if cell["cell_type"] == "markdown" and not hidden & set(cell.get("metadata", {}).get("tags", []))
    )


def notebook_cells(path: Path) -> list[dict]:
    """The cells of the notebook at ``path``."""
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def main() -> int:
    rows = [
        (path.stem, markdown_words(cells), markdown_words(cells, HIDDEN_TAGS))
        for path in sorted(NOTEBOOKS.glob("*.ipynb"))
        for cells in [notebook_cells(path)]
    ]
    width = max(len(name) for name, _, _ in rows)
    print(f"{'notebook':<{width}}  {'teacher':>7}  {'student':>7}")
    for name, teacher, student in rows:
        flag = f"  over {NOTEBOOK_LIMIT:,}" if teacher > NOTEBOOK_LIMIT else ""
        print(f"{name:<{width}}  {teacher:>7,}  {student:>7,}{flag}")
    total, student_total = sum(row[1] for row in rows), sum(row[2] for row in rows)
    print(f"{'total':<{width}}  {total:>7,}  {student_total:>7,}")
    print(f"limits: {COURSE_LIMIT:,} words in the course, {NOTEBOOK_LIMIT:,} per notebook (teacher's edition)")
    over = [name for name, teacher, _ in rows if teacher > NOTEBOOK_LIMIT]
    if over or total > COURSE_LIMIT:
        problems = [f"{name} is over {NOTEBOOK_LIMIT:,} words" for name in over]
        if total > COURSE_LIMIT:
            problems.append(f"the course has {total:,} words, over {COURSE_LIMIT:,}")
        print("over the word budget: " + "; ".join(problems))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
