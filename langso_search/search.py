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
from collections import Counter, OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import bm25s
import faiss
import numpy as np
from rapidfuzz import fuzz, process

from .arrays import LazyRows, TokenSets, best_two, block_rows, passage_matrix  # noqa: F401
from .confidence import assess
from .corpus import Corpus, Item, Platform
from .embed import Embedder, QueryCache
from .facets import FACET_FIELDS, FacetIndex, facet_values
from .index import BuiltIndex
from .query import STOP_SYLLABLES, Query, analyse
from .settings import Settings
from .snippets import Snippets, highlight  # noqa: F401  (highlight: re-exported)
from .text import fold, syllables

Retriever = Literal["hybrid", "dense", "lexical"]
# A hit scoring below this share of the best hit (among those the filters allow) is noise for the
# user: every item has *some* dense similarity. search() leaves it out; evaluation ranks everything.
MIN_RELATIVE_SCORE = 0.3
# mix_types: the other type's best hit "also fits" from this share of the best score — the same bar the
# facets use for "reasonably relevant". On the 517 dev queries MRR@10 is 0.991 for every floor from 1.0
# down to 0.4; the share of both-relevant queries with both types in the top 3 goes 91.2 % (no mix) →
# 92.2 % (0.8) → 95.6 % (0.5) → 99.3 % (0.4, where weak hits start to be pulled up).
MIX_FLOOR = 0.5


@dataclass(frozen=True)
class FusionWeights:
    """Knobs of the adaptive fusion, set by `langso eval --tune` on data/eval/queries.jsonl (dev only).

    On the 517 dev queries every setting on the best plateau gives restored queries a *higher* dense
    weight than accented ones: an accented query already gets exact-accent lexical evidence (the
    "~bán" tokens), while a restored one relies on the dense model to read the marks put back.
    The accented weight is flat between 0.15 and 0.25 there; we keep the upper end.
    """

    dense: float = 0.25  # dense weight for a query typed with diacritics
    dense_restored: float = 0.45  # dense weight when diacritics were restored
    dense_long_bonus: float = 0.0  # added for long queries (≥ 20 syllables); 0.15 tied on dev
    name: float = 0.2  # weight of a platform-name match (fading for queries over 6 syllables)
    second_passage: float = 0.3  # share of the second-best passage in the item's dense score
    title_boost: float = 0.3  # lexical bonus for query words found in the title/aliases
    used_by: float = 0.75  # a platform scores at least this share of the best story that used it (dev: MRR
    # unchanged at 0.980, nDCG@10 0.911 → 0.921 with 0.75; "bán mật ong" shows Facebook, used by both honey stories)


@dataclass
class Filters:
    """Hard filters; a value must equal the item's (one of its list values) to pass. The engine applies
    them as numpy masks (:class:`~langso_search.facets.FacetIndex`); ``accepts`` is the per-item reference."""

    type: str | None = None
    sector: str | None = None
    region: str | None = None
    province: str | None = None
    terrain: str | None = None
    audience: str | None = None
    make_in_vietnam: bool | None = None

    def accepts(self, item: Item) -> bool:
        values = facet_values(item)
        for name in FACET_FIELDS:
            wanted = getattr(self, name)
            if wanted is not None and wanted not in values[name]:
                return False
        if self.make_in_vietnam is not None:
            if not isinstance(item, Platform) or item.make_in_vietnam != self.make_in_vietnam:
                return False
        return True


def count_facets(items: Iterable[Item]) -> dict[str, dict[str, int]]:
    """Facet counts over ``items`` (the whole collection for /api/facets)."""
    counts: dict[str, Counter[str]] = {name: Counter() for name in FACET_FIELDS}
    for item in items:
        for name, values in facet_values(item).items():
            counts[name].update(set(values))
    return {name: dict(sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))) for name, c in counts.items()}


@dataclass
class Hit:
    item: Item
    score: float
    snippet: str
    explain: dict[str, Any] = field(default_factory=dict)


@dataclass
class SearchResult:
    query: Query
    hits: list[Hit]
    facets: dict[str, dict[str, int]]
    took_ms: float
    total: int = 0  # items above the relevance floor that pass the filters (hits is one page of them)
    offset: int = 0  # rank of hits[0] among those ``total``
    no_match: bool = False  # nothing in the corpus fits the query (calibrated; see confidence)
    confidence: float = 1.0  # in [0, 1]: how sure the engine is that the best hit fits


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
        if built.doc_ids != [item.id for item in corpus.items]:
            raise ValueError("index does not match the corpus (rebuild with `langso build`)")
        self.corpus = corpus
        self.built = built
        self.embedder = embedder
        self.settings = settings
        self.weights = weights or FusionWeights()
        self.cache = QueryCache(embedder, settings.query_cache_size)
        self.items = corpus.items
        self._row = {item.id: i for i, item in enumerate(self.items)}
        self.facet_index = FacetIndex(self.items)
        # (story row, platform row) for every platform a story used: "who did it" lifts "what to use"
        links = [(i, self._row[pid]) for i, item in enumerate(self.items) if item.type == "story"
                 for pid in getattr(item, "platform_ids", ()) if pid in self._row]
        self._link_story = np.array([a for a, _ in links], dtype=np.int64)
        self._link_platform = np.array([b for _, b in links], dtype=np.int64)
        self._passage_item = np.array([self._row[p.item_id] for p in built.passages], dtype=np.int64)
        self._bm25 = bm25s.BM25()
        self._bm25.index([toks or [""] for toks in built.doc_tokens], show_progress=False)
        self._vocab = set(self._bm25.vocab_dict)
        self._title_sets = TokenSets(built.title_tokens)  # title/alias tokens of every item, flat arrays
        self._phrases: dict[str, set[int]] = {}  # "vo so" -> rows of platforms with that name/alias
        self._compacts: dict[str, set[int]] = {}  # "voso" -> rows (names of 4+ letters)
        for row, item in enumerate(self.items):
            for form in self._name_forms(item):
                self._phrases.setdefault(" ".join(form), set()).add(row)
                if len("".join(form)) >= 4:
                    self._compacts.setdefault("".join(form), set()).add(row)
        self._analysed: dict[tuple[str, bool], Query] = {}
        self._results: OrderedDict[tuple[Any, ...], SearchResult] = OrderedDict()  # repeated searches
        self._results_lock = threading.Lock()
        self._fuzzy_forms = [c for c in self._compacts if len(c) >= 5]
        self.snippets = Snippets(self.items, built.tokenizer.compounds)
        # Passages are stored item by item, so each item's rows are one contiguous block.
        self._starts = np.flatnonzero(np.r_[True, np.diff(self._passage_item) != 0])
        self._ends = np.r_[self._starts[1:], len(self._passage_item)].astype(np.int64)
        self._flat = built.dense.ntotal <= 50_000 and not isinstance(built.dense, faiss.IndexHNSW)
        if isinstance(built.dense, faiss.IndexHNSW):  # a search-time knob: taken from settings, not the build
            built.dense.hnsw.efSearch = settings.hnsw_ef_search
        # every passage vector, read in place (no copy: a memory-mapped build stays shared between workers);
        # the flat path multiplies all of it, the HNSW path rescores the candidates' passages exactly
        self._vectors = passage_matrix(built.dense)
        if self._vectors is None and built.dense.ntotal:
            self._vectors = built.dense.reconstruct_n(0, built.dense.ntotal)
        self._matrix = self._vectors if self._flat else None
        # items always scored exactly on the ANN path, so the floor given to the items it does not
        # find is near the corpus minimum (what the flat path's min-max normalisation sees)
        self._dense_sample = np.unique(np.linspace(0, len(self.items) - 1, num=min(len(self.items), 1024)).astype(np.int64))

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

    @staticmethod
    def _name_forms(item: Item) -> list[tuple[str, ...]]:
        """A platform's name and aliases as folded word tuples ("vo", "so"); stories have none."""
        if not isinstance(item, Platform):
            return []
        forms = {tuple(fold(w) for w in syllables(n)) for n in [item.name, *item.aliases]}
        return sorted(f for f in forms if f and len("".join(f)) >= 3)

    # ------------------------------------------------------------------ retrievers

    def dense_scores(self, q: Query) -> np.ndarray:
        """Per item: best passage cosine + ``second_passage`` × second best; when the restorer had
        close readings, the mix of their scores weighted by the readings' probabilities."""
        if not q.alternatives:
            return self._dense_text_scores(q.restored)
        readings = q.readings
        total = sum(r.probability for r in readings)
        vectors = self.cache.encode_many([r.text for r in readings])  # one encoder call for every reading
        return sum(r.probability / total * self._dense_text_scores(r.text, v) for r, v in zip(readings, vectors))  # type: ignore[return-value]

    def _dense_text_scores(self, text: str, vec: np.ndarray | None = None) -> np.ndarray:
        vec = (self.cache.encode(text) if vec is None else vec).astype(np.float32)
        if self._matrix is not None:  # small corpus: every passage, exactly, in one product
            # einsum, not BLAS: a threaded gemv this small waits ~15 ms for a descheduled thread on a
            # busy machine (right after the encoder's OpenMP threads ran); einsum takes ~0.25 ms, always
            best, second = best_two(np.einsum("ij,j->i", self._matrix, vec), self._starts, self._passage_item)
            return (best + self.weights.second_passage * second).astype(np.float32)
        return self._dense_candidates(vec)

    def _dense_candidates(self, vec: np.ndarray) -> np.ndarray:
        """Large corpus: the items of the best passages the ANN index finds (enough to aggregate per
        item for any k the API allows; faiss explores max(efSearch, this many) candidates) and a fixed
        sample of ~1k items, every passage of those scored exactly. Every other item gets the lowest
        of these scores: it is not relevant, but filters may still reach it, and the min-max
        normalisation of the fusion sees about the corpus minimum, as on the flat path."""
        _, idx = self.built.dense.search(vec[None, :], min(self.built.dense.ntotal, 4 * self.settings.max_k))
        found = idx[0][idx[0] >= 0]
        rows = np.union1d(self._passage_item[found], self._dense_sample)
        if not len(rows):
            return np.zeros(len(self.items), dtype=np.float32)
        passages, segment, first = block_rows(self._starts[rows], self._ends[rows])
        if self._vectors is not None:  # einsum, not BLAS: a threaded sgemv on busy cores took 15 ms for 0.1
            sims = np.einsum("ij,j->i", self._vectors[passages], vec)
        else:  # pragma: no cover - an index without raw float storage
            sims = np.vstack([self.built.dense.reconstruct(int(i)) for i in passages]) @ vec
        best, second = best_two(sims.astype(np.float32), first, segment)
        scores = best + self.weights.second_passage * second
        out = np.full(len(self.items), float(scores.min()), dtype=np.float32)
        out[rows] = scores
        return out

    def lexical_scores(self, q: Query) -> np.ndarray:
        """BM25 over folded tokens, plus a bonus for content words found in the title or aliases."""
        tokens = [t for t in q.tokens if t in self._vocab]
        scores = np.zeros(len(self.items), dtype=np.float32)
        if tokens:
            scores = np.asarray(self._bm25.get_scores(tokens), dtype=np.float32)
        content = {t for t in q.tokens if t not in STOP_SYLLABLES}
        if content and scores.max() > 0:
            overlap = (self._title_sets.count(content) / len(content)).astype(np.float32)
            scores = scores + self.weights.title_boost * scores.max() * overlap
        return scores

    def name_scores(self, q: Query) -> np.ndarray:
        """How clearly the query names a platform: 1.0 for a name or alias written out (with or without
        its spaces: "v neid", "post mart"); for short, name-like queries also a fuzzy credit ≥ 0.85 for
        a misspelling ("s traking", "vifis"). 0 otherwise."""
        variants = [q.folded.split(), q.raw_folded.split()]  # "v neid" must not become "vậy neid"
        out = np.zeros(len(self.items), dtype=np.float32)
        phrases = {" ".join(w[i : i + n]) for w in variants for n in range(1, 9) for i in range(len(w) - n + 1)}
        joined = {"".join(w[i : i + n]) for w in variants for n in (1, 2, 3) for i in range(len(w) - n + 1)}
        for key in phrases:
            for row in self._phrases.get(key, ()):
                out[row] = 1.0
        for key in joined:
            for row in self._compacts.get(key, ()):
                out[row] = 1.0
        if len(variants[1]) <= 6 and self._fuzzy_forms:
            for chunk in joined:
                if len(chunk) < 4:
                    continue
                for form, score, _ in process.extract(chunk, self._fuzzy_forms, scorer=fuzz.ratio,
                                                      score_cutoff=85, limit=5):
                    if abs(len(form) - len(chunk)) <= 2:
                        for row in self._compacts[form]:
                            out[row] = max(out[row], score / 100)
        return out

    # ------------------------------------------------------------------ fusion

    def dense_weight(self, q: Query) -> float:
        if q.exact:  # the words as typed: lexical only (dense on the typed text measured no better, and
            return 0.0  # worse on unaccented queries: MRR 0.964 vs 0.986 on the dev set's unaccented style)
        w = self.weights
        weight = w.dense_restored if q.was_restored or q.accent_ratio < 0.5 else w.dense
        if q.n_syllables >= 20:
            weight += w.dense_long_bonus
        return min(weight, 0.95)

    def score(self, q: Query, retriever: Retriever = "hybrid") -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Fused item scores and the per-retriever normalised parts."""
        skip_dense = retriever == "lexical" or (q.exact and retriever == "hybrid")
        dense = np.zeros(len(self.items)) if skip_dense else _minmax(self.dense_scores(q))
        lexical = _maxnorm(self.lexical_scores(q)) if retriever != "dense" else np.zeros(len(self.items))
        if retriever == "dense":
            return dense, {"dense": dense}
        if retriever == "lexical":
            return lexical, {"lexical": lexical}
        name = self.name_scores(q)
        fused = self.used_by(self.fuse(q, dense, lexical, name))
        return fused, {"dense": dense, "lexical": lexical, "name": name, "dense_weight": np.full(1, self.dense_weight(q))}

    def used_by(self, fused: np.ndarray) -> np.ndarray:
        """A platform scores at least ``weights.used_by`` × the score of the best story that used it."""
        if self.weights.used_by <= 0 or not self._link_story.size:
            return fused
        lifted = np.zeros_like(fused)
        np.maximum.at(lifted, self._link_platform, fused[self._link_story])
        return np.maximum(fused, self.weights.used_by * lifted).astype(fused.dtype)

    def name_weight(self, q: Query) -> float:
        """Full weight for short, name-like queries; a long description that mentions "Zalo" in passing
        is not asking for the Zalo platform, so the weight fades with length (6 syllables and up)."""
        return self.weights.name * min(1.0, 6 / max(q.n_syllables, 1))

    def fuse(self, q: Query, dense: np.ndarray, lexical: np.ndarray, name: np.ndarray) -> np.ndarray:
        """The adaptive mix of the normalised retriever scores (used by search and by tuning)."""
        wd = self.dense_weight(q)
        return wd * dense + (1 - wd) * lexical + self.name_weight(q) * name

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
            if cached is not None:
                self._results.move_to_end(key)
        if cached is not None:  # a repeated query: same answer, measured again
            return replace(cached, took_ms=(time.perf_counter() - started) * 1000)
        result = self._search(text, k, filters, explain, retriever, started, offset, exact)
        with self._results_lock:
            self._results[key] = result
            while len(self._results) > 1024:
                self._results.popitem(last=False)
        return result

    def ranked(self, fused: np.ndarray, filters: Filters) -> np.ndarray:
        """Rows passing ``filters`` and the relevance floor, best first (ties in corpus order)."""
        allowed = np.flatnonzero(self.facet_index.mask(filters))
        if not allowed.size:
            return allowed
        # relative to the best *allowed* hit; float32 arithmetic exactly as FacetIndex.counts does it
        floor = MIN_RELATIVE_SCORE * fused[allowed].max(keepdims=True)
        keep = allowed[fused[allowed] >= floor]
        return keep[np.argsort(-fused[keep], kind="stable")]

    def _search(
        self, text: str, k: int, filters: Filters, explain: bool, retriever: Retriever, started: float,
        offset: int = 0, exact: bool = False,
    ) -> SearchResult:
        q = self.analyse(text, exact=exact)
        fused, parts = self.score(q, retriever)
        order = self.ranked(fused, filters)
        if retriever == "hybrid" and filters == Filters():
            # unfiltered answers show a story and a platform in the top 3 when both fit; a filtered list
            # stays the allowed part of the unfiltered ranking, in the same order
            order = mix_types(order, fused, self.items)
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
                            total=int(order.size), offset=offset, no_match=no_match, confidence=confidence)

    def rank_ids(
        self, text: str, retriever: Retriever = "hybrid", k: int = 10, mix: bool = True, exact: bool = False
    ) -> list[str]:
        """Ids of the top ``k`` items (no snippets, no filters): what evaluation needs."""
        fused, _ = self.score(self.analyse(text, exact=exact), retriever)
        order = np.argsort(-fused, kind="stable")
        if mix and retriever == "hybrid":
            order = mix_types(order, fused, self.items)
        return [self.items[i].id for i in order[:k]]

    # ------------------------------------------------------------------ snippets

    def snippet(self, row: int, q: Query, width: int = 220) -> str:
        """The sentence of the item that best matches the query, HTML-escaped, matches in <mark>."""
        return self.snippets.snippet(row, q, width)


def mix_types(order: np.ndarray, fused: np.ndarray, items: list[Item], top: int = 3) -> np.ndarray:
    """When the first ``top`` hits are all one type (all stories or all platforms) and the best hit of
    the other type also fits (≥ :data:`MIX_FLOOR` of the best score), move that hit up to rank ``top``:
    a problem that a platform and a story both answer shows one of each."""
    if len(order) <= top:
        return order
    kinds = [items[i].type for i in order[:top]]
    if len(set(kinds)) > 1:
        return order
    other = next((j for j, i in enumerate(order) if items[i].type != kinds[0]), None)
    if other is None or fused[order[other]] < MIX_FLOOR * fused[order[0]]:
        return order
    moved = order[other]
    rest = np.delete(order, other)
    return np.insert(rest, top - 1, moved)


def _minmax(values: np.ndarray) -> np.ndarray:
    lo, hi = float(values.min()), float(values.max())
    if hi - lo < 1e-9:
        return np.zeros_like(values, dtype=np.float32)
    return ((values - lo) / (hi - lo)).astype(np.float32)


def _maxnorm(values: np.ndarray) -> np.ndarray:
    hi = float(values.max())
    return (values / hi).astype(np.float32) if hi > 0 else np.zeros_like(values, dtype=np.float32)
