"""Every notebook, as committed, opened in JupyterLab: its saved outputs render without an error, and its
navigation links (previous, course map, next) open the right notebooks."""

from __future__ import annotations

import shutil

import pytest
from lab_server import REPO, trust
from playwright.sync_api import Locator, Page, expect

NOTEBOOKS = sorted(path.name for path in (REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
FOLDER = "as-committed"  # fresh copies, beside the copy that the notebook 08 steps ran


@pytest.fixture(scope="module")
def committed(lab) -> str:
    """Fresh, trusted copies of the committed notebooks in the server's ``as-committed/`` folder."""
    folder = lab.root / FOLDER
    folder.mkdir()
    for name in NOTEBOOKS:
        shutil.copy(REPO / "notebooks" / name, folder / name)
    trust(lab.work, sorted(folder.glob("*.ipynb")))  # `make lab` trusts the course's notebooks too
    return FOLDER


def current_tab(page: Page) -> Locator:
    return page.locator(".lm-DockPanel .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel")


def current_notebook(page: Page) -> Locator:
    return page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")


def show(page: Page, lab, folder: str, name: str) -> None:
    """Bring the notebook's tab to the front, opening it if it is not open yet."""
    tab = page.locator(".lm-DockPanel .lm-TabBar-tab", has_text=name)
    if tab.count():
        tab.click()
    else:
        page.goto(lab.open_url(f"{folder}/{name}", workspace=FOLDER))  # not the tabs of notebook 08's steps
    expect(current_tab(page)).to_have_text(name)
    expect(current_notebook(page).locator(".jp-Cell").first).to_be_visible()


def follow(page: Page, text: str, expected: str) -> None:
    """Click the link whose text starts with ``text`` in the first cell; ``expected`` must come to the front."""
    link = current_notebook(page).locator(".jp-Cell").first.locator("a", has_text=text).first
    link.click()
    expect(current_tab(page)).to_have_text(expected)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_renders_and_links_to_its_neighbours(page, lab, committed, shot, name):
    index = NOTEBOOKS.index(name)
    show(page, lab, committed, name)
    notebook = current_notebook(page)
    expect(notebook.locator(".jp-OutputArea-output").first).to_be_attached()
    assert notebook.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").count() == 0
    for problem in ("Error displaying widget", "Failed to load model class", "VBox(children=", "Traceback"):
        expect(notebook.locator(".jp-OutputArea-output", has_text=problem)).to_have_count(0)
    if name.startswith("08_"):  # the saved widget state shows the four tools, not text
        for title in ("Test-set explorer", "Your own digit", "Drawing pad", "Hyperparameter playground"):
            expect(notebook.locator(f".jp-OutputArea-output .widget-vbox b:text-is('{title}')")).to_be_visible()
    shot()
    if index > 0:
        follow(page, "< Previous:", NOTEBOOKS[index - 1])
        show(page, lab, committed, name)
        follow(page, "Course map", NOTEBOOKS[0])
        show(page, lab, committed, name)
    if index + 1 < len(NOTEBOOKS):
        follow(page, "Next:", NOTEBOOKS[index + 1])
    assert page.errors == []
