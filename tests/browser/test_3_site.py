"""The course's website (``make site``, build/site/html/) in headless Chromium, served on loopback.

Every page loads with no console error, every image loads, every internal link leads to a page (and an anchor)
that exists; on "Draw a digit", the reference model runs in the browser with TensorFlow.js and, on the 2,000
test digits, gives Keras's probabilities to 1e-4; a digit drawn with the mouse goes through the same
preprocessing as notebook 08 (helpers.playground.canvas_to_input) and is read right.
"""

from __future__ import annotations

import base64
import functools
import http.server
import re
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
SITE = REPO / "build" / "site" / "html"
MODEL = REPO / "models" / "mnist_cnn_model.keras"
WIDGET_FAILURE = re.compile(r"Could not create a view|widget model not found")
TOLERANCE = 1e-4  # the largest difference of one probability allowed between the browser and Keras
PAGES = sorted(path.name for path in SITE.glob("*.html")) if SITE.is_dir() else []


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # no line per request on the test's output
        pass


@pytest.fixture(scope="module")
def site_url() -> Iterator[str]:
    """The built site, served by Python's http.server on 127.0.0.1 (a free port) for this module's tests."""
    if not (SITE / "index.html").exists():
        pytest.fail(f"no built site in {SITE.relative_to(REPO)}/: run `make site` first")
    handler = functools.partial(_QuietHandler, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def tab(browser_context) -> Iterator:
    """A fresh tab that records console errors, uncaught exceptions and failed requests in ``tab.problems``."""
    page = browser_context.new_page()
    page.problems = []
    page.on("console", lambda m: m.type == "error" and page.problems.append(f"console: {m.text}"))
    # the widget manager only warns when a saved widget cannot be drawn: that is a problem too
    page.on("console", lambda m: WIDGET_FAILURE.search(m.text) and page.problems.append(f"widget: {m.text}"))
    page.on("pageerror", lambda e: page.problems.append(f"exception: {e}"))
    page.on("requestfailed", lambda r: page.problems.append(f"failed request: {r.url}"))
    page.on("response", lambda r: r.status >= 400 and page.problems.append(f"HTTP {r.status}: {r.url}"))
    yield page
    page.close()


class _Links(HTMLParser):
    """The ``href`` of every ``<a>`` and every ``id`` of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(values["id"])
        if tag == "a" and values.get("href"):
            self.hrefs.append(values["href"])


@functools.cache
def _parsed(name: str) -> _Links:
    parser = _Links()
    parser.feed((SITE / name).read_text(encoding="utf-8"))
    return parser


def test_site_has_every_notebook_in_order():
    """One page per notebook of the student edition, the course map as the home page, each linked to the next."""
    notebooks = sorted(path.stem for path in (REPO / "dist" / "student" / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert notebooks, "no student edition in dist/student/: run `make student`"
    pages = ["index"] + notebooks[1:]
    for name in pages:
        assert (SITE / f"{name}.html").exists(), f"no page for {name}"
    for here, following in zip(pages, pages[1:]):
        text = (SITE / f"{here}.html").read_text(encoding="utf-8")
        nxt = re.search(r'<a class="right-next"\s+href="([^"]+)"', text)
        assert nxt and nxt.group(1) == f"{following}.html", f"{here}: the 'next' link is not {following}"


@pytest.mark.parametrize("name", [p for p in PAGES if p != "search.html"])
def test_headings_in_order(name):
    """One h1 per page, first; below it no heading skips a level (an h2 before any h3, and so on)."""
    article = re.search(r"<article[^>]*>(.*)</article>", (SITE / name).read_text(encoding="utf-8"), re.DOTALL)
    assert article, f"{name}: no <article>"
    levels = [int(level) for level in re.findall(r"<h([1-6])[\s>]", article.group(1))]
    assert levels[:1] == [1] and levels.count(1) == 1, f"{name}: heading levels {levels}"
    skips = [(a, b) for a, b in zip(levels, levels[1:]) if b > a + 1]
    assert not skips, f"{name}: a heading skips a level: {skips}"


def test_solutions_are_folded(tab, site_url):
    """A worked solution is on the page but folded: hidden until the reader opens it."""
    tab.goto(site_url + "06_evaluation.html", wait_until="load")
    fold = tab.locator("details.course-solution").first
    code = fold.locator("div.highlight").first
    assert not code.is_visible()
    fold.locator("summary").click()
    assert code.is_visible()


@pytest.mark.parametrize("name", PAGES)
def test_internal_links_resolve(name):
    """Every link from a page to the site names a file of the site, and an anchor that file has."""
    broken = []
    for href in _parsed(name).hrefs:
        target = urlparse(urljoin(f"http://site/{name}", href))
        if target.netloc != "site":
            continue
        path = unquote(target.path.lstrip("/")) or "index.html"
        if not (SITE / path).is_file():
            broken.append(href)
        elif target.fragment and path.endswith(".html") and unquote(target.fragment) not in _parsed(path).ids:
            broken.append(href)
    assert not broken, f"{name}: broken links {broken}"


@pytest.mark.parametrize("name", PAGES)
def test_page_loads_without_errors(tab, site_url, name):
    """The page loads with no console error, no failed request, and every image decoded."""
    tab.problems.clear()
    tab.goto(site_url + name, wait_until="networkidle")  # and what the page's scripts load (fonts, widgets)
    if tab.locator(".course-draw").count():
        tab.wait_for_selector(".course-draw[data-ready=true]", timeout=60_000)  # the model, fetched by a script
    if "application/vnd.jupyter.widget-view+json" in (SITE / name).read_text(encoding="utf-8"):
        tab.wait_for_selector(".widget-slider", timeout=60_000)  # the saved widgets are drawn (08's explorer)
    unloaded = tab.evaluate(  # images on show; a widget's picture hidden until it has one is not on show
        """() => [...document.images].filter(i => i.getClientRects().length && !(i.complete && i.naturalWidth > 0))
                                     .map(i => i.src)"""
    )
    assert not unloaded, f"{name}: images that did not load: {unloaded}"
    assert not tab.problems, f"{name}: {tab.problems}"


@pytest.mark.parametrize("name", [p for p in PAGES if "<img" in (SITE / p).read_text(encoding="utf-8")])
def test_every_image_has_alt_text(tab, site_url, name):
    """Every image says what it shows: an alt text that is not empty and not just the image's file name; on a
    page with widgets, their images too, once the widget manager has drawn them."""
    tab.goto(site_url + name, wait_until="load")
    if "application/vnd.jupyter.widget-view+json" in (SITE / name).read_text(encoding="utf-8"):
        tab.wait_for_selector("img.widget-image", state="attached", timeout=60_000)
    images = tab.evaluate("() => [...document.images].map(i => [i.getAttribute('src'), i.getAttribute('alt')])")
    missing = [src for src, alt in images if not alt or Path(src).name in alt]
    assert not missing, f"{name}: {len(missing)} of {len(images)} images without alt text"


def _keras_test_set() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    import keras

    from helpers.data import TEST_DIR, load_arrays

    images, labels = load_arrays(TEST_DIR)
    model = keras.saving.load_model(MODEL, compile=False)
    return images.astype(np.float32), labels, model.predict(images, batch_size=500, verbose=0)


def _draw_page(tab, site_url) -> None:
    tab.problems.clear()
    tab.goto(site_url + "draw.html", wait_until="load")
    tab.wait_for_selector(".course-draw[data-ready=true]", timeout=60_000)


def test_browser_model_agrees_with_keras(tab, site_url):
    """On the 2,000 test digits, TensorFlow.js in the browser gives Keras's probabilities to 1e-4."""
    images, labels, expected = _keras_test_set()
    _draw_page(tab, site_url)
    encoded = base64.b64encode(images.tobytes()).decode()
    got = tab.evaluate(
        """(encoded) => {
             const bytes = Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0));
             const inputs = new Float32Array(bytes.buffer);
             return Array.from(CourseDraw.predict(CourseDraw.model, inputs));
           }""",
        encoded,
    )
    got = np.asarray(got, dtype=np.float64).reshape(expected.shape)
    difference = float(np.abs(got - expected).max())
    print(f"\n2,000 test digits: largest |browser - Keras| probability difference {difference:.2e}")
    assert difference <= TOLERANCE, f"browser and Keras differ by up to {difference:.2e} (allowed {TOLERANCE})"
    assert np.array_equal(got.argmax(axis=1), expected.argmax(axis=1))
    assert (got.argmax(axis=1) == labels).mean() > 0.95  # the reference model, not an untrained one
    assert not tab.problems, tab.problems


def test_the_pad_prints_probabilities_as_the_notebooks_do(tab, site_url):
    """The pad's probabilities read as every notebook prints them (``format_probability``): 0.9996 is ">99.9%",
    never a false "100.0 %"; and its answer line and bars use that form."""
    from helpers.style import format_probability

    probabilities = [0.0, 1e-5, 0.0004, 0.0005, 0.012, 0.5, 0.992, 0.9994, 0.9995, 0.99996, 1.0]
    _draw_page(tab, site_url)
    got = tab.evaluate("(ps) => ps.map((p) => CourseDraw.formatProbability(p))", probabilities)
    assert got == [format_probability(p) for p in probabilities]


STROKES = {  # digits drawn with the mouse on the 280x280 pad: lists of strokes, each a list of (x, y) points
    "1": [[(140, 50), (140, 230)]],
    "7": [[(80, 60), (200, 60), (120, 230)]],
    "0": [[(140 + 60 * np.sin(t), 140 - 90 * np.cos(t)) for t in np.linspace(0, 2 * np.pi, 40)]],
}


@pytest.mark.parametrize("digit", list(STROKES))
def test_mouse_drawn_digit_is_read(tab, site_url, digit):
    """A digit drawn with the mouse is read right, after the same preprocessing as notebook 08's drawing pad."""
    from helpers.playground import canvas_to_input

    _draw_page(tab, site_url)
    box = tab.locator("canvas.course-draw-pad").bounding_box()
    for stroke in STROKES[digit]:
        tab.mouse.move(box["x"] + stroke[0][0], box["y"] + stroke[0][1])
        tab.mouse.down()
        for x, y in stroke[1:]:
            tab.mouse.move(box["x"] + x, box["y"] + y, steps=8)
        tab.mouse.up()
    tab.wait_for_selector(".course-draw[data-digit]")
    pixels, browser_input = tab.evaluate(
        """() => {
             const canvas = document.querySelector('canvas.course-draw-pad');
             const rgba = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
             const gray = Array.from({length: rgba.length / 4}, (_, i) => rgba[4 * i]);
             return [gray, Array.from(CourseDraw.toMnistInput(Uint8Array.from(gray), canvas.width, canvas.width))];
           }"""
    )
    python_input = canvas_to_input(np.asarray(pixels, dtype=np.uint8).reshape(280, 280))
    difference = float(np.abs(np.asarray(browser_input).reshape(28, 28, 1) - python_input).max())
    assert difference <= 1e-6, f"the browser's preprocessing differs from notebook 08's by {difference}"
    assert tab.locator(".course-draw").get_attribute("data-digit") == digit
    printed = [tab.locator(".course-draw-answer").inner_text()] + tab.locator(".course-draw-bar").all_inner_texts()
    for text in printed:  # every probability as format_probability prints it: "97.3%", ">99.9%", "<0.1%", "0%"
        assert re.search(r"(?<![\d.])(100|[<>]?\d{1,2}(\.\d)?)%", text) and " %" not in text, text
    assert "first time" in tab.locator(".course-draw-timing").inner_text()
    assert not tab.problems, tab.problems


def test_search_finds_a_notebook(tab, site_url):
    """The site's search (Sphinx's, offline) finds the notebook that teaches a term."""
    tab.problems.clear()
    tab.goto(site_url + "search.html?q=confusion+matrix", wait_until="load")
    hit = tab.locator("#search-results a[href*='06_evaluation.html']").first
    hit.wait_for(timeout=30_000)
    assert not tab.problems, tab.problems
