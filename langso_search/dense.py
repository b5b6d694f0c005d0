"""Dense retrieval over the passage vectors of a build: per-item scores, exact or ANN-backed.

Passages are stored item by item, so each item's rows are one contiguous block; an item's score is
its best passage cosine plus a share of the second best.
"""

from __future__ import annotations

import faiss
import numpy as np

from .arrays import best_two, block_rows
from .index import BuiltIndex
from .settings import Settings


class DenseScorer:
    """The passage vectors of one build, read in place, and the item each passage belongs to."""

    def __init__(self, built: BuiltIndex, settings: Settings, passage_item: np.ndarray, n_items: int) -> None:
        self.index = built.dense
        self.max_k = settings.max_k
        self.n_items = n_items
        self.passage_item = passage_item
        self.starts = np.flatnonzero(np.r_[True, np.diff(passage_item) != 0])
        self.ends = np.r_[self.starts[1:], len(passage_item)].astype(np.int64)
        flat = self.index.ntotal <= 50_000 and not isinstance(self.index, faiss.IndexHNSW)
        if isinstance(self.index, faiss.IndexHNSW):  # a search-time knob: taken from settings, not the build
            self.index.hnsw.efSearch = settings.hnsw_ef_search
        # every passage vector, read in place (no copy: a memory-mapped build stays shared between workers);
        # the flat path multiplies all of it, the HNSW path (8-bit codes) rescores the candidates exactly
        self.vectors = np.asarray(built.vectors).view(np.ndarray)  # a plain view: no np.memmap indexing overhead
        self.matrix = np.asarray(self.vectors, dtype=np.float32) if flat else None  # float32: no copy
        self._item_vectors = np.asarray(built.item_vectors).view(np.ndarray)
        # items always scored exactly on the ANN path, so the floor given to the items it does not
        # find is near the corpus minimum (what the flat path's min-max normalisation sees)
        self.sample = np.unique(np.linspace(0, n_items - 1, num=min(n_items, 1024)).astype(np.int64))

    @property
    def sample(self) -> np.ndarray:
        return self._sample

    @sample.setter
    def sample(self, rows: np.ndarray) -> None:
        """The items always scored on the ANN path; their passage vectors are copied once into one
        contiguous block (~9 MB for 1024 items), so a query multiplies them without gathering."""
        self._sample = rows
        self._in_sample = np.zeros(self.n_items, dtype=bool)
        self._in_sample[rows] = True
        if self.matrix is None and len(rows):
            passages, self._sample_segment, self._sample_first = block_rows(self.starts[rows], self.ends[rows])
            self._sample_vectors = np.ascontiguousarray(self.vectors[passages], dtype=np.float32)

    def rows(self, row: int) -> range:
        """Passage rows of item ``row``."""
        return range(int(self.starts[row]), int(self.ends[row]))

    def passage_vectors(self, rows: list[int]) -> np.ndarray:
        return np.asarray(self.vectors[rows], dtype=np.float32)  # an HNSW build stores float16

    def max_cosine(self, vec: np.ndarray) -> float:
        """Cosine of the passage closest to ``vec`` (exact on the flat path, ANN otherwise)."""
        if self.matrix is not None:
            return float(np.einsum("ij,j->i", self.matrix, vec).max())  # not BLAS: see scores()
        _, idx = self.index.search(vec[None, :], 16)  # approximate (8-bit codes): rescored exactly
        found = idx[0][idx[0] >= 0]
        rows = self.vectors[np.sort(found)].astype(np.float32)
        return float(np.einsum("ij,j->i", rows, vec).max()) if found.size else 0.0

    def item_vectors(self) -> np.ndarray:
        """One unit vector per item: the mean of its passage vectors (written by the build)."""
        return self._item_vectors

    def scores(self, vec: np.ndarray, second_passage: float) -> np.ndarray:
        """Per item: best passage cosine + ``second_passage`` × the second best."""
        if self.matrix is not None:  # small corpus: every passage, exactly, in one product
            # einsum, not BLAS: a threaded gemv this small waits ~15 ms for a descheduled thread on a busy
            # machine (right after the encoder's OpenMP threads ran); einsum takes ~0.25 ms, always
            best, second = best_two(np.einsum("ij,j->i", self.matrix, vec), self.starts, self.passage_item)
            return (best + second_passage * second).astype(np.float32)
        return self._candidates(vec, second_passage)

    def _candidates(self, vec: np.ndarray, second_passage: float) -> np.ndarray:
        """Large corpus: the items of the best passages the ANN index finds (enough to aggregate per
        item for any k the API allows; faiss explores max(efSearch, this many) candidates) and a fixed
        sample of ~1k items, every passage of those scored exactly. Every other item gets the lowest
        of these scores: it is not relevant, but filters may still reach it, and the min-max
        normalisation of the fusion sees about the corpus minimum, as on the flat path."""
        _, idx = self.index.search(vec[None, :], min(self.index.ntotal, 4 * self.max_k))
        found = np.unique(self.passage_item[idx[0][idx[0] >= 0]])
        found = found[~self._in_sample[found]]  # the sample is scored from its own contiguous block
        parts = []
        if len(self._sample):
            parts.append((self._sample, self._block_scores(self._sample_vectors, self._sample_first,
                                                           self._sample_segment, vec, second_passage)))
        if len(found):
            passages, segment, first = block_rows(self.starts[found], self.ends[found])
            rows = self.vectors[passages].astype(np.float32, copy=False)  # float16 in an HNSW build
            parts.append((found, self._block_scores(rows, first, segment, vec, second_passage)))
        if not parts:
            return np.zeros(self.n_items, dtype=np.float32)
        out = np.full(self.n_items, min(float(s.min()) for _, s in parts), dtype=np.float32)
        for rows, scores in parts:
            out[rows] = scores
        return out

    @staticmethod
    def _block_scores(vectors: np.ndarray, first: np.ndarray, segment: np.ndarray, vec: np.ndarray,
                      second_passage: float) -> np.ndarray:
        # einsum, not BLAS: a threaded sgemv on busy cores took 15 ms for 0.1
        best, second = best_two(np.einsum("ij,j->i", vectors, vec).astype(np.float32), first, segment)
        return best + second_passage * second
