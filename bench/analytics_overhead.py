#!/usr/bin/env python
"""What analytics costs a search: p50 latency of GET /api/search with analytics on vs off, same run.

    python bench/analytics_overhead.py            # full corpus (index/ built first if stale), 300 queries
    python bench/analytics_overhead.py --quick    # the 22-item test fixture corpus, 120 queries

Two apps over two engines loaded from the same index (separate result and embedding caches, so every
query is a cache miss in both), served in-process through the whole HTTP stack (FastAPI TestClient).
Each dev query (data/eval/queries.jsonl, never the held-out set) is sent to both apps in a random order,
so drift on the shared machine hits both sides alike. "On" writes to a temporary SQLite file through
the real background writer (scrubbing, batching, inserting while the searches run). Target: on/off
p50 ratio ≤ 1.05. Also: the paired per-query median ratio and the process CPU per search (both far less
noisy than p50 on a loaded machine), the bare ``Recorder.record`` call, and the whole cost of one event.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient

from langso_search.api import create_app
from langso_search.embed import make_embedder
from langso_search.pipeline import EngineHolder, open_engine
from langso_search.search import Engine
from langso_search.settings import Settings, get_settings

TARGET = 1.05


def queries(n: int, seed: int) -> list[str]:
    lines = (ROOT / "data" / "eval" / "queries.jsonl").read_text(encoding="utf-8").splitlines()
    texts = [json.loads(line)["query"] for line in lines if line.strip()]
    random.Random(seed).shuffle(texts)
    return texts[:n]


def app_for(settings: Settings, engine: Engine) -> TestClient:
    holder = EngineHolder(settings)
    holder.engine = engine
    return TestClient(create_app(settings, holder))


def timed_get(client: TestClient, q: str) -> tuple[float, float]:
    """Wall milliseconds of one search, and the process CPU milliseconds spent meanwhile (every thread:
    the writer's work is charged to the searches it overlaps, which is the cost analytics adds)."""
    cpu, started = time.process_time(), time.perf_counter()
    resp = client.get("/api/search", params={"q": q, "k": 10})
    elapsed = (time.perf_counter() - started) * 1000
    assert resp.status_code == 200, resp.text
    return elapsed, (time.process_time() - cpu) * 1000


def record_cost(client: TestClient, n: int = 2000) -> tuple[float, float]:
    """Microseconds per event: the bare ``Recorder.record`` call a request pays (a burst of 100, shorter than
    the writer's sleep), and the whole cost (call + background scrub and insert: 2000 events written)."""
    rec = client.app.state.analytics
    event = {"query": "ban cam qua mang 0912 345 678", "restored": "bán cam qua mạng 0912 345 678", "accented": False,
             "filters": {}, "no_match": False, "confidence": 0.9, "ids": ["voso"] * 10, "total": 10,
             "latency_ms": 20.0}
    rec.flush(60)
    started = time.perf_counter()
    for _ in range(100):
        rec.record("search", event)
    bare = (time.perf_counter() - started) / 100 * 1e6
    rec.flush(60)
    started = time.perf_counter()
    for _ in range(n):
        rec.record("search", event)
    rec.flush(120)
    return bare, (time.perf_counter() - started) / n * 1e6


def paired_runs(c_on: TestClient, c_off: TestClient, texts: list[str], seed: int
                ) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Each query sent to both apps in a random order: wall and process-CPU milliseconds per side."""
    clients = {"on": c_on, "off": c_off}
    times: dict[str, list[float]] = {"on": [], "off": []}
    cpu: dict[str, list[float]] = {"on": [], "off": []}
    for q in ("toi muon ban cam", "tàu cá mất liên lạc"):  # warm both (lazy loads, first write)
        timed_get(c_on, q), timed_get(c_off, q)
    order = random.Random(seed)
    for q in texts:
        sides = ["on", "off"]
        order.shuffle(sides)
        for side in sides:
            wall, used = timed_get(clients[side], q)
            times[side].append(wall)
            cpu[side].append(used)
    return times, cpu


def summary(times: dict[str, list[float]], cpu: dict[str, list[float]]) -> dict[str, float | list[float]]:
    """p50, quartiles and means per side, the paired median ratio and the CPU per search."""
    p50 = {side: statistics.median(values) for side, values in times.items()}
    return {
        "p50_ms_off": round(p50["off"], 2),
        "p50_ms_on": round(p50["on"], 2),
        "ratio_p50": round(p50["on"] / p50["off"], 3),
        "quartiles_ms_off": [round(x, 1) for x in statistics.quantiles(times["off"], n=4)],
        "quartiles_ms_on": [round(x, 1) for x in statistics.quantiles(times["on"], n=4)],
        "mean_ms_off": round(statistics.fmean(times["off"]), 2),
        "mean_ms_on": round(statistics.fmean(times["on"]), 2),
        # the same query on both sides: less sensitive to which queries happen to be slow
        "paired_median_ratio": round(statistics.median(a / b for a, b in zip(times["on"], times["off"],
                                                                               strict=True)), 3),
        # CPU time of the whole process per search (all threads): robust to other load on the machine
        "cpu_ms_per_search_off": round(statistics.fmean(cpu["off"]), 2),
        "cpu_ms_per_search_on": round(statistics.fmean(cpu["on"]), 2),
        "cpu_ratio": round(statistics.fmean(cpu["on"]) / statistics.fmean(cpu["off"]), 3),
    }


def measure(args: argparse.Namespace, n: int, tmp: str) -> dict[str, Any]:
    """Two engines from one index, one app with analytics off and one with it on (SQLite in ``tmp``)."""
    base = get_settings()
    if args.quick:
        from tests.conftest import copy_fixture_corpus

        base = Settings(**{**base.model_dump(), "data_dir": copy_fixture_corpus(Path(tmp) / "data"),
                           "index_dir": Path(tmp) / "index"})
    embedder = make_embedder(base)
    engine_off, _ = open_engine(base, embedder)
    engine_on, _ = open_engine(base, embedder, build=False)
    off = Settings(**{**base.model_dump(), "analytics": False})
    on = Settings(**{**base.model_dump(), "analytics": True, "analytics_url": f"sqlite:///{tmp}/bench.sqlite3"})
    with app_for(off, engine_off) as c_off, app_for(on, engine_on) as c_on:
        times, cpu = paired_runs(c_on, c_off, queries(n, args.seed), args.seed)
        c_on.app.state.analytics.flush(60)
        status = c_on.app.state.analytics.status()
        bare_us, whole_us = record_cost(c_on)
    return {
        "corpus": "fixture (22 items)" if args.quick else "full",
        "queries": n,
        **summary(times, cpu),
        "record_call_us": round(bare_us, 1),
        "event_cost_us_with_writer": round(whole_us, 1),
        "written": status["written"], "dropped": status["dropped"], "lost": status["lost"],
        "target_ratio": TARGET,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="Small fixture corpus, fewer queries")
    parser.add_argument("--n", type=int, default=None, help="Queries (each sent to both apps)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--out", type=Path, default=None, help="Also write the numbers as JSON here")
    args = parser.parse_args()
    n = args.n or (120 if args.quick else 300)
    with tempfile.TemporaryDirectory(prefix="langso-bench-analytics-") as tmp:
        result = measure(args, n, tmp)
    print(json.dumps(result, indent=2, ensure_ascii=False))
    verdict = "OK" if result["ratio_p50"] <= TARGET else "OVER TARGET"
    print(f"analytics on/off search p50: {result['p50_ms_on']} / {result['p50_ms_off']} ms = "
          f"{result['ratio_p50']} ({verdict}, target ≤ {TARGET}); paired median {result['paired_median_ratio']}; "
          f"CPU per search {result['cpu_ratio']}; load average {os.getloadavg()[0]:.1f}")
    if args.out:
        args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
