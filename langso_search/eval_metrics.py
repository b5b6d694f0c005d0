"""Ranking metrics of one query (hit@1/3/5, MRR@10, nDCG@10 with gain 2^grade − 1; a hit is an item of
grade ≥ 2) and the rankings of the systems compared: ``bm25``, ``dense``, ``ours`` (and ``ours_unmixed``)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import replace

from .search import Engine
from .text import normalize

SYSTEMS = ("bm25", "dense", "ours")
METRICS = ("hit@1", "hit@3", "hit@5", "mrr@10", "ndcg@10")


def query_metrics(ranking: list[str], relevant: dict[str, int]) -> dict[str, float]:
    """hit@1/3/5, MRR@10 and nDCG@10 of one ranking."""
    hits = [relevant.get(item_id, 0) >= 2 for item_id in ranking[:10]]
    first = next((i for i, h in enumerate(hits) if h), None)
    dcg = sum((2 ** relevant.get(item_id, 0) - 1) / math.log2(i + 2) for i, item_id in enumerate(ranking[:10]))
    ideal = sorted(relevant.values(), reverse=True)[:10]
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return {
        "hit@1": float(first is not None and first < 1),
        "hit@3": float(first is not None and first < 3),
        "hit@5": float(first is not None and first < 5),
        "mrr@10": 1.0 / (first + 1) if first is not None else 0.0,
        "ndcg@10": dcg / idcg if idcg else 0.0,
    }


def mean_metrics(rows: Iterable[dict[str, float]]) -> dict[str, float]:
    rows = list(rows)
    return {m: sum(r[m] for r in rows) / len(rows) for m in METRICS} if rows else {m: 0.0 for m in METRICS}


def rank(engine: Engine, text: str, system: str, k: int = 10) -> list[str]:
    """The top ``k`` ids of one system for one query."""
    if system == "ours":
        return engine.rank_ids(text, "hybrid", k)
    if system == "ours_unmixed":  # ours without the story/platform mix in the top 3
        return engine.rank_ids(text, "hybrid", k, mix=False)
    if system == "bm25":
        return engine.rank_ids(text, "lexical", k)
    if system == "dense":  # the naive baseline: the query as typed, no expansion or restoration
        q = engine.analyse(text)
        q = replace(q, restored=normalize(text), alternatives=())
        fused, _ = engine.score(q, "dense")
        return [engine.items[i].id for i in fused.argsort()[::-1][:k]]
    raise ValueError(f"unknown system {system!r}")
