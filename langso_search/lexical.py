"""Lexical retrieval: BM25 over each item's folded tokens, plus a bonus for words of the title.

The BM25 index is built with the index (``bm25/``, :mod:`bm25s`) and memory-mapped; scoring reads
the postings of the query's tokens only.
"""

from __future__ import annotations

import bm25s
import numpy as np

from .arrays import TokenSets
from .query import STOP_SYLLABLES, Query


class LexicalScorer:
    """BM25 (Lucene IDF) over items and the title/alias token sets of every item."""

    def __init__(self, bm25: bm25s.BM25, title_tokens: list[list[str]], n_items: int) -> None:
        self.bm25 = bm25
        self.vocab: dict[str, int] = dict(bm25.vocab_dict)
        self.title_sets = TokenSets(title_tokens)
        self.n_items = n_items

    def bm25_scores(self, tokens: list[str]) -> np.ndarray:
        """What ``bm25s.BM25.get_scores`` returns, without its ``np.add.at``: within one token's
        postings each item appears once, so a fancy-indexed add gives the same sums, faster."""
        scores = np.zeros(self.n_items, dtype=np.float32)
        data, indices, indptr = (self.bm25.scores[k] for k in ("data", "indices", "indptr"))
        for token in tokens:
            t = self.vocab[token]
            start, end = int(indptr[t]), int(indptr[t + 1])
            scores[indices[start:end]] += data[start:end]
        if self.bm25.nonoccurrence_array is not None:  # pragma: no cover - only BM25L / BM25+
            scores += self.bm25.nonoccurrence_array[[self.vocab[t] for t in tokens]].sum()
        return scores

    def scores(self, q: Query, title_boost: float) -> np.ndarray:
        """BM25 over folded tokens, plus ``title_boost`` × the best score × the share of the query's
        content words found in the title or aliases."""
        tokens = [t for t in q.tokens if t in self.vocab]
        scores = self.bm25_scores(tokens) if tokens else np.zeros(self.n_items, dtype=np.float32)
        content = {t for t in q.tokens if t not in STOP_SYLLABLES}
        if content and scores.max() > 0:
            overlap = (self.title_sets.count(content) / len(content)).astype(np.float32)
            scores = scores + title_boost * scores.max() * overlap
        return scores
