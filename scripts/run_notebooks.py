"""Execute notebooks top to bottom in a fresh kernel and save them with their outputs (for committing).

    python scripts/run_notebooks.py                       # every notebooks/NN_*.ipynb, in order
    python scripts/run_notebooks.py notebooks/03_*.ipynb  # some of them

Each notebook runs in its own new kernel with the current interpreter, from the ``notebooks/`` folder,
exactly as ``pytest --nbval --nbval-current-env`` will run it.  The script refuses to save a notebook whose
outputs contain a stderr stream or an absolute path of this machine (both would break or leak in CI), or a
widget whose state is not saved in the notebook's metadata (viewers that render saved widget state, such as
JupyterLab for a trusted notebook, would show an error instead of the widget), or a figure without alt text.
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"
ABSOLUTE_PATH = re.compile(r"(?<![\w.])/(tmp|work|root|home|Users|var|opt)/[\w.-]+")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def problems(notebook: nbformat.NotebookNode) -> list[str]:
    found = []
    saved_widgets = notebook.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            model_id = output.get("data", {}).get(WIDGET_VIEW, {}).get("model_id")
            if model_id is not None and model_id not in saved_widgets:
                found.append(f"cell {index}: widget {model_id} has no saved state in the notebook's metadata")
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                found.append(f"cell {index}: stderr output: {output.get('text', '')[:200]!r}")
            for mime in output.get("data", {}):
                if mime.startswith("image/") and not output.get("metadata", {}).get(mime, {}).get("alt"):
                    found.append(f"cell {index}: a figure without alt text (helpers.plots.describe)")
            if output.get("output_type") == "error":
                found.append(f"cell {index}: error {output.get('ename')}: {output.get('evalue')}")
            text = str(output.get("text", "")) + str(output.get("data", {}).get("text/plain", ""))
            match = ABSOLUTE_PATH.search(text)
            if match:
                found.append(f"cell {index}: absolute path in output: {match.group(0)}")
    return found


def run(path: Path) -> bool:
    notebook = nbformat.read(path, as_version=4)
    env_hash = os.environ.get("PYTHONHASHSEED")
    os.environ["PYTHONHASHSEED"] = "0"  # as `make test` runs them
    started = time.perf_counter()
    client = NotebookClient(
        notebook,
        timeout=1800,
        kernel_name="python3",
        allow_errors=True,
        record_timing=False,
        store_widget_state=True,  # the widgets' state goes into the notebook's metadata
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute()
    if env_hash is None:
        os.environ.pop("PYTHONHASHSEED")
    found = problems(notebook)
    seconds = time.perf_counter() - started
    if found:
        print(f"NOT SAVED {path.name} ({seconds:.0f} s):", *found, sep="\n  ")
        return False
    notebook.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    nbformat.write(notebook, path)
    print(f"saved {path.name} ({seconds:.0f} s)")
    return True


def main(argv: list[str]) -> int:
    paths = [Path(p) for p in argv] or sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    results = [run(path.resolve()) for path in paths]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
