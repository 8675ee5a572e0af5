"""Shared helper for tests that open pages in a real headless Chromium (Playwright + Debian's chromium).

Use from a test module (pytest puts tests/ on sys.path):

    from browser import chromium, open_page  # noqa: F401  (chromium is a fixture)

    def test_page(chromium, tmp_path):
        page, log = open_page(chromium, tmp_path / "graph.html")
        page.wait_for_function("window.ready === true")
        assert log.errors == [] and log.foreign_requests == []

The browser is never downloaded (no `playwright install`): CI installs the `chromium` Debian package and the
`playwright` Python package. Tests skip with a clear reason when either is missing. Set PAPERKG_CHROMIUM to
use another Chromium binary.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "PageLog", "require_browser", "chromium", "open_page"]

CHROMIUM = Path(os.environ.get("PAPERKG_CHROMIUM", "/usr/bin/chromium"))
# --enable-unsafe-swiftshader: with no GPU (--disable-gpu), WebGL (the sigma.js page) runs on SwiftShader,
# Chromium's software GL, which Chromium is phasing out as an automatic fallback unless this flag is given.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--enable-unsafe-swiftshader",
]


@dataclass
class PageLog:
    """What a page did: console errors, uncaught exceptions, and every request it made."""

    url: str
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        """Console errors and uncaught page errors together."""
        return self.console_errors + self.page_errors

    @property
    def foreign_requests(self) -> list[str]:
        """Requests for anything but the page itself (inline data: URLs are not network requests)."""
        return [u for u in self.requests if u != self.url and not u.startswith("data:")]


def require_browser() -> None:
    """Skip the calling test when Playwright or the Chromium binary is not installed."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("browser test: the 'playwright' Python package is not installed (pip install playwright)")
    if not CHROMIUM.exists():
        pytest.skip(f"browser test: no Chromium at {CHROMIUM} (apt-get install chromium, or set PAPERKG_CHROMIUM)")


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """A headless Chromium (playwright Browser) shared by the whole test session."""
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def open_page(browser: Any, path: Path, *, width: int = 1280, height: int = 800) -> tuple[Any, PageLog]:
    """Open a local file in a fresh context, recording errors and requests; anything not file: is aborted.

    Returns the playwright Page (already loaded) and its PageLog. Close the page's context when done
    (`page.context.close()`), or leave it to the browser fixture's teardown.
    """
    url = Path(path).resolve().as_uri()
    log = PageLog(url=url)
    context = browser.new_context(viewport={"width": width, "height": height}, service_workers="block")
    context.route(lambda u: not u.startswith(("file:", "data:")), lambda route: route.abort())
    page = context.new_page()
    page.on("console", lambda m: log.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: log.page_errors.append(str(exc)))
    page.on("request", lambda r: log.requests.append(r.url))
    page.goto(url, wait_until="load")
    return page, log


def nodes_under(page: Any, selector: str = "#legend") -> list[str]:
    """The ids of the vis-network nodes whose centres are under the element `selector` (an overlay)."""
    return page.evaluate("""(selector) => {
        const r = document.querySelector(selector).getBoundingClientRect();
        const c = document.querySelector('#mynetwork canvas').getBoundingClientRect();
        return nodes.getIds().filter(id => {
            const p = network.canvasToDOM(network.getPositions([id])[id]);
            const x = c.left + p.x, y = c.top + p.y;
            return x > r.left && x < r.right && y > r.top && y < r.bottom;
        });
    }""", selector)
