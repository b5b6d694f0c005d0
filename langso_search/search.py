"""Search: one ranked list of stories and platforms from dense, lexical and name evidence.

Three retrievers score every item, and a fusion that adapts to the query combines them:

* **dense**: cosine between the (restored) query and each passage of the item, aggregated per item
  (best passage plus a share of the second best);
* **lexical**: BM25 (``bm25s``, Lucene IDF, which stays positive on tiny corpora) over folded
  syllables and compounds of the whole item, so accents never matter;
* **name**: how well the query contains a platform's name or alias ("vo so", "s traking").

Each is normalised per query to [0, 1]. The dense weight falls when the query had to be restored
(restoration is right ~9 syllables in 10, the dense model is fragile on the rest) and rises with
query length (BM25 drowns in the function words of long rambling text). Weights live in
:class:`FusionWeights` and were tuned on the development queries only (``langso eval --tune``).
"""

from __future__ import annotations

import difflib
import html
import re
import threading
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import bm25s
import numpy as np

from .corpus import Corpus, Item, Platform, Story
from .embed import Embedder, QueryCache
from .index import BuiltIndex, item_document
from .query import STOP_SYLLABLES, Query, analyse
from .settings import Settings
from .text import fold, syllables

Retriever = Literal["hybrid", "dense", "lexical"]
FACET_FIELDS = ("type", "sector", "region", "province", "terrain", "audience")


@dataclass(frozen=True)
class FusionWeights:
    """Knobs of the adaptive fusion (tuned on data/eval/queries.jsonl, dev split)."""

    dense: float = 0.55  # dense weight for an accented query of medium length
    dense_restored: float = 0.35  # dense weight when diacritics were restored
    dense_long_bonus: float = 0.15  # added for long queries (≥ 20 syllables)
    name: float = 0.5  # weight of a platform-name match
    second_passage: float = 0.3  # share of the second-best passage in the item's dense score
    title_boost: float = 0.3  # lexical bonus for query words found in the title/aliases


@dataclass
class Filters:
    """Hard filters; a value must equal the item's (one of its list values) to pass."""

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


def facet_values(item: Item) -> dict[str, list[str]]:
    """The facet values of an item (platforms have no place; stories use their story fields)."""
    if isinstance(item, Story):
        loc = item.location
        return {"type": ["story"], "sector": list(item.sectors), "region": [loc.region],
                "province": [loc.province], "terrain": list(loc.terrain), "audience": list(item.audiences)}
    return {"type": ["platform"], "sector": list(item.sectors), "region": [], "province": [],
            "terrain": [], "audience": list(item.audiences)}


def count_facets(items: Iterable[Item]) -> dict[str, dict[str, int]]:
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
        self._passage_item = np.array([self._row[p.item_id] for p in built.passages], dtype=np.int64)
        self._bm25 = bm25s.BM25()
        self._bm25.index([toks or [""] for toks in built.doc_tokens], show_progress=False)
        self._vocab = set(self._bm25.vocab_dict)
        self._title_sets = [set(t) for t in built.title_tokens]
        self._names = [self._name_forms(item) for item in self.items]
        self._documents = [item_document(item) for item in self.items]
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ analysis

    def analyse(self, text: str) -> Query:
        return analyse(text, self.built.tokenizer, self.built.restorer)

    @staticmethod
    def _name_forms(item: Item) -> list[str]:
        if not isinstance(item, Platform):
            return []
        forms = {re.sub(r"[^a-z0-9]", "", fold(n)) for n in [item.name, *item.aliases]}
        return sorted(f for f in forms if len(f) >= 3)

    # ------------------------------------------------------------------ retrievers

    def dense_scores(self, q: Query) -> np.ndarray:
        """Per item: best passage cosine + ``second_passage`` × second best."""
        vec = self.cache.encode(q.restored)
        n_pass = self.built.dense.ntotal
        k = n_pass if n_pass <= 4096 else 1024
        sims, idx = self.built.dense.search(vec[None, :].astype(np.float32), k)
        best = np.full(len(self.items), -1.0, dtype=np.float32)
        second = np.full(len(self.items), -1.0, dtype=np.float32)
        for s, i in zip(sims[0], idx[0]):
            if i < 0:
                continue
            row = self._passage_item[i]
            if s > best[row]:
                second[row], best[row] = best[row], s
            elif s > second[row]:
                second[row] = s
        floor = float(best[best > -1].min()) if (best > -1).any() else 0.0
        best[best == -1] = floor
        second[second == -1] = best[second == -1]
        return best + self.weights.second_passage * second

    def lexical_scores(self, q: Query) -> np.ndarray:
        """BM25 over folded tokens, plus a bonus for content words found in the title or aliases."""
        tokens = [t for t in q.tokens if t in self._vocab]
        scores = np.zeros(len(self.items), dtype=np.float32)
        if tokens:
            scores = np.asarray(self._bm25.get_scores(tokens), dtype=np.float32)
        content = {t for t in q.tokens if t not in STOP_SYLLABLES}
        if content and scores.max() > 0:
            overlap = np.array([len(content & ts) / len(content) for ts in self._title_sets], dtype=np.float32)
            scores = scores + self.weights.title_boost * scores.max() * overlap
        return scores

    def name_scores(self, q: Query) -> np.ndarray:
        """1.0 when the query contains a platform name or alias; fuzzy credit for near misspellings."""
        compact = re.sub(r"[^a-z0-9]", "", q.folded)
        words = q.folded.split()
        out = np.zeros(len(self.items), dtype=np.float32)
        if not compact:
            return out
        for row, forms in enumerate(self._names):
            best = 0.0
            for form in forms:
                if form in compact:
                    best = 1.0
                    break
                best = max(best, _fuzzy_contains(form, words))
            out[row] = best
        return out

    # ------------------------------------------------------------------ fusion

    def dense_weight(self, q: Query) -> float:
        w = self.weights
        weight = w.dense_restored if q.was_restored or q.accent_ratio < 0.5 else w.dense
        if q.n_syllables >= 20:
            weight += w.dense_long_bonus
        return min(weight, 0.95)

    def score(self, q: Query, retriever: Retriever = "hybrid") -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Fused item scores and the per-retriever normalised parts."""
        dense = _minmax(self.dense_scores(q)) if retriever != "lexical" else np.zeros(len(self.items))
        lexical = _maxnorm(self.lexical_scores(q)) if retriever != "dense" else np.zeros(len(self.items))
        if retriever == "dense":
            return dense, {"dense": dense}
        if retriever == "lexical":
            return lexical, {"lexical": lexical}
        name = self.name_scores(q)
        wd = self.dense_weight(q)
        fused = wd * dense + (1 - wd) * lexical + self.weights.name * name
        return fused, {"dense": dense, "lexical": lexical, "name": name, "dense_weight": np.full(1, wd)}

    # ------------------------------------------------------------------ search

    def search(
        self,
        text: str,
        k: int = 10,
        filters: Filters | None = None,
        explain: bool = False,
        retriever: Retriever = "hybrid",
    ) -> SearchResult:
        started = time.perf_counter()
        q = self.analyse(text)
        fused, parts = self.score(q, retriever)
        order = np.argsort(-fused, kind="stable")
        filters = filters or Filters()
        # facets: over the items that are reasonably relevant (not the long tail of every item)
        top = float(fused[order[0]]) if len(order) else 0.0
        relevant = [self.items[i] for i in order if fused[i] >= 0.5 * top and fused[i] > 0][:50]
        hits: list[Hit] = []
        for i in order:
            item = self.items[i]
            if not filters.accepts(item):
                continue
            info: dict[str, Any] = {}
            if explain:
                info = {name: round(float(v[i]), 4) for name, v in parts.items() if name != "dense_weight"}
                if "dense_weight" in parts:
                    info["dense_weight"] = round(float(parts["dense_weight"][0]), 3)
                info["fused"] = round(float(fused[i]), 4)
            hits.append(Hit(item, float(fused[i]), self.snippet(i, q), info))
            if len(hits) >= k:
                break
        return SearchResult(q, hits, count_facets(relevant), (time.perf_counter() - started) * 1000)

    def rank_ids(self, text: str, retriever: Retriever = "hybrid", k: int = 10) -> list[str]:
        """Ids of the top ``k`` items (no snippets, no filters): what evaluation needs."""
        fused, _ = self.score(self.analyse(text), retriever)
        return [self.items[i].id for i in np.argsort(-fused, kind="stable")[:k]]

    # ------------------------------------------------------------------ snippets

    def snippet(self, row: int, q: Query, width: int = 220) -> str:
        """The sentence of the item that best matches the query, HTML-escaped, matches in <mark>."""
        item = self.items[row]
        wanted = set(q.content_syllables)
        text = self._documents[row]
        sentences = [s.strip() for s in re.split(r"\s*[.;!?]\s+|\s\.\s", text) if len(s.strip()) > 3]
        if not sentences:
            return ""
        default = item.summary if isinstance(item, Platform) else item.problem

        def overlap(sentence: str) -> int:
            return len({fold(s) for s in syllables(sentence)} & wanted)

        best = max(sentences, key=overlap)
        chosen = best if overlap(best) > 0 else default
        if len(chosen) > width:
            chosen = chosen[:width].rsplit(" ", 1)[0] + " …"
        return highlight(chosen, wanted)


def highlight(text: str, wanted: set[str]) -> str:
    """Escape ``text`` for HTML and wrap each syllable whose folded form is in ``wanted`` in <mark>."""
    out: list[str] = []
    last = 0
    for m in re.finditer(r"\w+", text):
        out.append(html.escape(text[last : m.start()]))
        word = html.escape(m.group(0))
        out.append(f"<mark>{word}</mark>" if fold(m.group(0)) in wanted else word)
        last = m.end()
    out.append(html.escape(text[last:]))
    return re.sub(r"</mark>(\s+)<mark>", r"\1", "".join(out))


def _minmax(values: np.ndarray) -> np.ndarray:
    lo, hi = float(values.min()), float(values.max())
    if hi - lo < 1e-9:
        return np.zeros_like(values, dtype=np.float32)
    return ((values - lo) / (hi - lo)).astype(np.float32)


def _maxnorm(values: np.ndarray) -> np.ndarray:
    hi = float(values.max())
    return (values / hi).astype(np.float32) if hi > 0 else np.zeros_like(values, dtype=np.float32)


def _fuzzy_contains(form: str, words: Sequence[str]) -> float:
    """Best similarity between ``form`` and any run of 1–3 query words written together (≥ 0.8 or 0)."""
    best = 0.0
    for n in (1, 2, 3):
        for i in range(len(words) - n + 1):
            chunk = "".join(words[i : i + n])
            if abs(len(chunk) - len(form)) > 2:
                continue
            ratio = difflib.SequenceMatcher(None, form, chunk).ratio()
            best = max(best, ratio)
    return best if best >= 0.8 else 0.0
