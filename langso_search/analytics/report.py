"""The editors' report: what people search, what they do not find, what they open, what they say.

One JSON-ready dict (``build_report``) serves ``langso report --json``, ``GET /api/admin/report`` and the
/admin page; ``format_text`` prints it for the terminal and ``export_queries`` writes the no-match and 👎
queries as JSONL in the format of ``data/eval/queries.jsonl`` (``relevant`` left empty for an editor).

Queries are grouped by their restored wording (so "ban cam" and "bán cam" are one query); no-match
queries are further grouped by meaning with the engine's own encoder (``cluster``).
Days are UTC days.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Engine, select

from ..text import syllables
from .models import ClickEvent, Feedback, RecommendEvent, SearchEvent, utcnow

Encode = Callable[[Sequence[str]], np.ndarray]
MAX_ROWS = 200_000  # per table and window: the report stays quick even on a busy year
MAX_CLUSTERED = 500  # distinct no-match wordings sent to the encoder
# Cosine similarity (bundled multilingual e5, normalised vectors) from which two no-match queries are
# read as the same need: paraphrases of one need score ~0.88–0.95 with it, different needs on the
# same topic ~0.80–0.86 (tests/test_analytics_report.py holds examples of both).
CLUSTER_THRESHOLD = 0.88
TOP = 20


def key(text: str | None) -> str:
    """The grouping form of a text: lowercased NFC syllables."""
    return " ".join(syllables(text or ""))


@dataclass
class Window:
    """The rows of one report period."""

    start: datetime
    end: datetime
    searches: list[Any] = field(default_factory=list)
    recommends: list[Any] = field(default_factory=list)
    clicks: list[Any] = field(default_factory=list)
    feedback: list[Any] = field(default_factory=list)
    truncated: bool = False


def load_window(engine: Engine, days: int, now: datetime | None = None) -> Window:
    end = now or utcnow()
    window = Window(start=end - timedelta(days=days), end=end)
    columns = {
        "searches": (SearchEvent.at, SearchEvent.query, SearchEvent.restored, SearchEvent.no_match,
                     SearchEvent.result_ids, SearchEvent.latency_ms),
        "recommends": (RecommendEvent.at, RecommendEvent.profile),
        "clicks": (ClickEvent.at, ClickEvent.kind, ClickEvent.query, ClickEvent.item_id, ClickEvent.rank),
        "feedback": (Feedback.at, Feedback.query, Feedback.helpful, Feedback.item_id, Feedback.comment),
    }
    with engine.connect() as conn:
        for name, cols in columns.items():
            at = cols[0]
            stmt = select(*cols).where(at >= window.start, at <= end).order_by(at.desc()).limit(MAX_ROWS)
            rows = conn.execute(stmt).all()
            window.truncated |= len(rows) == MAX_ROWS
            setattr(window, name, rows)
    return window


# ---------------------------------------------------------------------------- groups


class Groups:
    """Searches grouped by restored wording; typed wordings point at their group."""

    def __init__(self, searches: list[Any]) -> None:
        self.count: Counter[str] = Counter()
        self.no_match: Counter[str] = Counter()
        self.wordings: dict[str, Counter[str]] = defaultdict(Counter)
        self.restored: dict[str, str] = {}
        self.alias: dict[str, str] = {}
        for row in searches:
            group = key(row.restored) or key(row.query)
            self.count[group] += 1
            self.no_match[group] += bool(row.no_match)
            self.wordings[group][row.query.strip()] += 1
            self.restored.setdefault(group, row.restored)
            self.alias[key(row.query)] = group

    def of(self, text: str | None) -> str:
        k = key(text)
        return self.alias.get(k, k)

    def wording(self, group: str) -> str:
        counts = self.wordings.get(group)
        return counts.most_common(1)[0][0] if counts else group


def per_day(searches: list[Any], start: datetime, end: datetime) -> list[dict[str, Any]]:
    totals: Counter[date] = Counter()
    misses: Counter[date] = Counter()
    for row in searches:
        totals[row.at.date()] += 1
        misses[row.at.date()] += bool(row.no_match)
    days, day = [], start.date()
    while day <= end.date():
        days.append({"date": day.isoformat(), "searches": totals[day], "no_match": misses[day]})
        day += timedelta(days=1)
    return days


# ---------------------------------------------------------------------------- clustering


def cluster(texts: list[str], weights: list[int], encode: Encode | None,
            threshold: float = CLUSTER_THRESHOLD) -> list[dict[str, Any]]:
    """Group texts by meaning: each text joins the most similar cluster centroid at ≥ ``threshold`` (texts
    taken by weight, heaviest first), else starts one. Without an encoder each text is its own cluster."""
    if not texts:
        return []
    order = sorted(range(len(texts)), key=lambda i: (-weights[i], texts[i]))
    vectors = np.asarray(encode([texts[i] for i in order]), dtype=np.float32) if encode else None
    members: list[list[int]] = []
    sums: list[np.ndarray] = []
    for pos, i in enumerate(order):
        best, best_sim = -1, threshold
        if vectors is not None and sums:
            cents = np.stack(sums)
            cents /= np.linalg.norm(cents, axis=1, keepdims=True) + 1e-12
            sims = cents @ vectors[pos]
            j = int(np.argmax(sims))
            best, best_sim = (j, float(sims[j])) if sims[j] >= threshold else (-1, best_sim)
        if best < 0:
            members.append([pos])
            sums.append(vectors[pos] * weights[i] if vectors is not None else np.zeros(1))
        else:
            members[best].append(pos)
            sums[best] = sums[best] + vectors[pos] * weights[i]  # type: ignore[index]
    out = []
    for group, total in zip(members, sums, strict=True):
        centre = total / (np.linalg.norm(total) + 1e-12)
        sims = [float(vectors[p] @ centre) if vectors is not None else 1.0 for p in group]
        typical = group[int(np.argmax([s + 1e-6 * weights[order[p]] for p, s in zip(group, sims, strict=True)]))]
        ranked = sorted(group, key=lambda p: (-weights[order[p]], texts[order[p]]))
        out.append({"typical": texts[order[typical]], "size": sum(weights[order[p]] for p in group),
                    "distinct": len(group), "examples": [texts[order[p]] for p in ranked[:5]]})
    return sorted(out, key=lambda c: (-c["size"], c["typical"]))


# ---------------------------------------------------------------------------- sections


def _feedback_by_group(groups: Groups, feedback: list[Any]) -> tuple[Counter[str], Counter[str]]:
    down: Counter[str] = Counter()
    up: Counter[str] = Counter()
    for row in feedback:
        (up if row.helpful else down)[groups.of(row.query)] += 1
    return down, up


def _sections(w: Window, encode: Encode | None, titles: dict[str, str]) -> dict[str, Any]:
    groups = Groups(w.searches)
    clicked: Counter[str] = Counter(groups.of(r.query) for r in w.clicks if r.query)
    down, up = _feedback_by_group(groups, w.feedback)
    top = [{"query": groups.wording(g), "restored": groups.restored[g], "searches": n, "no_match": groups.no_match[g],
            "clicks": clicked[g], "down": down[g], "up": up[g]} for g, n in groups.count.most_common(TOP)]
    missing = [(g, n) for g, n in groups.no_match.most_common(MAX_CLUSTERED) if n]
    clusters = cluster([groups.restored[g] for g, _ in missing], [n for _, n in missing], encode)
    for c in clusters:  # show what people typed, not the restored form
        back = {groups.restored[g]: groups.wording(g) for g, _ in missing}
        c["typical"] = back.get(c["typical"], c["typical"])
        c["examples"] = [back.get(e, e) for e in c["examples"]]
    unhelpful = sorted(({"query": groups.wording(g) if g in groups.count else g, "down": n, "up": up[g],
                         "searches": groups.count[g]} for g, n in down.items()),
                       key=lambda r: (-r["down"], r["up"], r["query"]))[:TOP]
    no_click = [{"query": groups.wording(g), "searches": n} for g, n in groups.count.most_common()
                if not clicked[g] and groups.no_match[g] < n][:TOP]
    opened = Counter(r.item_id for r in w.clicks if r.kind == "open" and r.item_id)
    sources = Counter(r.item_id for r in w.clicks if r.kind == "source" and r.item_id)
    comments = [{"at": r.at.isoformat(timespec="minutes") + "Z", "query": r.query, "helpful": r.helpful,
                 "item_id": r.item_id, "comment": r.comment} for r in w.feedback if r.comment][:50]
    return {
        "top_queries": top,
        "no_match_clusters": clusters,
        "clustering": "meaning (encoder)" if encode else "exact wording (no encoder)",
        "unhelpful_queries": unhelpful,
        "no_click_queries": no_click,
        "most_opened": [{"item_id": i, "title": titles.get(i), "opens": n, "source_clicks": sources[i]}
                        for i, n in opened.most_common(TOP)],
        "comments": comments,
        "recommend": _recommend_summary(w.recommends),
    }


def _recommend_summary(rows: list[Any]) -> dict[str, Any]:
    provinces: Counter[str] = Counter()
    sectors: Counter[str] = Counter()
    for row in rows:
        profile = row.profile or {}
        if profile.get("province"):
            provinces[str(profile["province"])] += 1
        sectors.update(str(s) for s in profile.get("sectors", []) or [])
    return {"count": len(rows), "top_provinces": provinces.most_common(10), "top_sectors": sectors.most_common(10)}


def build_report(engine: Engine, days: int = 30, encode: Encode | None = None,
                 titles: dict[str, str] | None = None, status: dict[str, Any] | None = None,
                 now: datetime | None = None) -> dict[str, Any]:
    """The whole report for the last ``days`` days (JSON-ready)."""
    w = load_window(engine, days, now)
    latencies = sorted(r.latency_ms for r in w.searches)
    totals = {
        "searches": len(w.searches),
        "no_match": sum(bool(r.no_match) for r in w.searches),
        "recommends": len(w.recommends),
        "opens": sum(r.kind == "open" for r in w.clicks),
        "source_clicks": sum(r.kind == "source" for r in w.clicks),
        "helpful": sum(bool(r.helpful) for r in w.feedback),
        "unhelpful": sum(not r.helpful for r in w.feedback),
        "latency_p50_ms": round(latencies[len(latencies) // 2], 1) if latencies else None,
    }
    return {
        "period": {"days": days, "from": w.start.isoformat(timespec="seconds") + "Z",
                   "to": w.end.isoformat(timespec="seconds") + "Z", "truncated": w.truncated},
        "totals": totals,
        "per_day": per_day(w.searches, w.start, w.end),
        **_sections(w, encode, titles or {}),
        "recorder": status,
    }
