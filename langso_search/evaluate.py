"""Evaluate: score the engine on labelled queries, per style, beside its two single-retriever baselines.

Queries live in ``data/eval/queries.jsonl``: ``{"id", "query", "style", "relevant": {item_id: grade}}``
with grades 3 (best answer), 2 (also answers) and 1 (partially relevant). An item counts as a hit
when its grade is ≥ 2. Metrics: hit@1/3/5, MRR@10, nDCG@10 (gain 2^grade − 1).

Systems compared in one run:

* ``bm25``: lexical only (BM25 over folded syllables and compounds);
* ``dense``: the bundled e5 on the query as typed (no restoration, no abbreviation expansion);
* ``ours``: the full pipeline (expansion, restoration, adaptive fusion with name matching).

Plus the accent gap (MRR of accented queries minus MRR of the same queries with marks stripped) and
the syllable accuracy of diacritic restoration on the accented queries stripped of marks; and honesty
(:func:`honesty_metrics`): out-of-scope queries flagged ``no_match``, answerable ones wrongly flagged,
the share of "cùng bài toán" claims judged true in ``data/eval/reasons.jsonl``, and how often a story
and a platform share the top 3 (with MRR@10 with and without that mix step).

This module runs the evaluation; its parts live beside it: :mod:`.eval_queries` (the labelled files),
:mod:`.eval_metrics` (metrics and the systems' rankings), :mod:`.eval_honesty` and :mod:`.eval_report`
(the printed table). The names below are re-exported so ``from langso_search.evaluate import …`` finds
them all.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .eval_honesty import flag_rate, honesty_metrics, mix_metrics, reason_precision
from .eval_metrics import METRICS, SYSTEMS, mean_metrics, query_metrics, rank
from .eval_queries import SAME_PROBLEM_CLAIM, EvalQuery, ReasonLabel, load_queries, load_reasons, query_files
from .eval_report import format_dialect, format_honesty, format_table
from .restore import Restorer, syllable_accuracy, syllable_accuracy_pairs
from .search import Engine
from .text import accent_ratio, fold
from .vocab import QUERY_STYLES

__all__ = [
    "METRICS", "SAME_PROBLEM_CLAIM", "SYSTEMS", "EvalQuery", "EvalReport", "ReasonLabel", "dialect_restoration",
    "evaluate", "flag_rate", "format_dialect", "format_honesty", "format_table", "honesty_metrics", "load_queries",
    "load_reasons", "mean_metrics", "mix_metrics", "query_files", "query_metrics", "rank", "reason_precision",
    "restoration_by_style",
]


@dataclass
class EvalReport:
    n_queries: int
    table: dict[str, dict[str, dict[str, float]]]  # system -> style ("all" too) -> metric -> value
    counts: dict[str, int]
    accent_gap: dict[str, float]
    restoration: dict[str, float]
    per_query: list[dict[str, Any]] = field(default_factory=list)
    honesty: dict[str, float] = field(default_factory=dict)  # see honesty_metrics

    def to_json(self) -> dict[str, Any]:
        return {"n_queries": self.n_queries, "counts": self.counts, "table": self.table,
                "accent_gap": self.accent_gap, "restoration": self.restoration, "honesty": self.honesty}


def evaluate(
    engine: Engine,
    queries: list[EvalQuery],
    systems: Iterable[str] = SYSTEMS,
    progress: Callable[[int], None] | None = None,
) -> EvalReport:
    """Score every system on every query; per style and overall, plus accent gap and restoration."""
    systems = list(systems)
    per_style: dict[str, dict[str, list[dict[str, float]]]] = {s: defaultdict(list) for s in systems}
    per_query: list[dict[str, Any]] = []
    for q in queries:
        row: dict[str, Any] = {"id": q.id, "style": q.style, "query": q.query}
        for system in systems:
            ranking = rank(engine, q.query, system)
            m = query_metrics(ranking, q.relevant)
            per_style[system][q.style].append(m)
            per_style[system]["all"].append(m)
            row[system] = {"mrr@10": m["mrr@10"], "top3": ranking[:3]}
        per_query.append(row)
        if progress:
            progress(1)
    table = {s: {style: mean_metrics(rows) for style, rows in styles.items()} for s, styles in per_style.items()}
    counts = {style: len(rows) for style, rows in per_style[systems[0]].items()}

    accented = [q for q in queries if accent_ratio(q.query) >= 0.5]
    gap: dict[str, float] = {"n": float(len(accented))}
    if accented and "ours" in systems:
        with_marks = mean_metrics(query_metrics(rank(engine, q.query, "ours"), q.relevant) for q in accented)
        stripped = mean_metrics(query_metrics(rank(engine, fold(q.query), "ours"), q.relevant) for q in accented)
        gap.update({"mrr_accented": with_marks["mrr@10"], "mrr_stripped": stripped["mrr@10"],
                    "gap": with_marks["mrr@10"] - stripped["mrr@10"]})
    honesty = honesty_metrics(engine, queries) if "ours" in systems else {}
    return EvalReport(len(queries), table, counts, gap, restoration_by_style(engine.built.restorer, queries),
                      per_query, honesty)


def restoration_by_style(restorer: Restorer, queries: list[EvalQuery]) -> dict[str, float]:
    """Syllable accuracy of restoring the accented queries stripped of marks: overall and per style."""
    accented = [q for q in queries if accent_ratio(q.query) >= 0.5]
    out: dict[str, float] = {}
    right = total = 0.0
    for style in sorted({q.style for q in accented}, key=lambda s: (s not in QUERY_STYLES, s)):
        acc, n = syllable_accuracy(restorer, [q.query for q in accented if q.style == style])
        out[f"style:{style}"], out[f"syllables:{style}"] = acc, float(n)
        right, total = right + acc * n, total + n
    # every query belongs to one style: the overall share is the syllable-weighted mean of the styles
    return {"syllable_accuracy": right / total if total else 0.0, "syllables": total, **out}


def dialect_restoration(restorer: Restorer, path: Path) -> dict[str, float]:
    """On the dialect set (``{"query", "intended", "region"}`` lines): share of the intended syllables
    that restoring the query as typed gets right, overall and per region. Report only: never tune on it."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    out: dict[str, float] = {}
    for region in ["all", *sorted({str(r.get("region", "")) for r in rows})]:
        pairs = [(r["query"], r["intended"]) for r in rows if region == "all" or r.get("region") == region]
        out[f"{region}"], out[f"syllables:{region}"] = syllable_accuracy_pairs(restorer, pairs)
    return out
