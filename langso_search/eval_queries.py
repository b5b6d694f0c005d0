"""The labelled evaluation files of ``data/eval``: queries (``queries.jsonl``, ``heldout.jsonl``,
``dialect.jsonl``, ``out_of_scope.jsonl``) and the hand-judged reason claims (``reasons.jsonl``).

A query line is ``{"id", "query", "style", "relevant": {item_id: grade}}`` with grades 3 (best answer),
2 (also answers) and 1 (partially relevant); :func:`load_queries` validates every line and raises
:class:`~langso_search.corpus.CorpusInvalid` naming the file, query id and field of each error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .corpus import Corpus, CorpusError, CorpusInvalid
from .vocab import QUERY_STYLES

SAME_PROBLEM_CLAIM = "cùng bài toán"


@dataclass(frozen=True)
class EvalQuery:
    id: str
    query: str
    style: str
    relevant: dict[str, int]


def load_queries(path: Path, corpus: Corpus | None = None, styles: tuple[str, ...] = QUERY_STYLES) -> list[EvalQuery]:
    """Read and validate the labelled queries (styles, grades, ids that resolve)."""
    errors: list[CorpusError] = []
    queries: list[EvalQuery] = []
    seen: set[str] = set()
    rel = path.name
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            q = EvalQuery(str(raw["id"]), str(raw["query"]), str(raw["style"]),
                          {str(k): int(v) for k, v in dict(raw.get("relevant", {})).items()})
        except (ValueError, KeyError, TypeError) as exc:
            errors.append(CorpusError(rel, f"line {n}", "(line)", f"not a valid query object: {exc}"))
            continue
        if q.id in seen:
            errors.append(CorpusError(rel, q.id, "id", "duplicate query id"))
        seen.add(q.id)
        if q.style not in styles:
            errors.append(CorpusError(rel, q.id, "style", f"unknown style {q.style!r}; allowed: {styles}"))
        if not q.query.strip():
            errors.append(CorpusError(rel, q.id, "query", "empty"))
        if q.style == "out_of_scope":
            if q.relevant:
                errors.append(CorpusError(rel, q.id, "relevant", "an out-of-scope query has no relevant items"))
        elif not any(g >= 2 for g in q.relevant.values()):
            errors.append(CorpusError(rel, q.id, "relevant", "needs at least one item with grade ≥ 2"))
        for item_id, grade in q.relevant.items():
            if grade not in (1, 2, 3):
                errors.append(CorpusError(rel, q.id, f"relevant.{item_id}", f"grade {grade} not in 1–3"))
            if corpus is not None and corpus.get(item_id) is None:
                errors.append(CorpusError(rel, q.id, f"relevant.{item_id}", "unknown item id"))
        queries.append(q)
    if errors:
        raise CorpusInvalid(errors)
    return queries


def query_files(folder: Path) -> list[Path]:
    """The labelled query files of ``data/eval`` (not the reason labels)."""
    return [p for p in sorted(folder.glob("*.jsonl")) if p.name != "reasons.jsonl"]


@dataclass(frozen=True)
class ReasonLabel:
    """One reason claim judged by hand: is ``claim`` true of ``item`` for ``request``?"""

    id: str
    request_id: str
    request: dict[str, Any]
    item: str
    claim: str
    true: bool
    why: str


def load_reasons(path: Path) -> list[ReasonLabel]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [ReasonLabel(r["id"], r["request_id"], r["request"], r["item"], r["claim"], bool(r["true"]), r["why"])
            for r in rows]
