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
        rows = self.vectors[np.sort(found)].astype(np.float32, copy=False)  # float16 in an HNSW build
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
        return self._candidates(vec[None, :], second_passage)[0]

    def mixed_scores(self, vecs: np.ndarray, shares: list[float], second_passage: float) -> np.ndarray:
        """Σ ``shares[r]`` × :meth:`scores` of ``vecs[r]`` (the close readings of one query). The ANN path
        rescores the union of every reading's candidates once: their rows are read and converted once."""
        per_reading = ([self.scores(v, second_passage) for v in vecs] if self.matrix is not None
                       else list(self._candidates(vecs, second_passage)))
        return sum(share * scores for share, scores in zip(shares, per_reading))  # type: ignore[return-value]

    def _candidates(self, vecs: np.ndarray, second_passage: float) -> np.ndarray:
        """Large corpus, one row of scores per query vector: the items of the best passages the ANN
        index finds for any of them (enough to aggregate per item for any k the API allows; faiss
        explores max(efSearch, this many) candidates) and a fixed sample of ~1k items, every passage of
        those scored exactly. Every other item gets the lowest of these scores: it is not relevant, but
        filters may still reach it, and the min-max normalisation of the fusion sees about the corpus
        minimum, as on the flat path."""
        vecs = np.ascontiguousarray(vecs, dtype=np.float32)
        k = min(self.index.ntotal, 4 * self.max_k)
        # one search per vector: a batch would wake faiss's own OpenMP threads next to the encoder's
        found = np.unique(np.concatenate([self.passage_item[idx[idx >= 0]]
                                          for idx in (self.index.search(v[None, :], k)[1][0] for v in vecs)]))
        found = found[~self._in_sample[found]]  # the sample is scored from its own contiguous block
        parts = []
        if len(self._sample):
            parts.append((self._sample, self._block_scores(self._sample_vectors, self._sample_first,
                                                           self._sample_segment, vecs, second_passage)))
        if len(found):
            passages, segment, first = block_rows(self.starts[found], self.ends[found])
            rows = self.vectors[passages].astype(np.float32, copy=False)  # float16 in an HNSW build
            parts.append((found, self._block_scores(rows, first, segment, vecs, second_passage)))
        out = np.zeros((len(vecs), self.n_items), dtype=np.float32)
        if parts:
            out[:] = np.min([scores.min(axis=1) for _, scores in parts], axis=0)[:, None]
            for rows_of, scores in parts:
                out[:, rows_of] = scores
        return out

    @staticmethod
    def _block_scores(vectors: np.ndarray, first: np.ndarray, segment: np.ndarray, vecs: np.ndarray,
                      second_passage: float) -> np.ndarray:
        """(vectors, blocks) → one row per query vector of best + ``second_passage`` × second best per block."""
        # einsum, not BLAS: a threaded sgemm on busy cores took 15 ms for 0.1
        sims = np.einsum("ij,rj->ri", vectors, vecs).astype(np.float32)
        out = np.empty((len(vecs), len(first)), dtype=np.float32)
        for r, row in enumerate(sims):
            best, second = best_two(row, first, segment)
            out[r] = best + second_passage * second
        return out
