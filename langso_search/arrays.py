"""Array helpers that keep per-item Python loops out of the query path (100k items and more).

* :func:`best_two`: per item, the best passage similarity and the second best, over contiguous blocks;
* :func:`block_rows`: the passage rows of a set of items, gathered in one step;
* :class:`TokenSets`: "how many of these tokens does each item's set contain", as one bincount;
* :func:`top_stable`: the first ``m`` of ``rows`` by descending value, in the order a stable sort
  gives, without sorting every row;
* :class:`LazyRows`: per-item data built on first use, bounded.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

import numpy as np

T = TypeVar("T")


def best_two(sims: np.ndarray, starts: np.ndarray, segment: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Best and second-best value of each contiguous block (``starts``: first row of each block;
    ``segment``: block of each row). Ties with the best do not count as second; a block whose values
    are all equal gets ``second = best``."""
    best = np.maximum.reduceat(sims, starts)
    masked = np.where(sims >= best[segment], -np.inf, sims)
    second = np.maximum.reduceat(masked, starts)
    return best, np.where(np.isfinite(second), second, best)


def block_rows(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows ``starts[j]..ends[j]-1`` of every block ``j`` concatenated, with the block of each row and
    each block's first position in the result."""
    lengths = ends - starts
    first = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
    segment = np.repeat(np.arange(len(starts)), lengths)
    rows = np.arange(int(lengths.sum()), dtype=np.int64) - first[segment] + starts[segment]
    return rows, segment, first


class TokenSets:
    """One set of tokens per item, stored flat: ``count(tokens)`` says, for every item, how many of
    ``tokens`` (distinct) are in its set — ``[len(tokens & s) for s in sets]`` without the loop."""

    def __init__(self, sets: Sequence[Sequence[str]]) -> None:
        self.n = len(sets)
        self.vocab: dict[str, int] = {}
        ids: list[int] = []
        owners: list[int] = []
        for row, tokens in enumerate(sets):
            for tok in set(tokens):
                ids.append(self.vocab.setdefault(tok, len(self.vocab)))
                owners.append(row)
        # postings: the owners of token t are _owners[_offsets[t]:_offsets[t + 1]]
        order = np.argsort(np.asarray(ids, dtype=np.int64), kind="stable")
        self._owners = np.asarray(owners, dtype=np.int64)[order]
        self._offsets = np.searchsorted(np.asarray(ids, dtype=np.int64)[order], np.arange(len(self.vocab) + 1))

    def count(self, tokens: set[str] | frozenset[str]) -> np.ndarray:
        wanted = [self.vocab[t] for t in tokens if t in self.vocab]
        if not wanted:
            return np.zeros(self.n, dtype=np.int64)
        rows = np.concatenate([self._owners[self._offsets[t] : self._offsets[t + 1]] for t in wanted])
        return np.bincount(rows, minlength=self.n)


def top_stable(values: np.ndarray, rows: np.ndarray, m: int) -> np.ndarray:
    """The ``m`` rows of ``rows`` with the highest ``values[row]``, ties in the order of ``rows``
    (what ``sorted(rows, key=lambda r: -values[r])[:m]`` returns), in O(len(rows)) plus a small sort."""
    if m <= 0 or len(rows) == 0:
        return rows[:0]
    vals = values[rows]
    if len(rows) > m:
        cut = np.partition(vals, len(vals) - m)[len(vals) - m]  # the m-th largest value
        keep = np.flatnonzero(vals >= cut)
        rows, vals = rows[keep], vals[keep]
    return rows[np.argsort(-vals, kind="stable")[:m]]


class LazyRows(Generic[T]):
    """``rows[i]`` computed by ``make(i)`` on first use and kept in a bounded LRU: per-item data that
    only the shown hits need (snippet sentences) without holding it for 100k items."""

    def __init__(self, make: Callable[[int], T], n: int, keep: int = 8192) -> None:
        self._make, self._n, self._keep = make, n, keep
        self._cache: OrderedDict[int, T] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return self._n

    @property
    def keep(self) -> int:
        return self._keep

    def cached(self) -> int:
        """How many rows are held now."""
        with self._lock:
            return len(self._cache)

    def __getitem__(self, row: int) -> T:
        with self._lock:
            value = self._cache.get(row)
            if value is not None:
                self._cache.move_to_end(row)
                return value
        if not 0 <= row < self._n:
            raise IndexError(row)
        value = self._make(row)
        with self._lock:
            self._cache[row] = value
            while len(self._cache) > self._keep:
                self._cache.popitem(last=False)
        return value
