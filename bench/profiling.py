"""cProfile of the in-process search path, with a named breakdown per pipeline step."""

from __future__ import annotations

import cProfile
import io
import pstats
import time
from pathlib import Path
from typing import Any

from .common import QUERIES, unique

PROFILE_KEYS = {
    "analyse (normalise, teencode, restore, tokenise)": ("query.py", "analyse"),
    "dense_scores (incl. encoder)": ("search.py", "dense_scores"),
    "  encoder (encode_queries)": ("embed.py", "encode_queries"),
    "lexical_scores (BM25)": ("search.py", "lexical_scores"),
    "name_scores (names, fuzzy)": ("search.py", "name_scores"),
    "snippet (per hit)": ("search.py", "snippet"),
    "count_facets": ("search.py", "count_facets"),
}


def profile_search(engine: Any, n: int) -> dict[str, Any]:
    """cProfile of ``engine.search`` over ``n`` unique queries: top functions and a named breakdown."""
    texts = [unique(QUERIES[i % len(QUERIES)][1]) for i in range(n)]
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    for t in texts:
        engine.search(t)
    prof.disable()
    wall = time.perf_counter() - t0
    stats = pstats.Stats(prof)
    total = sum(v[3] for k, v in stats.stats.items() if k[2] == "search" and k[0].endswith("search.py"))
    named = {}
    for label, (fname, func) in PROFILE_KEYS.items():
        cum = sum(v[3] for k, v in stats.stats.items() if k[0].endswith(fname) and k[2] == func)
        named[label] = {"ms_per_query": round(cum / n * 1000, 3), "share": round(cum / total, 3) if total else None}
    rows = []
    for key, (cc, nc, tt, ct, _callers) in stats.stats.items():
        rows.append({"function": f"{Path(key[0]).name}:{key[1]}({key[2]})", "calls": nc,
                     "tottime_ms_per_query": round(tt / n * 1000, 3), "cumtime_ms_per_query": round(ct / n * 1000, 3)})
    by_tot = sorted(rows, key=lambda r: -r["tottime_ms_per_query"])[:15]
    text = io.StringIO()
    pstats.Stats(prof, stream=text).sort_stats("cumulative").print_stats(25)
    return {"queries": n, "wall_ms_per_query_profiled": round(wall / n * 1000, 3),
            "search_cum_ms_per_query": round(total / n * 1000, 3), "breakdown": named, "top_tottime": by_tot,
            "pstats_cumulative": text.getvalue()}
