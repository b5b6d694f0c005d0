"""Before/after of the snippets + batched-readings + einsum change (issue 11), interleaved in one process
on the full index: snippet equivalence on real queries, in-process search p50 vs bare encoder p50, cProfile.
Run: PYTHONPATH=$PWD python bench/snippets_before_after.py [rounds]  (needs `langso build` first)."""
import json, os, statistics, sys, time
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
sys.path.insert(0, os.getcwd())
from bench.common import QUERIES, unique
from langso_search.embed import make_embedder
from langso_search.pipeline import open_engine
from langso_search.settings import Settings
from tests import snippets_reference as reference

settings = Settings()
embedder = make_embedder(settings)
engine, _ = open_engine(settings, embedder, build=False)
new_snippets = engine.snippets
ref = reference.Snippets(engine.items, new_snippets.compounds)
new_dense = engine.dense_scores

import numpy as np
from langso_search import confidence
from langso_search.arrays import best_two
new_best_cosine = confidence.best_cosine
BLAS = {"on": False}

def old_text_scores(text):
    if not BLAS["on"]:
        return engine._dense_text_scores(text)
    vec = engine.cache.encode(text).astype(np.float32)
    best, second = best_two(engine._matrix @ vec, engine._starts, engine._passage_item)
    return (best + engine.weights.second_passage * second).astype(np.float32)

def old_best_cosine(eng, q):
    if not q.restored.strip():
        return 0.0
    return float((eng._matrix @ eng.cache.encode(q.restored).astype(np.float32)).max())

def old_dense(q):
    if not q.alternatives:
        return old_text_scores(q.restored)
    total = sum(r.probability for r in q.readings)
    return sum(r.probability / total * old_text_scores(r.text) for r in q.readings)

def before():  # as on main: old snippets, one encoder call per reading, BLAS gemv
    engine.snippets = ref; engine.dense_scores = old_dense; BLAS["on"] = True; confidence.best_cosine = old_best_cosine
def after():
    engine.snippets = new_snippets; engine.__dict__.pop("dense_scores", None); BLAS["on"] = False; confidence.best_cosine = new_best_cosine
def snippets_only():  # new snippets and einsum, readings still encoded one call each
    after(); engine.dense_scores = old_dense

# 1. equivalence on the full corpus: bench queries + every 3rd dev query, top 20 rows, both widths
dev = [json.loads(l)["query"] for l in open("data/eval/queries.jsonl", encoding="utf-8")][::3]
texts = [t for _, t in QUERIES] + dev
n = diff = 0
for t in texts:
    for exact in (False, True):
        q = engine.analyse(t, exact=exact)
        after()
        fused, _ = engine.score(q, "hybrid")
        rows = [int(i) for i in np.argsort(-fused)[:20]]
        for r in rows:
            for w in (220, 80):
                n += 1
                diff += ref.snippet(r, q, w) != new_snippets.snippet(r, q, w)
print(f"equivalence: {n} (query x row x width) snippets compared, {diff} differ, queries={len(texts)}x2")

# 2. interleaved timing
rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
for t in [t for _, t in QUERIES][::8]:  # warm-up
    before(); engine.search(unique(t)); after(); engine.search(unique(t))
T = {"search_before": [], "search_after": [], "search_snippets_only": [], "encoder": [], "snip_before": [], "snip_after": [], "n_alt": 0}
for rnd in range(rounds):
    for i, (_, t) in enumerate(QUERIES):
        order = ["b", "a", "s", "e"] if (i + rnd) % 2 == 0 else ["a", "s", "b", "e"]
        for what in order:
            u = unique(t)
            if what == "e":
                text = engine.analyse(u).restored
                t0 = time.perf_counter(); embedder.encode_queries([text]); T["encoder"].append(time.perf_counter() - t0)
                continue
            {"b": before, "a": after, "s": snippets_only}[what]()
            t0 = time.perf_counter(); res = engine.search(u); dt = time.perf_counter() - t0
            T[{"b": "search_before", "a": "search_after", "s": "search_snippets_only"}[what]].append(dt)
            if what == "a":
                T["n_alt"] += bool(res.query.alternatives)
                rows = [engine.items.index(h.item) for h in res.hits]
                q = res.query
                q2 = engine.analyse(unique(t))  # fresh text so the (row, query) memo cannot hit
                t0 = time.perf_counter(); [ref.snippet(r, q2) for r in rows]; T["snip_before"].append(time.perf_counter() - t0)
                q3 = engine.analyse(unique(t))
                t0 = time.perf_counter(); [new_snippets.snippet(r, q3) for r in rows]; T["snip_after"].append(time.perf_counter() - t0)
after()
p50 = {k: statistics.median(v) * 1000 for k, v in T.items() if isinstance(v, list)}
print(json.dumps({k: round(v, 2) for k, v in p50.items()}), "queries with alternatives:", T["n_alt"], "/", rounds * len(QUERIES))
print(f"search p50 / encoder p50: before {p50['search_before']/p50['encoder']:.2f}x  after {p50['search_after']/p50['encoder']:.2f}x")

# 3. where the new path spends its time (cProfile, 40 unique queries)
import cProfile, pstats
after(); prof = cProfile.Profile(); prof.enable()
for _, t in QUERIES: engine.search(unique(t))
prof.disable()
st = pstats.Stats(prof)
for fname, func in [("search.py", "search"), ("embed.py", "encode_queries"), ("search.py", "dense_scores"), ("search.py", "snippet"), ("search.py", "analyse"), ("search.py", "lexical_scores"), ("search.py", "name_scores"), ("confidence.py", "assess"), ("facets.py", "counts"), ("search.py", "score"), ("search.py", "ranked")]:
    cum = sum(v[3] for k, v in st.stats.items() if k[0].endswith(fname) and k[2] == func)
    print(f"  {fname}:{func} {cum / len(QUERIES) * 1000:.2f} ms/query")
st.sort_stats("tottime").print_stats(12)
