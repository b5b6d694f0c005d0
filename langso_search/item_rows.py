"""The items of a build, read from its ``corpus.jsonl`` when asked for, not all held as models.

At 100k items the parsed pydantic models took ≈ 0.7 GB of private memory (measured); the file's
bytes are ≈ 0.2 GB, memory-mapped, shared by worker processes and reclaimable by the kernel. A row is
parsed (and validated) when it is read and the most recently read ones are kept in a bounded cache, so
a corpus smaller than the cache is parsed once and then behaves like a list. A pass over every item
(building the facet, name and snippet indexes) parses each row once and keeps nothing more than the
cache: a parsed-then-freed list of 100k models left ≈ 0.5 GB of fragmented heap behind (measured),
so the passes stream instead.
"""

from __future__ import annotations

import json
import mmap
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, overload

import numpy as np
from cachetools import LRUCache
from pydantic import ValidationError

from .manifest import IndexCorrupt
from .models import Item, Platform, Story

__all__ = ["ItemRows", "RowsView"]

DEFAULT_CACHE = 4096  # parsed items kept (≈ 7 KB each)


class ItemRows(Sequence[Item]):
    """Every item of one ``corpus.jsonl`` (platforms first, then stories), parsed row by row on demand.

    ``ids`` are the item ids in row order (from the build's lexical.json: known without parsing).
    Thread-safe: the cache is guarded; two threads may parse the same row once each."""

    def __init__(self, path: Path, data: bytes | mmap.mmap, bounds: np.ndarray, ids: list[str],
                 n_platforms: int, cache_size: int = DEFAULT_CACHE) -> None:
        if len(bounds) != len(ids) + 1:
            raise IndexCorrupt(f"{path}: {len(bounds) - 1} item lines but {len(ids)} item ids")
        self.path, self.ids, self.n_platforms = path, ids, n_platforms
        self._data, self._bounds = data, bounds
        self._cache: LRUCache[int, Item] = LRUCache(maxsize=max(1, cache_size))
        self._lock = threading.Lock()
        self.parsed = 0  # rows parsed so far (tests and the scale benchmark read it)

    @classmethod
    def open(cls, path: Path, ids: list[str], cache_size: int = DEFAULT_CACHE) -> tuple[ItemRows, dict[str, Any]]:
        """Map ``path`` (a head line, then one item per line) and find its lines; returns the rows and the head."""
        with path.open("rb") as fh:
            data: bytes | mmap.mmap = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 0x0A)  # one pass in C over the bytes
        if not len(ends):
            raise IndexCorrupt(f"{path}: no head line")
        head = json.loads(bytes(data[: int(ends[0])]))
        bounds = ends + 1  # line i (item i) spans bounds[i] .. bounds[i + 1] - 1 (its newline)
        return cls(path, data, bounds, ids, int(head["platforms"]), cache_size), head

    def __len__(self) -> int:
        return len(self.ids)

    @overload
    def __getitem__(self, row: int) -> Item: ...
    @overload
    def __getitem__(self, row: slice) -> list[Item]: ...
    def __getitem__(self, row: int | slice) -> Item | list[Item]:
        if isinstance(row, slice):
            return [self[i] for i in range(*row.indices(len(self)))]
        if not -len(self) <= row < len(self):
            raise IndexError(row)
        row = int(row) % len(self)
        with self._lock:
            item = self._cache.get(row)
        if item is None:
            item = self._parse(row)
            with self._lock:
                self._cache[row] = item
        return item

    def __iter__(self) -> Iterator[Item]:
        """Every item in order; rows beyond the cache's room are parsed and let go (see the module)."""
        return self.iter_rows(0, len(self))

    def iter_rows(self, start: int, stop: int) -> Iterator[Item]:
        """Rows ``start`` … ``stop`` in order, as :meth:`__iter__` reads them."""
        fits = len(self) <= self._cache.maxsize
        for row in range(start, stop):
            if fits:
                yield self[row]
                continue
            with self._lock:
                item = self._cache.get(row)
            yield item if item is not None else self._parse(row)

    def release_pages(self) -> None:
        """After the start-up passes: let go of the file's pages they mapped (the kernel keeps them cached,
        shared, reclaimable) and read single rows from then on without read-ahead."""
        if isinstance(self._data, mmap.mmap):
            for advice in ("MADV_DONTNEED", "MADV_RANDOM"):
                if hasattr(mmap, advice):
                    self._data.madvise(getattr(mmap, advice))

    def view(self, start: int, stop: int) -> RowsView:
        return RowsView(self, start, stop)

    def _parse(self, row: int) -> Item:
        model: type[Platform] | type[Story] = Platform if row < self.n_platforms else Story
        line = self._data[int(self._bounds[row]) : int(self._bounds[row + 1]) - 1]
        try:
            item = model.model_validate_json(line)
        except ValidationError as exc:
            raise IndexCorrupt(f"{self.path}: line {row + 2} ({self.ids[row]}): {exc}") from exc
        if item.id != self.ids[row]:
            raise IndexCorrupt(f"{self.path}: line {row + 2} holds {item.id!r}, expected {self.ids[row]!r}")
        self.parsed += 1
        return item


class RowsView(Sequence[Any]):
    """Rows ``start`` … ``stop`` of an :class:`ItemRows` (a corpus's platforms or its stories)."""

    def __init__(self, rows: ItemRows, start: int, stop: int) -> None:
        self.rows, self.start, self.stop = rows, start, stop

    def __len__(self) -> int:
        return self.stop - self.start

    def __getitem__(self, i: int | slice) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        return self.rows[self.start + int(i) % len(self)]

    def __iter__(self) -> Iterator[Any]:
        return self.rows.iter_rows(self.start, self.stop)
