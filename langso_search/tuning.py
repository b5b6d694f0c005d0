"""Tuning: grid-search the fusion weights on the development queries (``langso eval --tune``).

Returns candidate :class:`~langso_search.fusion.FusionWeights`; the engine's own weights are never
changed (a running engine stays as shipped while a tuning runs next to it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from .eval_metrics import mean_metrics, query_metrics, rank
from .eval_queries import EvalQuery
from .fusion import fuse, maxnorm, minmax
from .search import Engine

# around the shipped FusionWeights (dense 0.25, dense_restored 0.45, dense_long_bonus 0, name 0.2)
DEFAULT_GRID: dict[str, tuple[float, ...]] = {
    "dense": (0.15, 0.25, 0.35, 0.45),
    "dense_restored": (0.35, 0.45, 0.55, 0.65),
    "dense_long_bonus": (0.0, 0.15),
    "name": (0.0, 0.2, 0.4),
}


def tune(engine: Engine, queries: list[EvalQuery], grid: dict[str, Iterable[float]] | None = None) -> list[dict[str, Any]]:
    """Grid-search the fusion weights on ``queries`` (the development set only) and rank the settings.

    Retriever scores are computed once per query; only the fusion is recomputed per setting. The
    objective is the macro MRR@10 over styles (each style counts the same), ties broken by overall
    MRR@10, after the first criterion: in how many styles the fusion is at least as good as both
    single retrievers. Returns every setting with its scores, best first; ``row["fusion"]`` is the
    complete :class:`FusionWeights` of a row (the engine's own weights are never changed).

    The default grid brackets the shipped weights (each shipped value has a neighbour on both sides).
    """
    from itertools import product

    grid = grid or DEFAULT_GRID
    parts = []
    for q in queries:
        a = engine.analyse(q.query)
        parts.append((q, a, minmax(engine.dense_scores(a)), maxnorm(engine.lexical_scores(a)), engine.name_scores(a)))
    by_style: dict[str, list[EvalQuery]] = defaultdict(list)
    for q in queries:
        by_style[q.style].append(q)
    baselines = {  # the better single retriever, per style
        style: max(mean_metrics(query_metrics(rank(engine, q.query, system), q.relevant) for q in qs)["mrr@10"]
                   for system in ("bm25", "dense"))
        for style, qs in by_style.items()
    }
    keys = list(grid)
    results = []
    for values in product(*(grid[k] for k in keys)):
        weights = replace(engine.weights, **dict(zip(keys, values)))
        per_style: dict[str, list[float]] = defaultdict(list)
        for q, a, dense, lexical, name in parts:
            fused = fuse(weights, a, dense, lexical, name)
            ranking = [engine.items[i].id for i in fused.argsort(kind="stable")[::-1][:10]]
            per_style[q.style].append(query_metrics(ranking, q.relevant)["mrr@10"])
        macro = sum(sum(v) / len(v) for v in per_style.values()) / len(per_style)
        overall = sum(sum(v) for v in per_style.values()) / sum(len(v) for v in per_style.values())
        styles = {s: sum(v) / len(v) for s, v in per_style.items()}
        not_worse = sum(styles[s] >= baselines[s] - 1e-9 for s in styles)
        results.append({"weights": dict(zip(keys, values)), "fusion": weights, "styles_not_worse": not_worse,
                        "macro_mrr": macro, "mrr": overall, "per_style": styles})
    results.sort(key=lambda r: (-r["styles_not_worse"], -r["macro_mrr"], -r["mrr"]))
    return results
