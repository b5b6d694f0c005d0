"""Latency rounds: the bare encoder, the in-process engine and HTTP, interleaved on the same queries.

Each round shuffles the 40 queries and runs three blocks (encoder | in-process | HTTP, then the HTTP
repeats and /api/health); the block order rotates between rounds so slow drifts of the machine hit
every block alike. Every query text is unique in the run (``unique``), so no cache can hit except
where a repeat is measured on purpose.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

import httpx
import psutil

from .common import QUERIES, ms_stats, pct, unique
from .context import Ctx

Block = Callable[[list[int], httpx.Client], None]


class Recorder:
    """Wall times per kind and per query style, CPU seconds per kind."""

    def __init__(self, server_pid: int) -> None:
        self.wall: dict[str, list[float]] = {k: [] for k in ("encoder", "in_process", "in_process_repeat", "http",
                                                              "http_repeat", "server_took", "http_health")}
        self.cpu: dict[str, float] = {k: 0.0 for k in ("encoder", "in_process", "server_http", "server_http_repeat")}
        self.errors: list[str] = []
        self.per_style: dict[str, dict[str, list[float]]] = {}
        self._server = psutil.Process(server_pid)

    def note(self, kind: str, i: int, dt: float) -> None:
        self.wall[kind].append(dt)
        self.per_style.setdefault(QUERIES[i][0], {}).setdefault(kind, []).append(dt)

    def server_cpu(self) -> float:
        t = self._server.cpu_times()
        return t.user + t.system + t.children_user + t.children_system


def blocks(ctx: Ctx, rec: Recorder) -> list[Block]:
    engine, embedder = ctx.engine, ctx.embedder

    def encoder(order: list[int], _client: httpx.Client) -> None:
        # the reference: the restored text the engine would encode, one query per call, no cache
        texts = [engine.analyse(unique(QUERIES[i][1])).restored for i in order]
        for i, text in zip(order, texts):
            c0, t0 = time.process_time(), time.perf_counter()
            embedder.encode_queries([text])
            rec.note("encoder", i, time.perf_counter() - t0)
            rec.cpu["encoder"] += time.process_time() - c0
            ctx.advance()

    def in_process(order: list[int], _client: httpx.Client) -> None:
        for i, q in zip(order, [unique(QUERIES[i][1]) for i in order]):
            c0, t0 = time.process_time(), time.perf_counter()
            engine.search(q)
            rec.note("in_process", i, time.perf_counter() - t0)
            rec.cpu["in_process"] += time.process_time() - c0
            t0 = time.perf_counter()
            engine.search(q)  # same text again: query-vector cache and result cache hit
            rec.wall["in_process_repeat"].append(time.perf_counter() - t0)
            ctx.advance()

    def http(order: list[int], client: httpx.Client) -> None:
        texts = [unique(QUERIES[i][1]) for i in order]
        c0 = rec.server_cpu()
        for i, q in zip(order, texts):
            t0 = time.perf_counter()
            r = client.get("/api/search", params={"q": q})
            dt = time.perf_counter() - t0
            if r.status_code != 200:
                rec.errors.append(f"{r.status_code} {r.text[:200]}")
                continue
            rec.note("http", i, dt)
            rec.wall["server_took"].append(r.json()["took_ms"] / 1000)
            ctx.advance()
        c1 = rec.server_cpu()
        for q in texts:  # the same queries again: cache hits
            t0 = time.perf_counter()
            if client.get("/api/search", params={"q": q}).status_code == 200:
                rec.wall["http_repeat"].append(time.perf_counter() - t0)
        rec.cpu["server_http"] += c1 - c0
        rec.cpu["server_http_repeat"] += rec.server_cpu() - c1
        for _ in texts:  # the floor: client, loopback, uvicorn, middlewares, an async endpoint
            t0 = time.perf_counter()
            client.get("/api/health")
            rec.wall["http_health"].append(time.perf_counter() - t0)

    return [encoder, in_process, http]


def latency(ctx: Ctx) -> None:
    ctx.sampler.phase = "latency"
    n_q = len(QUERIES)
    ctx.phase("latency rounds (encoder | in-process | HTTP unique, then repeat)", ctx.cfg.rounds * n_q * 3)
    rec = Recorder(ctx.server.pid)
    order_of_blocks = blocks(ctx, rec)
    rng = random.Random(7)
    rounds_done = 0
    with httpx.Client(base_url=ctx.base_url, timeout=120.0) as client:
        for _style, q in QUERIES[::8]:  # warm-ups of every path
            ctx.embedder.encode_queries([ctx.engine.analyse(unique(q)).restored])
            ctx.engine.search(unique(q))
            client.get("/api/search", params={"q": unique(q)})
        for r_i in range(ctx.cfg.rounds):
            # keep ~150 s for throughput, profile and the ANN scale; at least 2 rounds either way
            if r_i >= 2 and not ctx.cfg.quick and ctx.budget.left() < 150 + 45:
                ctx.console.log(f"[yellow]time budget: stopping latency after {r_i} rounds")
                break
            rounds_done += 1
            order = list(range(n_q))
            rng.shuffle(order)
            for block in order_of_blocks[r_i % 3:] + order_of_blocks[: r_i % 3]:
                block(order, client)
    lat = summarise(rec, rounds_done * n_q)
    lat["rounds"] = rounds_done
    ctx.res.details["latency"] = lat
    ctx.done(f"encoder p50 {lat['encoder']['p50_ms']:.1f} ms | in-process {lat['in_process_search']['p50_ms']:.1f}"
             f" | HTTP {lat['http_search']['p50_ms']:.1f} (p99 {lat['http_search']['p99_ms']:.1f})"
             f" | repeat {lat['http_repeat']['p50_ms']:.2f} ms | CPU ms/call {lat['cpu_ms_per_call']}")


def summarise(rec: Recorder, n_calls: int) -> dict[str, Any]:
    w, cpu = rec.wall, rec.cpu
    return {
        "encoder": ms_stats(w["encoder"]), "in_process_search": ms_stats(w["in_process"]),
        "in_process_repeat": ms_stats(w["in_process_repeat"]), "http_search": ms_stats(w["http"]),
        "http_repeat": ms_stats(w["http_repeat"]), "http_health": ms_stats(w["http_health"]),
        "server_took_ms": ms_stats(w["server_took"]),
        "cpu_ms_per_call": {"encoder (bench process)": round(cpu["encoder"] / n_calls * 1000, 2),
                            "in_process_search (bench process)": round(cpu["in_process"] / n_calls * 1000, 2),
                            "server per unique request": round(cpu["server_http"] / n_calls * 1000, 2),
                            "server per repeated request": round(cpu["server_http_repeat"] / n_calls * 1000, 2)},
        "http_errors": len(rec.errors), "http_error_samples": rec.errors[:3],
        "per_style_p50_ms": {s: {k: round(pct(v, 50) * 1000, 2) for k, v in d.items()}
                             for s, d in rec.per_style.items()},
    }
