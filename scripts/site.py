"""The course as a static website, built from the student edition's notebooks with their saved outputs.

    python scripts/site.py                  # build/site/html/ (what `make site` runs, after `make student`)
    python scripts/site.py --source-only    # only write the Sphinx source folder, build/site/src/

Nothing is executed: Sphinx with MyST-NB (``nb_execution_mode = "off"``) renders each notebook as it was saved.
The source folder holds, for each notebook of ``dist/student/notebooks`` (in order, 00 the home page: the course
map), a copy with two additions: the teacher's worked solutions, each folded under its "### Solution k" heading
(a ``<details>`` element, so the reader opens it on purpose), and, in 00, the hidden table of contents that orders
the pages (previous/next links follow it). Two pages come from the READMEs: "Set-up" (the student edition's
README) and "Teaching a class" (the course README's section). "Draw a digit" (``site/draw.md``) runs the
reference model in the browser with TensorFlow.js (``site/package.json``): the model's weights, exported by
``scripts/export_tfjs.py``, and ``tf.min.js`` are copied into the site's ``_static/``.

Links to files of the repository (README, data, helpers) become links to the repository on GitHub; links between
notebooks become links between pages.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import html
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SITE = REPO / "site"  # committed: conf.py, the drawing page, package.json
STUDENT = REPO / "dist" / "student"
TEACHER_NOTEBOOKS = REPO / "notebooks"
OUT = REPO / "build" / "site"
MAP = "00_welcome_and_setup"
TFJS = SITE / "node_modules" / "@tensorflow" / "tfjs" / "dist" / "tf.min.js"
MODEL = REPO / "models" / "mnist_cnn_model.keras"

LINK = re.compile(r"(\]\()([^)\s]+)(\))")
REPOSITORY = re.compile(r'^Repository\s*=\s*"([^"]+)"', flags=re.MULTILINE)


class SiteError(Exception):
    """Something the build needs is missing: one line that says what and how to get it."""


def repository_url() -> str:
    """The course's GitHub URL, from ``pyproject.toml``'s ``[project.urls] Repository``."""
    found = REPOSITORY.search((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    return found.group(1) if found else "https://github.com"


def fix_links(text: str, here: str, notebooks: set[str]) -> str:
    """Rewrite the relative links of a page whose file lives in ``here`` (a folder of the repository, "" for its
    root): links to a notebook become links to its page, links to other files links to GitHub."""
    base = repository_url() + "/blob/main/"

    def swap(match: re.Match) -> str:
        target = match.group(2)
        if re.match(r"^[a-z]+:|^#|^mailto:", target):
            return match.group(0)
        path, _, anchor = target.partition("#")
        name = Path(path).name
        if name.endswith(".ipynb") and Path(name).stem in notebooks:
            name = "index.ipynb" if Path(name).stem == MAP else name  # the home page
            return f"{match.group(1)}{name}{'#' + anchor if anchor else ''}{match.group(3)}"
        resolved = (Path(here) / path).as_posix()
        parts: list[str] = []
        for part in resolved.split("/"):
            if part == "..":
                if parts:
                    parts.pop()
            elif part not in ("", "."):
                parts.append(part)
        return f"{match.group(1)}{base}{'/'.join(parts)}{'#' + anchor if anchor else ''}{match.group(3)}"

    return LINK.sub(swap, text)


def source(cell: dict) -> str:
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else text


_added = iter(range(10**6))


def markdown_cell(text: str) -> dict:
    """A new markdown cell, with an id of its own (nbformat 4.5 wants one)."""
    return {"cell_type": "markdown", "id": f"site-{next(_added)}", "metadata": {}, "source": text}


def folded_solutions(teacher: dict) -> tuple[list[dict], str | None]:
    """The teacher notebook's solution cells, each solution folded after its heading, and the source of the cell
    that followed them (where they go in the student's notebook; None: at the end)."""
    cells = teacher["cells"]
    marked = [i for i, cell in enumerate(cells) if "solution" in cell.get("metadata", {}).get("tags", [])]
    if not marked:
        return [], None
    after = cells[marked[-1] + 1] if marked[-1] + 1 < len(cells) else None
    out: list[dict] = []
    open_fold = False
    for i in marked:
        cell = json.loads(json.dumps(cells[i]))
        cell["metadata"]["tags"] = [t for t in cell["metadata"].get("tags", []) if t != "solution"]
        text = source(cell)
        heading = re.match(r"^(###\s+Solution\b[^\n]*)\n*(.*)$", text, flags=re.DOTALL)
        if cell["cell_type"] == "markdown" and heading:
            if open_fold:
                out.append(markdown_cell("</details>"))
            out.append(markdown_cell(heading.group(1)))
            out.append(markdown_cell('<details class="course-solution">\n<summary>Show the worked solution</summary>'))
            open_fold = True
            if heading.group(2).strip():
                out.append(markdown_cell(heading.group(2)))
            continue
        out.append(cell)
    if open_fold:
        out.append(markdown_cell("</details>"))
    return out, (source(after) if after is not None else None)


WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
BUILT_IN_WIDGETS = {"@jupyter-widgets/base", "@jupyter-widgets/controls", "@jupyter-widgets/output"}
SAVED_WIDGET_NOTE = (
    "*On this page the widget above shows its saved state and does not respond: it needs a running Python kernel. "
    "To use it, run this notebook yourself (see [Set-up](setup.md)).*"
)
KERNEL_ONLY_NOTE = (
    "*The widget here needs a running Python kernel, so this page can't show it: run this notebook yourself (see "
    "[Set-up](setup.md)), or try [Draw a digit](draw.md), where the same model reads your drawing in the browser.*"
)


def _references(model: dict) -> set[str]:
    return set(re.findall(r"IPY_MODEL_([0-9a-f]+)", json.dumps(model.get("state", {}))))


def saved_widgets(notebook: dict) -> None:
    """Keep the widgets the site can show from their saved state (the ipywidgets built-ins, drawn by
    @jupyter-widgets/html-manager); drop the views and models that need a module from the internet (anywidget's
    drawing pad), with the boxes that hold them, and put one sentence after every widget that says it needs a
    kernel and how to run it."""
    state = notebook.get("metadata", {}).get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    foreign = {key for key, model in state.items() if model.get("model_module") not in BUILT_IN_WIDGETS}

    def reaches_foreign(key: str, seen: set[str]) -> bool:
        if key in foreign:
            return True
        seen.add(key)
        return any(child not in seen and reaches_foreign(child, seen) for child in _references(state.get(key, {})))

    cells = []
    for cell in notebook["cells"]:
        cells.append(cell)
        views = [o for o in cell.get("outputs", []) if WIDGET_VIEW in o.get("data", {})]
        if not views:
            continue
        dropped = [o for o in views if reaches_foreign(o["data"][WIDGET_VIEW]["model_id"], set())]
        cell["outputs"] = [o for o in cell["outputs"] if o not in dropped]
        cells.append(markdown_cell(KERNEL_ONLY_NOTE if dropped else SAVED_WIDGET_NOTE))
    notebook["cells"] = cells
    for key in [key for key in state if reaches_foreign(key, set())]:  # the module and every box that holds it:
        del state[key]  # the page's widget manager loads every model of the state, and one it cannot stops them all


def site_notebook(student: Path, notebooks: list[str]) -> dict:
    """The student's notebook with its folded solutions, its links fixed and, in 00, the table of contents."""
    notebook = json.loads(student.read_text(encoding="utf-8"))
    names = set(notebooks)
    teacher_file = TEACHER_NOTEBOOKS / student.name
    if teacher_file.exists():
        solutions, before = folded_solutions(json.loads(teacher_file.read_text(encoding="utf-8")))
        cells = notebook["cells"]
        where = next((i for i, cell in enumerate(cells) if before is not None and source(cell) == before), len(cells))
        cells[where:where] = solutions
    saved_widgets(notebook)
    for cell in notebook["cells"]:
        if cell["cell_type"] == "markdown":
            cell["source"] = fix_links(source(cell), "notebooks", names)
    if student.stem == MAP:
        pages = [name for name in notebooks if name != MAP] + ["draw", "setup", "teaching"]
        toc = "```{toctree}\n:hidden:\n:maxdepth: 1\n\n" + "\n".join(pages) + "\n```"
        notebook["cells"].append(markdown_cell(toc))
    return notebook


IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif")
ALT_FILE = "alt-text.json"  # in the source folder: image file name -> alt text, applied to the built pages


def alt_texts(notebook: dict) -> dict[str, str]:
    """The alt text of each image output that has one, by the file name MyST-NB gives the image (the SHA-256 of
    its bytes). A figure's alt text travels in its output's metadata, ``{"image/png": {"alt": "..."}}``, as the
    code that draws it writes it (issue 25); MyST-NB itself takes alt text only per cell."""
    found = {}
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            for mime in IMAGE_TYPES:
                alt = output.get("metadata", {}).get(mime, {}).get("alt")
                if mime in output.get("data", {}) and isinstance(alt, str) and alt.strip():
                    data = base64.b64decode(output["data"][mime])
                    found[hashlib.sha256(data).hexdigest() + "." + mime.split("/")[1]] = alt.strip()
    return found


IMG_ALT = re.compile(r'<img alt="([^"]*)" src="(_images/([0-9a-f]{64}\.(?:png|jpeg|gif)))"')


def apply_alt_texts(html_dir: Path, alts: dict[str, str]) -> None:
    """Give each page's notebook images their alt text (MyST-NB writes the file's path there)."""
    for page in html_dir.glob("*.html"):
        text = page.read_text(encoding="utf-8")

        def swap(match: re.Match) -> str:
            alt = alts.get(match.group(3))
            return match.group(0) if alt is None else f'<img alt="{html.escape(alt)}" src="{match.group(2)}"'

        changed = IMG_ALT.sub(swap, text)
        if changed != text:
            page.write_text(changed, encoding="utf-8")


def readme_section(text: str, heading: str) -> str:
    """The body of the README section ``## heading``, up to the next ``## `` heading."""
    found = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, flags=re.MULTILINE | re.DOTALL)
    if not found:
        raise SiteError(f"README.md has no section '## {heading}'")
    return found.group(1).strip()


def write_source(dest: Path) -> None:
    """Fill ``dest`` with the Sphinx source of the site."""
    folder = STUDENT / "notebooks"
    if not folder.is_dir():
        raise SiteError(f"no student edition in {STUDENT.relative_to(REPO)}/: run `make student` first")
    students = sorted(folder.glob("[0-9][0-9]_*.ipynb"))
    names = [path.stem for path in students]
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    alts: dict[str, str] = {}
    for path in students:
        notebook = site_notebook(path, names)
        alts.update(alt_texts(notebook))
        page = "index.ipynb" if path.stem == MAP else path.name
        (dest / page).write_text(json.dumps(notebook, indent=1, ensure_ascii=False), encoding="utf-8")
    student_readme = (STUDENT / "README.md").read_text(encoding="utf-8")
    body = re.sub(r"^# [^\n]*\n", "", student_readme, count=1).strip()
    (dest / "setup.md").write_text(
        "# Set-up: run the course yourself\n\n"
        + "The pages of this site show the notebooks as they ran; to run and change them, get the course folder "
        + f"from your teacher or from [the course's repository]({repository_url()}), then follow these steps.\n\n"
        + fix_links(body, "", set(names))
        + "\n",
        encoding="utf-8",
    )
    teaching = readme_section((REPO / "README.md").read_text(encoding="utf-8"), "Teaching a class")
    (dest / "teaching.md").write_text(
        "# Teaching a class\n\n" + fix_links(teaching, "", set(names)) + "\n", encoding="utf-8"
    )
    (dest / ALT_FILE).write_text(json.dumps(alts, indent=1, sort_keys=True), encoding="utf-8")
    for name in ("conf.py", "draw.md"):
        shutil.copy2(SITE / name, dest / name)
    shutil.copytree(SITE / "static", dest / "_static")
    if not TFJS.exists():
        raise SiteError("TensorFlow.js is missing: run `npm ci --prefix site` (Node.js and npm: see README.md)")
    shutil.copy2(TFJS, dest / "_static" / "tf.min.js")
    vendor(dest / "_static" / "vendor")
    # The widget manager asks for its icon font at @jupyter-widgets/<name> next to the page (webpack's public
    # path): Sphinx copies html_extra_path's folder to the site's root, where every page is.
    fonts = dest / "extra" / "@jupyter-widgets"
    fonts.mkdir(parents=True)
    for font in (NODE_MODULES / VENDORED["html-manager"]).glob("*.woff*"):
        shutil.copy2(font, fonts / font.name)
    sys.path.insert(0, str(REPO))
    from scripts.export_tfjs import export  # noqa: E402  (needs TensorFlow: only here)

    if not MODEL.exists():
        raise SiteError(f"no reference model at {MODEL.relative_to(REPO)}: run `make models` (or notebook 04)")
    export(MODEL, dest / "_static" / "model")


# What the pages load, from npm (site/package-lock.json) into _static/vendor/, so that the site needs no internet:
# MathJax 3 for the formulas, require.js and @jupyter-widgets/html-manager for the saved widgets of notebook 08.
NODE_MODULES = SITE / "node_modules"
VENDORED = {
    "mathjax/tex-mml-chtml.js": "mathjax/es5/tex-mml-chtml.js",
    "mathjax/output/chtml/fonts/woff-v2": "mathjax/es5/output/chtml/fonts/woff-v2",
    "mathjax/a11y": "mathjax/es5/a11y",
    "mathjax/ui": "mathjax/es5/ui",
    "mathjax/input": "mathjax/es5/input",
    "require.js": "requirejs/require.js",
    "html-manager": "@jupyter-widgets/html-manager/dist",
}


def vendor(dest: Path) -> None:
    """Copy the browser libraries of ``VENDORED`` from ``site/node_modules`` (the widget manager without its
    source maps and its fonts' older formats, which browsers do not ask for)."""
    skip = shutil.ignore_patterns("*.map", "*.eot", "*.ttf", "*.svg", "embed.js", "libembed-amd.js", "*.LICENSE.txt")
    for target, origin in VENDORED.items():
        source_path = NODE_MODULES / origin
        if not source_path.exists():
            raise SiteError(f"{source_path.relative_to(REPO)} is missing: run `npm ci --prefix site`")
        (dest / target).parent.mkdir(parents=True, exist_ok=True)
        if source_path.is_dir():
            shutil.copytree(source_path, dest / target, ignore=skip)
        else:
            shutil.copy2(source_path, dest / target)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source-only", action="store_true", help="write build/site/src/ only")
    parser.add_argument("--sphinx", default=str(REPO / "site" / ".venv" / "bin" / "sphinx-build"))
    args = parser.parse_args(argv)
    try:
        write_source(OUT / "src")
    except SiteError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.source_only:
        return 0
    html = OUT / "html"
    command = [args.sphinx, "-b", "html", "-q", "-E", str(OUT / "src"), str(html)]
    result = subprocess.run(command)
    if result.returncode == 0:
        apply_alt_texts(html, json.loads((OUT / "src" / ALT_FILE).read_text(encoding="utf-8")))
        print(f"site: {html.relative_to(REPO)}/index.html")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
