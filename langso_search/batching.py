"""Micro-batching of query encodes: concurrent requests share one encoder call, a lone one never waits.

The encoder has ``slots`` (model handles; one call at a time each). A caller that finds a slot free
encodes at once, in its own thread (no hand-off to another thread: on a busy machine every wake-up
of another thread costs a scheduler slice). Callers that arrive while every slot is busy queue up;
when an encode ends, the first queued caller is woken to encode *everything* queued (up to
``max_batch`` texts) in one call, and every caller gets its own rows. A caller's texts (the close
readings of one query) always stay in one call.

With several slots, a caller about to take a second slot while another is busy first waits at most
``window_ms`` for company (the micro-batching window). Whatever the slots, at most that many encodes
run at once, so the OpenMP threads in use stay at ``slots`` × threads (see langso_search/omp.py).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .embed import Embedder, EmbedderWrapper


@dataclass
class _Job:
    texts: list[str]
    wake: threading.Event = field(default_factory=threading.Event)  # done, or: lead the next batch
    lead: bool = False
    done: bool = False
    vectors: np.ndarray | None = None
    error: BaseException | None = None


@dataclass
class BatchStats:
    """Counters for /api/ready and the benchmark."""

    calls: int = 0  # encoder calls made for queries
    queries: int = 0  # query texts encoded
    largest: int = 0  # largest batch seen (texts)

    @property
    def mean_batch(self) -> float:
        return self.queries / self.calls if self.calls else 0.0


class MicroBatcher(EmbedderWrapper):
    """At most ``slots`` encodes at once; what queues up meanwhile is encoded in one call (module docstring).

    ``threads``: OpenMP threads per encode, set once in each thread that encodes (OpenMP keeps the
    setting per thread); None leaves the process default (``OMP_NUM_THREADS`` or the core count)."""

    def __init__(self, inner: Embedder, window_ms: float = 2.0, max_batch: int = 32, slots: int = 1,
                 threads: int | None = None) -> None:
        super().__init__(inner)
        self.window = max(0.0, window_ms) / 1000
        self.max_batch = max(1, max_batch)
        self.slots = max(1, slots)
        self.threads = threads
        self.threads_per_encode: int | None = threads  # reported by /api/ready
        self.stats = BatchStats()
        self._cond = threading.Condition()
        self._queue: deque[_Job] = deque()
        self._busy = 0  # slots encoding now
        self._limited = threading.local()

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        job = _Job(list(texts))
        if not job.texts:
            return self.inner.encode_queries(texts)
        with self._cond:
            self._queue.append(job)
            if self._busy < self.slots:
                self._busy += 1
                job.lead = True
            else:
                self._cond.notify_all()  # a caller waiting out the window gets company
        if not job.lead:
            job.wake.wait()
        if job.lead and not job.done:
            self._lead(job)
        if job.error is not None:
            raise job.error
        assert job.vectors is not None
        return job.vectors

    # ------------------------------------------------------------------ the caller holding a slot

    def _lead(self, mine: _Job) -> None:
        """Holding a slot: encode the queue (``mine`` first), then pass the slot to a queued caller or free it."""
        if self.threads and not getattr(self._limited, "done", False):
            limit_openmp_threads(self.threads)
            self._limited.done = True
        batch = self._take(mine)
        self._encode(batch)
        with self._cond:
            nxt = next((job for job in self._queue if not job.lead), None)
            if nxt is None:
                self._busy -= 1
            else:
                nxt.lead = True  # the slot goes to the first caller still waiting
                nxt.wake.set()

    def _take(self, mine: _Job) -> list[_Job]:
        with self._cond:
            if self.window and self._busy > 1 and len(self._queue) == 1 and len(mine.texts) == 1:
                # taking another slot while one is busy: wait at most one window for company
                deadline = time.monotonic() + self.window
                while len(self._queue) == 1 and (left := deadline - time.monotonic()) > 0:
                    self._cond.wait(left)
            self._queue.remove(mine)
            batch, size = [mine], len(mine.texts)
            while self._queue and size + len(self._queue[0].texts) <= self.max_batch and not self._queue[0].lead:
                job = self._queue.popleft()
                batch.append(job)
                size += len(job.texts)
            return batch

    def _encode(self, batch: list[_Job]) -> None:
        texts = [t for job in batch for t in job.texts]
        try:
            vectors = self.inner.encode_queries(texts)
            start = 0
            for job in batch:
                job.vectors = vectors[start : start + len(job.texts)]
                start += len(job.texts)
        except BaseException as exc:  # noqa: BLE001 - every caller of the batch gets the same error
            for job in batch:
                job.error = exc
        with self._cond:
            self.stats.calls += 1
            self.stats.queries += len(texts)
            self.stats.largest = max(self.stats.largest, len(texts))
            for job in batch:
                job.done = True
                if job is not batch[0]:
                    job.wake.set()


def limit_openmp_threads(threads: int) -> bool:
    """``OMP_NUM_THREADS`` for the *calling thread* only (OpenMP keeps it per thread); False if unavailable."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - a declared dependency
        return False
    threadpool_limits(limits=threads, user_api="openmp")
    return True
