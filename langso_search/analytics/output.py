"""The report for people: a terminal text (``langso report``) and the JSONL export of queries to label."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from ..text import accent_ratio, syllables
from .models import utcnow
from .report import Groups, load_window


def _bar(n: int, top: int, width: int = 30) -> str:
    return "█" * (round(width * n / top) if top else 0)


def _table(title: str, rows: list[str]) -> list[str]:
    return ["", f"== {title}", *(rows or ["  (không có / none)"])]


def format_text(report: dict[str, Any]) -> str:
    """The report as plain text for a terminal (Vietnamese / English headings)."""
    t, p = report["totals"], report["period"]
    lines = [f"Báo cáo tìm kiếm / search report: {p['from'][:10]} → {p['to'][:10]} ({p['days']} ngày / days)",
             (f"  tìm kiếm / searches: {t['searches']}   không thấy / no match: {t['no_match']}   "
              f"gợi ý / recommends: {t['recommends']}   mở / opens: {t['opens']}   "
              f"👍 {t['helpful']}  👎 {t['unhelpful']}   p50: {t['latency_p50_ms']} ms")]
    top = max((d["searches"] for d in report["per_day"]), default=0)
    lines += _table("Mỗi ngày / per day (UTC)", [f"  {d['date']}  {d['searches']:>6}  {d['no_match']:>5} không thấy  "
                                                 f"{_bar(d['searches'], top)}" for d in report["per_day"]])
    lines += _table("Câu tìm nhiều nhất / top queries", [
        f"  {q['searches']:>5}×  {q['query']}  (không thấy {q['no_match']}, mở {q['clicks']}, 👎 {q['down']})"
        for q in report["top_queries"]])
    lines += _table(f"Không tìm thấy, theo nghĩa / no match, by meaning [{report['clustering']}]", [
        f"  {c['size']:>5}×  {c['typical']}" + (f"   ({c['distinct']} cách gõ: {' | '.join(c['examples'][1:4])})"
                                                 if c["distinct"] > 1 else "")
        for c in report["no_match_clusters"]])
    lines += _table("Nhiều 👎 / unhelpful", [f"  👎{r['down']} 👍{r['up']}  {r['query']}"
                                            for r in report["unhelpful_queries"]])
    lines += _table("Tìm mà không mở kết quả nào / no click", [f"  {r['searches']:>5}×  {r['query']}"
                                                               for r in report["no_click_queries"]])
    lines += _table("Được mở nhiều nhất / most opened", [
        f"  {r['opens']:>5}×  {r['title'] or r['item_id']}  ({r['item_id']})" for r in report["most_opened"]])
    lines += _table("Góp ý / comments", [f"  {r['at']}  {'👍' if r['helpful'] else '👎'}  “{r['query']}”: {r['comment']}"
                                         for r in report["comments"]])
    rec = report.get("recorder") or {}
    if rec:
        lines += ["", (f"== Bộ ghi / recorder: {rec.get('state')}  ghi / written {rec.get('written')}  "
                       f"bỏ / dropped {rec.get('dropped')}  mất / lost {rec.get('lost')}  lỗi / error {rec.get('last_error')}")]
    return "\n".join(lines)


def _style(text: str) -> str:
    if len(syllables(text)) >= 30:
        return "long"
    return "accented" if accent_ratio(text) >= 0.5 else "unaccented"


def export_queries(engine: Engine, days: int, path: Path) -> int:
    """Write the period's no-match and 👎 queries (one line per distinct query) as eval JSONL with an empty
    ``relevant`` for an editor to fill in; ids ``nomatch-YYYYMMDD-NNN`` / ``unhelpful-YYYYMMDD-NNN``."""
    w = load_window(engine, days)
    groups = Groups(w.searches)
    stamp = utcnow().strftime("%Y%m%d")
    seen: set[str] = set()
    lines: list[str] = []

    def add(prefix: str, group: str, text: str) -> None:
        if group in seen or not text.strip():
            return
        seen.add(group)
        n = sum(1 for line in lines if f'"{prefix}-' in line) + 1
        lines.append(json.dumps({"id": f"{prefix}-{stamp}-{n:03d}", "query": text, "style": _style(text),
                                 "relevant": {}}, ensure_ascii=False))

    for group, n in groups.no_match.most_common():
        if n:
            add("nomatch", group, groups.wording(group))
    for row in w.feedback:
        if not row.helpful:
            group = groups.of(row.query)
            add("unhelpful", group, groups.wording(group) if group in groups.count else row.query)
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return len(lines)


def run_report(settings: Any, days: int, as_json: bool, export: Path | None) -> int:
    """``langso report``: print the report (text or JSON) and optionally export queries; the exit code."""
    from ..corpus import load_corpus
    from ..embed import make_embedder
    from .report import build_report
    from .store import database_url, make_engine, migrate, safe_url

    url = database_url(settings)
    engine = make_engine(url)
    try:
        migrate(engine)
    except Exception as exc:  # noqa: BLE001
        print(f"✗ không mở được CSDL thống kê / cannot open the analytics database {safe_url(url)}: "
              f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
        return 1
    try:
        encode = make_embedder(settings).encode_queries
    except Exception:  # noqa: BLE001 - clustering falls back to exact wording
        encode = None
    try:
        titles = {i.id: i.title for i in load_corpus(settings.data_dir).items}
    except Exception:  # noqa: BLE001 - ids instead of titles
        titles = {}
    report = build_report(engine, days, encode, titles)
    print(json.dumps(report, ensure_ascii=False, indent=2) if as_json else format_text(report))
    if export is not None:
        n = export_queries(engine, days, export)
        print(f"✓ {n} câu → {export} (điền 'relevant' rồi thêm vào data/eval / fill in 'relevant')",
              file=sys.stderr)
    engine.dispose()
    return 0
