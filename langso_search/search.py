"""Search: one ranked list of stories and platforms from dense, lexical and name evidence.

Three retrievers score every item, and a fusion that adapts to the query combines them:

* **dense**: cosine between the (restored) query and each passage of the item, aggregated per item
  (best passage plus a share of the second best);
* **lexical**: BM25 (``bm25s``, Lucene IDF, which stays positive on tiny corpora) over folded
  syllables and compounds of the whole item, so accents never matter;
* **name**: how well the query contains a platform's name or alias ("vo so", "s traking").

Each is normalised per query to [0, 1] and mixed with a weight that depends on the query: whether
its diacritics were restored, and its length (BM25 drowns in the function words of long rambling
text). Weights live in :class:`FusionWeights` and were tuned on the development queries only
(``langso eval --tune``).
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from typing import Any, Literal

import numpy as np
from cachetools import LRUCache

from .arrays import TokenSets, top_stable
from .confidence import assess
from .corpus import Corpus
from .dense import DenseScorer
from .embed import Embedder, QueryCache
from .facets import FacetIndex, Filters, count_facets, facet_values  # noqa: F401  (re-exported)
from .fusion import MIX_FLOOR, FusionWeights, UsedBy, lift_lacking, maxnorm, minmax, mix_types, prefer_domestic  # noqa: F401  (re-exported)
from .fusion import dense_weight as _dense_weight
from .fusion import fuse as _fuse
from .fusion import name_weight as _name_weight
from .index import BuiltIndex
from .item_scan import ItemScan
from .lexical import LexicalScorer
from .names import NameIndex
from .query import Query, analyse
from .results import Hit, SearchResult
from .settings import Settings
from .snippets import Snippets, highlight  # noqa: F401  (highlight: re-exported)

Retriever = Literal["hybrid", "dense", "lexical"]
# A hit scoring below this share of the best hit (among those the filters allow) is noise for the
# user: every item has *some* dense similarity. search() leaves it out; evaluation ranks everything.
MIN_RELATIVE_SCORE = 0.3


class Engine:
    """The loaded corpus, index and encoder: everything a query needs. Safe to share between threads."""

    def __init__(
        self,
        corpus: Corpus,
        built: BuiltIndex,
        embedder: Embedder,
        settings: Settings,
        weights: FusionWeights | None = None,
    ) -> None:
        if built.doc_ids != corpus.ids:
            raise ValueError("index does not match the corpus (rebuild with `langso build`)")
        self.corpus = corpus
        self.built = built
        self.embedder = embedder
        self.settings = settings
        self.weights = weights or FusionWeights()
        self.cache = QueryCache(embedder, settings.query_cache_size)
        self.items = corpus.items
        self._row = {item_id: i for i, item_id in enumerate(corpus.ids)}
        # "platform" / "story" per row (platforms come first): known without reading the items
        self._types = np.array(["platform"] * len(corpus.platforms) + ["story"] * len(corpus.stories))
        scan = ItemScan.of(self.items)  # one pass over the items (each is parsed once: item_rows.py)
        self.facet_index = FacetIndex.from_values(scan.facets, scan.miv)
        corpus.remember_users(scan.users)
        self._used_by = UsedBy.of([(row, self._row[pid]) for pid, rows in scan.users.items() if pid in self._row
                                   for row in rows])
        self._lacks = built.lacks  # the needs each item negates (found at build time)
        passage_item = built.passages.item_rows
        self.dense = DenseScorer(built, settings, passage_item, len(self.items))
        self.lexical = LexicalScorer(built.bm25, built.title_tokens, len(self.items))
        self._names = NameIndex.from_forms(scan.name_forms)
        self.words = scan.words  # the corpus's accented syllables and pairs (confidence.py)
        self.ethnic = TokenSets(scan.ethnic)  # folded ethnic groups per item (profile_fit.py)
        self._analysed: dict[tuple[str, bool], Query] = {}
        self._results: LRUCache[tuple[Any, ...], SearchResult] = LRUCache(maxsize=1024)  # repeated searches
        self._results_lock = threading.Lock()
        self.snippets = Snippets(self.items, built.tokenizer.compounds, df=scan.snippet_df)

    # ------------------------------------------------------------------ public surface (for recommend, reasons …)

    def row_of(self, item_id: str) -> int:
        """Row of an item in ``items`` (KeyError for an unknown id)."""
        return self._row[item_id]

    def passage_rows(self, row: int) -> range:
        """Rows of ``built.passages`` (and of the dense index) that belong to item ``row``."""
        return self.dense.rows(row)

    def passage_vectors(self, rows: list[int]) -> np.ndarray:
        """The stored vectors of these passage rows."""
        return self.dense.passage_vectors(rows)

    def max_cosine(self, vec: np.ndarray) -> float:
        """Cosine of the passage closest to ``vec``."""
        return self.dense.max_cosine(vec)

    def item_vectors(self) -> np.ndarray:
        """One unit vector per item: the mean of its passage vectors (computed once)."""
        return self.dense.item_vectors()

    def clear_cache(self) -> None:
        """Forget the remembered search answers (query vectors stay: they do not depend on the index)."""
        with self._results_lock:
            self._results.clear()

    # ------------------------------------------------------------------ analysis

    def analyse(self, text: str, exact: bool = False) -> Query:
        """Analysed query, memoised (the same text always analyses the same way for one engine).

        ``exact``: "Tìm đúng chữ tôi gõ": no expansion or restoration, lexical on the folded form."""
        key = (text, exact)
        cached = self._analysed.get(key)
        if cached is None:
            cached = analyse(text, self.built.tokenizer, self.built.restorer, exact=exact,
                             alt_ratio=self.settings.alt_ratio)
            if len(self._analysed) >= 4096:
                self._analysed.clear()
            self._analysed[key] = cached
        return cached

    # ------------------------------------------------------------------ retrievers

    def dense_scores(self, q: Query) -> np.ndarray:
        """Per item: best passage cosine + ``second_passage`` × second best; when the restorer had
        close readings, the mix of their scores weighted by the readings' probabilities (as many readings as
        ``dense_reading_syllables`` allows for the query's length)."""
        length = max(1, len(q.restored.split()))
        readings = q.readings[: max(1, self.settings.dense_reading_syllables // length)]
        if len(readings) == 1:
            return self._dense_text_scores(q.restored)
        total = sum(r.probability for r in readings)
        vectors = self.cache.encode_many([r.text for r in readings])  # one encoder call for every reading
        return self.dense.mixed_scores(np.asarray(vectors, dtype=np.float32), [r.probability / total for r in readings],
                                       self.weights.second_passage)

    def _dense_text_scores(self, text: str, vec: np.ndarray | None = None) -> np.ndarray:
        vec = self.cache.encode(text) if vec is None else vec
        return self.dense.scores(vec.astype(np.float32), self.weights.second_passage)

    def lexical_scores(self, q: Query) -> np.ndarray:
        """BM25 over folded tokens, plus a bonus for content words found in the title or aliases."""
        return self.lexical.scores(q, self.weights.title_boost)

    def name_scores(self, q: Query) -> np.ndarray:
        """How clearly the query names a platform (see :class:`~langso_search.names.NameIndex`)."""
        return self._names.scores(q)

    # ------------------------------------------------------------------ fusion

    def dense_weight(self, q: Query) -> float:
        return _dense_weight(self.weights, q)

    def score(self, q: Query, retriever: Retriever = "hybrid") -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Fused item scores and the per-retriever normalised parts."""
        skip_dense = retriever == "lexical" or (q.exact and retriever == "hybrid")
        dense = np.zeros(len(self.items)) if skip_dense else minmax(self.dense_scores(q))
        lexical = maxnorm(self.lexical_scores(q)) if retriever != "dense" else np.zeros(len(self.items))
        if retriever == "dense":
            return dense, {"dense": dense}
        if retriever == "lexical":
            return lexical, {"lexical": lexical}
        name = self.name_scores(q)
        fused = self.adjust(q, self.fuse(q, dense, lexical, name), dense, name)
        return fused, {"dense": dense, "lexical": lexical, "name": name, "dense_weight": np.full(1, self.dense_weight(q))}

    def adjust(self, q: Query, fused: np.ndarray, dense: np.ndarray, name: np.ndarray,
               weights: FusionWeights | None = None) -> np.ndarray:
        """After the mix: items that negate what the query negates go up, platforms are lifted by the
        stories that used them, and a foreign platform lifted that way yields to a Make-in-Việt-Nam one
        that fits the query directly at least as well."""
        weights = weights or self.weights
        own = lift_lacking(fused, self._lacks.states(q.lacks), weights.lack_boost)
        lifted = self.used_by(own, weights)
        if not weights.prefer_made_in_vietnam:
            return lifted
        miv = self.facet_index.miv  # 1 / 0 for platforms, -1 for stories
        return prefer_domestic(lifted, own, dense, name, miv >= 0, miv == 0, MIN_RELATIVE_SCORE,
                               self.facet_index.rows["sector"])

    def used_by(self, fused: np.ndarray, weights: FusionWeights | None = None) -> np.ndarray:
        """A platform scores at least ``used_by`` × the score of the best story that used it."""
        return self._used_by.lift(fused, (weights or self.weights).used_by)

    def name_weight(self, q: Query) -> float:
        return _name_weight(self.weights, q)

    def fuse(self, q: Query, dense: np.ndarray, lexical: np.ndarray, name: np.ndarray,
             weights: FusionWeights | None = None) -> np.ndarray:
        """The adaptive mix of the normalised retriever scores (``weights``: others than the engine's, for tuning)."""
        return _fuse(weights or self.weights, q, dense, lexical, name)

    # ------------------------------------------------------------------ search

    def search(
        self,
        text: str,
        k: int = 10,
        filters: Filters | None = None,
        explain: bool = False,
        retriever: Retriever = "hybrid",
        offset: int = 0,
        exact: bool = False,
    ) -> SearchResult:
        """Hits ``offset`` … ``offset + k`` of the ranked list; ``total`` counts the whole list.
        ``exact`` ("Tìm đúng chữ tôi gõ") searches the words as typed: no restoration, no expansion."""
        started = time.perf_counter()
        filters = filters or Filters()
        key = (text, k, tuple(vars(filters).values()), explain, retriever, offset, exact)
        with self._results_lock:
            cached = self._results.get(key)
        if cached is not None:  # a repeated query: same answer, measured again
            return replace(cached, took_ms=(time.perf_counter() - started) * 1000)
        result = self._search(text, k, filters, explain, retriever, started, offset, exact)
        with self._results_lock:
            self._results[key] = result
        return result

    def relevant(self, fused: np.ndarray, filters: Filters) -> np.ndarray:
        """Rows passing ``filters`` and the relevance floor, in corpus order (not ranked)."""
        allowed = np.flatnonzero(self.facet_index.mask(filters))
        if not allowed.size:
            return allowed
        # relative to the best *allowed* hit; float32 arithmetic exactly as FacetIndex.counts does it
        floor = MIN_RELATIVE_SCORE * fused[allowed].max(keepdims=True)
        return allowed[fused[allowed] >= floor]

    def ranked(self, fused: np.ndarray, filters: Filters, mix: bool = False, head: int | None = None) -> np.ndarray:
        """Rows passing ``filters`` and the relevance floor, best first (ties in corpus order); with
        ``head``, only the first ``head`` of them (a partial sort: the page, not 100k rows). ``mix``:
        the story/platform mix of unfiltered answers (:func:`mix_types`) applied to that order."""
        return self._order(self.relevant(fused, filters), fused, mix, head)

    def _order(self, keep: np.ndarray, fused: np.ndarray, mix: bool, head: int | None) -> np.ndarray:
        if head is None or head >= keep.size:
            order = keep[np.argsort(-fused[keep], kind="stable")]
            return mix_types(order, fused, self._types) if mix else order
        order = top_stable(fused, keep, head)
        if not mix or len(order) < 3 or (self._types[order[:3]] != self._types[order[0]]).any():
            return order  # (mixing moves a hit to rank 3: the first two never change)
        # the first row of the other type in the full order is its best-scoring row (ties: corpus order)
        others = keep[self._types[keep] != self._types[order[0]]]
        if not others.size:
            return order
        best_other = top_stable(fused, others, 1)
        if best_other[0] not in order:  # it ranks after the head: append it where it stands
            order = np.append(order, best_other)
        return mix_types(order, fused, self._types)[:head]

    def _search(
        self, text: str, k: int, filters: Filters, explain: bool, retriever: Retriever, started: float,
        offset: int = 0, exact: bool = False,
    ) -> SearchResult:
        q = self.analyse(text, exact=exact)
        fused, parts = self.score(q, retriever)
        # unfiltered answers show a story and a platform in the top 3 when both fit; a filtered list
        # stays the allowed part of the unfiltered ranking, in the same order
        mix = retriever == "hybrid" and filters == Filters()
        keep = self.relevant(fused, filters)
        order = self._order(keep, fused, mix, head=offset + k)
        hits: list[Hit] = []
        for i in order[offset : offset + k]:
            info: dict[str, Any] = {}
            if explain:
                info = {name: round(float(v[i]), 4) for name, v in parts.items() if name != "dense_weight"}
                if "dense_weight" in parts:
                    info["dense_weight"] = round(float(parts["dense_weight"][0]), 3)
                info["fused"] = round(float(fused[i]), 4)
            hits.append(Hit(self.items[i], float(fused[i]), self.snippet(int(i), q), info))
        facets = self.facet_index.counts(fused, filters, MIN_RELATIVE_SCORE)
        confidence, no_match = assess(self, q, parts.get("name"))
        return SearchResult(q, hits, facets, (time.perf_counter() - started) * 1000,
                            total=int(keep.size), offset=offset, no_match=no_match, confidence=confidence)

    def rank_ids(
        self, text: str, retriever: Retriever = "hybrid", k: int = 10, mix: bool = True, exact: bool = False
    ) -> list[str]:
        """Ids of the top ``k`` items (no snippets, no filters): what evaluation needs."""
        fused, _ = self.score(self.analyse(text, exact=exact), retriever)
        order = np.argsort(-fused, kind="stable")
        if mix and retriever == "hybrid":
            order = mix_types(order, fused, self._types)
        return [self.items[i].id for i in order[:k]]

    # ------------------------------------------------------------------ snippets

    def snippet(self, row: int, q: Query, width: int = 220) -> str:
        """The sentence of the item that best matches the query, HTML-escaped, matches in <mark>."""
        return self.snippets.snippet(row, q, width)
