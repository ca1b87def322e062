"""Notebook 08 in JupyterLab, in headless Chromium, with real mouse and keyboard events, step by step.

The steps run in order on one page: Run All on a copy of the notebook, then each tool as a student uses it.
"""

from __future__ import annotations

import re

import numpy as np
from PIL import Image
from playwright.sync_api import Locator, Page, expect

from helpers.paths import TEST_DIR
from helpers.playground import paper_drawing

NOTEBOOK = "08_interactive_playground.ipynb"
RUN_ALL_TIMEOUT_MS = 15 * 60_000  # trains the reference model first if models/ has none (a minute or two)
SEVEN = [(60, 50), (225, 50), (120, 245)]  # strokes on the 280x280 pad: a 7 ...
ONE = [(150, 35), (140, 250)]  # ... and a 1
PAD_HINT = "Draw one digit, large"


def tool(page: Page, title: str) -> Locator:
    """The output of the tool whose header starts with ``title`` (e.g. "Drawing pad")."""
    return page.locator(".jp-OutputArea-output .widget-vbox", has=page.locator(f"b:text-is('{title}')")).first


def wait_for_kernel_idle(page: Page, timeout: float = 120_000) -> None:
    """Until the status bar says the kernel is connected and idle (it starts in about 10 s)."""
    expect(page.locator("#jp-main-statusbar")).to_contain_text("| Idle", timeout=timeout)


def open_notebook(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator(".jp-Notebook .jp-Cell").first).to_be_visible()
    wait_for_kernel_idle(page)


def save(page: Page) -> None:
    """Save the notebook (as JupyterLab's autosave would, which these tests turn off)."""
    page.keyboard.press("Control+s")
    expect(page.locator("#jp-main-statusbar")).to_contain_text("Saving completed")  # shown for 2 s
    expect(page.locator(".lm-DockPanel .lm-TabBar-tab.jp-mod-dirty")).to_have_count(0)


def draw(page: Page, canvas: Locator, points: list[tuple[int, int]]) -> None:
    """One stroke with the mouse through ``points`` (pad pixels), pressing at the first, releasing at the last."""
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    scale = box["width"] / 280
    page.mouse.move(box["x"] + points[0][0] * scale, box["y"] + points[0][1] * scale)
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(box["x"] + x * scale, box["y"] + y * scale, steps=15)
    page.mouse.up()


def ink(canvas: Locator) -> int:
    """How much white is on the pad, as the browser shows it (0: a black pad)."""
    return canvas.evaluate(
        "c => c.getContext('2d').getImageData(0, 0, c.width, c.height).data"
        ".reduce((sum, v, i) => i % 4 === 0 ? sum + v : sum, 0)"
    )


def pad_parts(page: Page) -> tuple[Locator, Locator, Locator]:
    pad = tool(page, "Drawing pad")
    return (
        pad.locator("canvas.course-drawing-pad"),
        pad.locator(".widget-html").nth(1),
        pad.locator("button.course-drawing-pad-clear"),
    )


def test_run_all_executes_notebook_08_without_errors(page, lab, shot):
    open_notebook(page, lab.open_url(NOTEBOOK))
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile("^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile("^Run All Cells$")).click()
    # the copy is not trusted, so its saved widget outputs show as text: a widget means a fresh output
    expect(tool(page, "Hyperparameter playground")).to_be_visible(timeout=RUN_ALL_TIMEOUT_MS)
    page.wait_for_function(
        """() => {
        const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].map(p => p.textContent);
        return prompts.length > 0 && prompts.every(text => /\\[\\d+\\]/.test(text));
    }""",
        timeout=RUN_ALL_TIMEOUT_MS,
        polling=1000,
    )
    wait_for_kernel_idle(page)
    shot()
    assert page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").count() == 0
    for title in ("Test-set explorer", "Your own digit", "Drawing pad", "Hyperparameter playground"):
        expect(tool(page, title)).to_be_visible()
    assert page.errors == []


def test_explorer_filters_and_slider(page, shot):
    explorer = tool(page, "Test-set explorer")
    explorer.scroll_into_view_if_needed()
    caption = explorer.locator(".widget-html", has_text="matching digits")
    expect(caption).to_contain_text("1 of 2,000 matching digits · test image #0:")
    show, digit = explorer.locator("select").nth(0), explorer.locator("select").nth(1)
    show.click()  # opens the list
    page.keyboard.press("ArrowDown")  # "misclassified only"
    page.keyboard.press("Enter")
    expect(caption).to_contain_text("WRONG")
    expect(caption).to_have_text(re.compile(r"^1 of \d\d? matching digits"))
    shot("misclassified")
    show.click()
    page.keyboard.press("ArrowUp")  # back to "all test digits"
    page.keyboard.press("Enter")
    digit.click()
    for _ in range(8):  # "any", "0", ... "7"
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(caption).to_contain_text("1 of 200 matching digits")
    expect(caption).to_contain_text("true 7: ")
    handle = explorer.locator(".noUi-handle")
    handle.click()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(caption).to_contain_text("3 of 200 matching digits")
    box = handle.bounding_box()  # drag the handle to the right with the mouse
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + 200, box["y"] + box["height"] / 2, steps=10)
    page.mouse.up()
    expect(caption).not_to_contain_text("3 of 200 matching digits")
    position = int(re.match(r"(\d+) of 200", caption.inner_text()).group(1))
    assert 50 < position < 200
    expect(explorer.locator("img")).to_be_visible()
    shot()


def test_upload_a_digit_and_a_non_image(page, shot, tmp_path):
    upload = tool(page, "Your own digit")
    upload.scroll_into_view_if_needed()
    button, message = upload.locator(".widget-upload"), upload.locator(".widget-html").nth(1)
    seven = np.asarray(Image.open(sorted((TEST_DIR / "7").glob("*.png"))[0]))
    photo = tmp_path / "my seven.png"
    Image.fromarray(paper_drawing(seven, offset=(-40, 30), ink=0.7)).save(photo)
    with page.expect_file_chooser() as chooser:
        button.click()
    chooser.value.set_files(photo)
    expect(message).to_contain_text("my seven.png: predicted 7 (")
    expect(button).to_contain_text("Upload a digit (1)")
    assert button.evaluate("b => b.scrollWidth <= b.clientWidth"), "the upload button's label is cut off"
    expect(upload.locator("img").nth(1)).to_be_visible()
    shot("digit")
    notes = tmp_path / "notes.txt"
    notes.write_text("milk, eggs, bread")
    with page.expect_file_chooser() as chooser:
        button.click()
    chooser.value.set_files(notes)
    expect(message).to_have_text("⚠ Cannot use this file: not an image (text/plain): notes.txt")
    expect(upload.locator("img").first).to_be_hidden()
    shot()


def test_drawing_pad_draws_predicts_and_clears(page, shot):
    canvas, message, clear = pad_parts(page)
    canvas.scroll_into_view_if_needed()
    expect(message).to_contain_text(PAD_HINT)
    draw(page, canvas, SEVEN)
    expect(message).to_contain_text("predicted 7 (")
    shot("seven")
    clear.click()
    expect(message).to_contain_text(PAD_HINT)
    assert ink(canvas) == 0
    draw(page, canvas, ONE)
    expect(message).to_contain_text("predicted 1 (")
    shot("one")
    assert page.errors == []


def test_drawing_pad_after_a_page_reload(page, shot):
    save(page)
    page.reload()
    expect(page.locator(".jp-Notebook .jp-Cell").first).to_be_visible()
    wait_for_kernel_idle(page)
    canvas, message, clear = pad_parts(page)
    canvas.scroll_into_view_if_needed()
    expect(message).to_contain_text("predicted 1 (")  # the state survived: the last prediction ...
    assert ink(canvas) > 0  # ... and the drawing itself
    shot("reloaded")
    clear.click()
    expect(message).to_contain_text(PAD_HINT)
    assert ink(canvas) == 0
    draw(page, canvas, SEVEN)
    expect(message).to_contain_text("predicted 7 (")
    shot()
    assert page.errors == []


def test_drawing_pad_after_closing_and_reopening_the_tab(page, shot):
    save(page)
    page.locator(".lm-DockPanel .lm-TabBar-tab", has_text=NOTEBOOK).locator(".lm-TabBar-tabCloseIcon").click()
    expect(page.locator(".jp-NotebookPanel")).to_have_count(0)
    page.locator(".jp-DirListing-item", has_text=NOTEBOOK).dblclick()
    expect(page.locator(".jp-Notebook .jp-Cell").first).to_be_visible()
    canvas, message, clear = pad_parts(page)
    canvas.scroll_into_view_if_needed()
    expect(message).to_contain_text("predicted 7 (")
    clear.click()
    expect(message).to_contain_text(PAD_HINT)
    draw(page, canvas, ONE)
    expect(message).to_contain_text("predicted 1 (")
    shot()
    assert page.errors == []


def test_drawing_pad_after_re_running_its_cell(page, shot):
    cell = page.locator(".jp-CodeCell", has=page.locator(".jp-InputArea", has_text="drawing_pad(model)"))
    cell.locator(".jp-InputPrompt").click()
    page.keyboard.press("Shift+Enter")
    canvas, message, clear = pad_parts(page)
    expect(message).to_contain_text(PAD_HINT)  # a new pad
    assert ink(canvas) == 0
    draw(page, canvas, SEVEN)
    expect(message).to_contain_text("predicted 7 (")
    shot()
    assert page.errors == []


def test_playground_trains_shows_progress_and_stops(page, shot):
    playground = tool(page, "Hyperparameter playground")
    playground.scroll_into_view_if_needed()

    def slider(name: str) -> Locator:
        return playground.locator(".widget-slider", has=page.locator(f".widget-label:text-is('{name}')"))

    train, stop = playground.locator("button", has_text="Train"), playground.locator("button", has_text="Stop")
    status, progress = playground.locator(".widget-html").nth(1), playground.locator(".widget-hprogress")
    slider("training digits").locator(".noUi-handle").click()
    page.keyboard.press("Home")  # 200 digits: quick
    expect(slider("training digits")).to_contain_text("200")
    epochs = slider("epochs").locator(".noUi-handle")
    epochs.click()
    page.keyboard.press("ArrowLeft")  # 2 epochs
    expect(slider("epochs")).to_contain_text("2")
    train.click()
    expect(train).to_be_disabled()
    expect(progress).to_contain_text(re.compile(r"epoch [12]/2"), timeout=120_000)
    expect(status).to_contain_text("done: 2 epochs in ", timeout=120_000)
    expect(progress).to_contain_text("epoch 2/2")
    expect(playground.locator("img")).to_be_visible()  # the learning curve
    expect(playground.locator(".widget-html", has_text="your model:")).to_contain_text("test accuracy")
    shot("trained")
    epochs.click()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")  # 4 epochs, then Stop at once
    expect(slider("epochs")).to_contain_text("4")
    train.click()
    stop.click()
    expect(status).to_contain_text("done: stopped after 1 of 4 epochs", timeout=120_000)
    expect(progress).to_contain_text("epoch 1/4")
    expect(train).to_be_enabled()
    expect(stop).to_be_disabled()
    shot()
    assert page.errors == []
