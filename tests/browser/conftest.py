"""Fixtures for the browser tests: one JupyterLab server on a copy of the notebooks, one headless Chromium.

These tests run only with ``make test-browser`` (which sets ``BROWSER_TESTS=1`` and installs
``requirements-browser.txt``); ``make test`` skips this folder.  Chromium is Debian's ``/usr/bin/chromium``
(``CHROMIUM=...`` to use another), driven by Playwright.  A screenshot of each step goes to
``tests/browser/screenshots/`` (git-ignored).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

if not os.environ.get("BROWSER_TESTS"):
    collect_ignore_glob = ["test_*.py"]  # `make test`: not these

HERE = Path(__file__).resolve().parent
SCREENSHOTS = HERE / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def git_status() -> str:
    """``git status --porcelain`` of the repository (empty outside a git checkout)."""
    result = subprocess.run(["git", "status", "--porcelain"], cwd=HERE, capture_output=True, text=True)
    return result.stdout if result.returncode == 0 else ""


@pytest.fixture(scope="session")
def lab(tmp_path_factory) -> Iterator:
    from lab_server import start_lab, stop_lab

    before = git_status()
    server = start_lab(tmp_path_factory.mktemp("lab"))
    yield server
    stop_lab(server)
    assert git_status() == before, "the browser tests changed files of the repository"


@pytest.fixture(scope="session")
def browser_context(tmp_path_factory) -> Iterator:
    from playwright.sync_api import expect, sync_playwright

    if not Path(CHROMIUM).is_file():
        pytest.exit(f"error: no Chromium at {CHROMIUM}: apt-get install -y chromium (or set CHROMIUM=...)", 2)
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir()
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            tmp_path_factory.mktemp("chromium-profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1400, "height": 1000},
            accept_downloads=False,
        )
        context.set_default_timeout(60_000)
        expect.set_options(timeout=30_000)  # a busy 2-core machine: JupyterLab may take seconds to answer
        yield context
        context.close()


@pytest.fixture(scope="module")
def page(browser_context, lab) -> Iterator:
    """A fresh tab; uncaught JavaScript errors are collected in ``page.errors`` (a list of strings)."""
    tab = browser_context.new_page()
    tab.errors = []
    tab.on("pageerror", lambda error: tab.errors.append(str(error)))
    yield tab
    tab.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failed step, a screenshot ``screenshots/<test>-FAILED.png`` of the page as it was."""
    report = (yield).get_result()
    page = item.funcargs.get("page")
    if report.when == "call" and report.failed and page is not None and not page.is_closed():
        page.screenshot(path=SCREENSHOTS / f"{item.name}-FAILED.png")


@pytest.fixture
def shot(page, request):
    """``shot("name")`` saves a screenshot of the page as ``screenshots/<test>-<name>.png``."""

    def take(name: str = "done") -> Path:
        path = SCREENSHOTS / f"{request.node.name}-{name}.png"
        page.screenshot(path=path, full_page=False)
        return path

    return take
