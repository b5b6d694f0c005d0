"""Snippets: the sentence of an item that best answers the query, with the matched words in <mark>.

A highlight has to mean something to the reader:

* a **multi-syllable term** of the query found as a run in the sentence ("điện thoại", "bán hàng")
  is marked whole;
* a **lone syllable** is marked only when it is a content word: never a function word or a
  filler/bound syllable ("ông", "bà", "anh", "là", "có", "bí", "phố", "mặt" …), and never when
  the sentence uses it inside a word the query does not have ("xã" in "xã hội", "mặt" in "mặt hàng");
* matching uses the accented form when the query has marks (typed or restored: "phở" is not
  "phố"), the folded form otherwise or when the accented form finds nothing.
"""

from __future__ import annotations

import html
import math
import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from .arrays import LazyRows
from .corpus import Item
from .index import item_document
from .query import STOP_SYLLABLES, Query
from .text import fold, has_marks, syllables

# Syllables that never carry the topic on their own (accented, lowercase): persons and kinship,
# function words, and bound syllables that mostly live inside other words (bí thư, phố cổ, mặt hàng).
FILLER = frozenset(
    ["ông", "bà", "anh", "chị", "em", "cô", "chú", "bác", "dì", "cậu", "cháu", "con", "cha", "mẹ", "bố", "má", "tôi", "tui", "mình", "ta", "họ", "nó", "người", "ai", "là", "có", "của", "cho", "và", "với", "thì", "mà", "những", "các", "một", "này", "đó", "ấy", "kia", "rồi", "đã", "đang", "sẽ", "cũng", "vẫn", "còn", "rất", "lắm", "quá", "hơn", "nhất", "ở", "tại", "trong", "ngoài", "trên", "dưới", "về", "ra", "vào", "lên", "xuống", "đi", "đến", "tới", "từ", "theo", "bị", "do", "vì", "nên", "nếu", "khi", "lúc", "để", "được", "không", "chưa", "muốn", "cần", "phải", "biết", "xem", "hay", "hoặc", "gì", "đâu", "sao", "nào", "bao", "thế", "vậy", "như", "làm", "cách", "kiểu", "cái", "chiếc", "việc", "điều", "nhiều", "ít", "mỗi", "mọi", "cả", "chỉ", "qua", "lại", "nhà", "bí", "phố", "mặt", "nhân", "sự", "cuộc", "viên", "thư", "thể"]
)
COMMON_SHARE = 0.25  # a syllable in this share of items or more is "common" (see marked_spans)
_MAX_TERM = 4  # longest multi-syllable term matched as a run
_WORD_RE = re.compile(r"\w+")
_ADJACENT = re.compile(r"</mark>(\s+)<mark>")
_SENTENCE_SPLIT = re.compile(r"\s*[.;!?]\s+|\s\.\s")
T = TypeVar("T")


@dataclass(frozen=True)
class _Terms:
    """A query as the highlighter reads it, in one matching view (accented or folded)."""

    singles: frozenset[str]  # content syllables
    runs: frozenset[tuple[str, ...]]  # every n-gram (2 ≤ n ≤ 4) of the query's syllables
    compound_of: dict[str, str]  # syllable -> the lexicon word it belongs to in the query


def _key(word: str, accented: bool) -> str:
    return word.lower() if accented else fold(word)


def is_filler(word: str) -> bool:
    """True for a syllable that must not be highlighted on its own."""
    return fold(word) in STOP_SYLLABLES or word.lower() in FILLER


def _segment(folded: Sequence[str], compounds: frozenset[str]) -> list[str]:
    """For each syllable, the (folded, space-joined) lexicon word it belongs to; itself if none."""
    owner = list(folded)
    i = 0
    while i < len(folded):
        for n in range(min(_MAX_TERM, len(folded) - i), 1, -1):
            word = " ".join(folded[i : i + n])
            if word in compounds:
                owner[i : i + n] = [word] * n
                i += n
                break
        else:
            i += 1
    return owner


def query_terms(q: Query, accented: bool, compounds: frozenset[str]) -> _Terms:
    words = syllables(q.restored if accented else q.normalized)
    keys = [_key(w, accented) for w in words]
    owners = _segment([fold(w) for w in words], compounds)
    singles = frozenset(k for k, w in zip(keys, words) if not is_filler(w) and len(w) >= 2)
    runs = frozenset(tuple(keys[i : i + n]) for n in range(2, _MAX_TERM + 1) for i in range(len(keys) - n + 1))
    compound_of = {fold(w): o for w, o in zip(words, owners) if " " in o}
    return _Terms(singles, runs, compound_of)


def marked_spans(
    sentence: str, terms: _Terms, accented: bool, compounds: frozenset[str], common: frozenset[str] = frozenset()
) -> list[tuple[int, int]]:
    """Character spans of ``sentence`` to wrap in <mark>, following the rules of this module.

    ``common``: folded syllables found in many items; one of them inside a longer word of the
    sentence is that word's part, not the query's word. (The segmentation lexicon is learned and
    loose — "tiktoker livestream" — so rarer syllables are not held to this.)
    """
    found = list(_WORD_RE.finditer(sentence))
    words = [m.group(0) for m in found]
    keys = [_key(w, accented) for w in words]
    owners = _segment([fold(w) for w in words], compounds)
    marked = [False] * len(words)
    i = 0
    while i < len(words):  # runs first, longest first
        for n in range(min(_MAX_TERM, len(words) - i), 1, -1):
            run = tuple(keys[i : i + n])
            if run in terms.runs and not all(is_filler(w) for w in words[i : i + n]):
                marked[i : i + n] = [True] * n
                i += n
                break
        else:
            i += 1
    for j, (word, key) in enumerate(zip(words, keys)):
        if marked[j] or key not in terms.singles or is_filler(word):
            continue
        in_query = terms.compound_of.get(fold(word))
        if " " in owners[j] and owners[j] != in_query and (in_query or fold(word) in common):
            continue  # part of another word here: "xã" is not "xã hội", "tiền mặt" is not "mặt hàng"
        marked[j] = True
    return [(m.start(), m.end()) for m, on in zip(found, marked) if on]


def render(text: str, spans: list[tuple[int, int]]) -> str:
    """HTML-escape ``text`` and wrap ``spans`` in <mark> (adjacent marks merged)."""
    out, last = [], 0
    for start, end in spans:
        out.append(html.escape(text[last:start]))
        out.append(f"<mark>{html.escape(text[start:end])}</mark>")
        last = end
    out.append(html.escape(text[last:]))
    return _ADJACENT.sub(r"\1", "".join(out))


def highlight(text: str, wanted: set[str], exact: bool = False) -> str:
    """Escape ``text`` and mark each syllable in ``wanted`` (folded, or lowercase accented when ``exact``)
    that is not a filler syllable. For a query, :class:`Snippets` applies the full rules."""
    text = text.replace("\x00", " ").replace("\x01", " ")
    spans = [(m.start(), m.end()) for m in _WORD_RE.finditer(text)
             if (m.group(0).lower() if exact else fold(m.group(0))) in wanted and not is_filler(m.group(0))]
    return render(text, spans)


@dataclass(frozen=True)
class _Sentence:
    """A sentence of an item with everything the highlighter needs that does not depend on the query."""

    text: str
    found: tuple[tuple[int, int], ...]  # character span of each word (``_WORD_RE``)
    lower: tuple[str, ...]  # accented matching keys
    folded: tuple[str, ...]  # folded matching keys
    filler: tuple[bool, ...]  # is_filler per word
    owners: tuple[str, ...]  # lexicon word each syllable belongs to (``_segment``)
    weight: tuple[float, ...]  # Snippets._weight of each word
    lower_set: frozenset[str]
    folded_set: frozenset[str]


@dataclass(frozen=True)
class _QueryView:
    """A query in one matching view, with the keys a sentence must share to get any mark."""

    terms: _Terms
    accented: bool
    starts: frozenset[str]  # singles and first keys of runs


def _fast_spans(s: _Sentence, view: _QueryView, common: frozenset[str]) -> list[int]:
    """Indices of the words of ``s`` that :func:`marked_spans` marks (same rules, precomputed inputs)."""
    keys = s.lower if view.accented else s.folded
    if view.starts.isdisjoint(s.lower_set if view.accented else s.folded_set):
        return []
    terms, filler, n_words = view.terms, s.filler, len(keys)
    marked = [False] * n_words
    i = 0
    while i < n_words:  # runs first, longest first
        if keys[i] in view.starts:
            for n in range(min(_MAX_TERM, n_words - i), 1, -1):
                if keys[i : i + n] in terms.runs and not all(filler[i : i + n]):
                    marked[i : i + n] = [True] * n
                    i += n
                    break
            else:
                i += 1
        else:
            i += 1
    for j, key in enumerate(keys):
        if marked[j] or key not in terms.singles or filler[j]:
            continue
        in_query = terms.compound_of.get(s.folded[j])
        owner = s.owners[j]
        if " " in owner and owner != in_query and (in_query or s.folded[j] in common):
            continue
        marked[j] = True
    return [j for j, on in enumerate(marked) if on]


class Snippets:
    """Sentences of every item, ready for choosing and marking the best one for a query.

    Per item, what does not depend on the query (words, keys, segmentation, weights) is computed once;
    per query, its terms in each view; a sentence that shares no key with the query is skipped.
    """

    def __init__(self, items: Sequence[Item], compounds: frozenset[str], keep: int = 4096,
                 df: Counter[str] | None = None) -> None:
        self.items = items  # a build's items are read on demand: never copied into a list
        self.compounds = compounds
        # sentences are made for the hits shown and kept in a bounded LRU (for 100k items all of them took GBs);
        # document frequencies need one pass over every item, kept as counts only (``df``: already counted,
        # by item_scan.py, from each display document's :func:`document_syllables`)
        self.sentences: LazyRows[list[_Sentence]] = LazyRows(self._prepare, len(self.items))
        if df is None:
            df = Counter(f for item in self.items for f in document_syllables(item_document(item, display=True)))
        self.idf = {syll: math.log(len(self.items) / n) + 0.1 for syll, n in df.items()}
        self.common = frozenset(syll for syll, n in df.items() if n >= COMMON_SHARE * len(self.items))
        self._keep = keep
        self._views: OrderedDict[tuple[bool, str], _QueryView] = OrderedDict()
        self._done: OrderedDict[tuple[int, str, str, int], str] = OrderedDict()
        self._lock = threading.Lock()

    def _weight(self, marked: str) -> float:
        """Rarer words weigh more; a multi-syllable term more than its syllables apart."""
        words = syllables(marked)
        return sum(self.idf.get(fold(w), 0.1) for w in words) * (1.5 if len(words) > 1 else 1.0)

    def _prepare(self, row: int) -> list[_Sentence]:
        out = []
        for text, _ in _sentences(item_document(self.items[row], display=True)):
            found = [m.span() for m in _WORD_RE.finditer(text)]
            words = [text[a:b] for a, b in found]
            lower, folded = tuple(w.lower() for w in words), tuple(fold(w) for w in words)
            out.append(_Sentence(
                text, tuple(found), lower, folded, tuple(is_filler(w) for w in words),
                tuple(_segment(folded, self.compounds)), tuple(self.idf.get(f, 0.1) for f in folded),  # = _weight(w)
                frozenset(lower), frozenset(folded)))
        return out

    def prepare_all(self) -> int:
        """Prepare the sentences of every item now when all of them fit the cache (a small corpus: the
        first query showing an item then costs no ≈ 2 ms per new hit). Returns how many were prepared."""
        if len(self.items) > self.sentences.keep:
            return 0
        for row in range(len(self.items)):
            self.sentences[row]
        return len(self.items)

    def _cached(self, store: OrderedDict, key: object, make: Callable[[], T]) -> T:  # type: ignore[type-arg]
        with self._lock:
            value = store.get(key)
            if value is not None:
                store.move_to_end(key)
                return value  # type: ignore[no-any-return]
        value = make()
        with self._lock:
            store[key] = value
            while len(store) > self._keep:
                store.popitem(last=False)
        return value

    def _view(self, q: Query, accented: bool) -> _QueryView:
        def make() -> _QueryView:
            terms = query_terms(q, accented, self.compounds)
            return _QueryView(terms, accented, terms.singles | {run[0] for run in terms.runs})

        return self._cached(self._views, (accented, q.restored if accented else q.normalized), make)

    def snippet(self, row: int, q: Query, width: int = 220) -> str:
        """The sentence of item ``row`` with the most (and rarest) marked words, cut to ``width``."""
        key = (row, q.normalized, q.restored, width)
        return self._cached(self._done, key, lambda: self._snippet(row, q, width))

    def _snippet(self, row: int, q: Query, width: int) -> str:
        views = [True, False] if has_marks(q.restored) else [False]
        sentences = self.sentences[row]
        for accented in views:
            view = self._view(q, accented)
            best, best_words, best_score = None, [], 0.0
            for s in sentences:
                marked = _fast_spans(s, view, self.common)
                if not marked:
                    continue
                score = sum(s.weight[j] for j in marked)
                if score > best_score:
                    best, best_words, best_score = s, marked, score
            if best is not None:
                return render(*_cut(best.text, [best.found[j] for j in best_words], width))
        return render(*_cut(self.items[row].summary_text, [], width))


def _cut(text: str, spans: list[tuple[int, int]], width: int) -> tuple[str, list[tuple[int, int]]]:
    """At most ``width`` characters around the first mark, cut at word boundaries."""
    if len(text) <= width:
        return text, spans
    start = 0
    if spans and spans[0][1] > width - 20:  # the first mark would be cut off: start a little before it
        start = max(0, spans[0][0] - 40)
        start = text.find(" ", start) + 1 if start else 0
    end = start + width
    if end < len(text):
        end = text.rfind(" ", start, end) if text.rfind(" ", start, end) > start else end
    prefix, suffix = ("… " if start else ""), (" …" if end < len(text) else "")
    shift = len(prefix) - start
    kept = [(a + shift, b + shift) for a, b in spans if a >= start and b <= end]
    return prefix + text[start:end] + suffix, kept


def document_syllables(document: str) -> frozenset[str]:
    """The folded syllables of a document's sentences (what snippet document frequencies count)."""
    return frozenset().union(*(folded for _, folded in _sentences(document)))


def _sentences(document: str) -> list[tuple[str, frozenset[str]]]:
    """Sentences of an item document with their folded syllables."""
    parts = (s.strip() for s in _SENTENCE_SPLIT.split(document))
    return [(s, frozenset(fold(x) for x in syllables(s))) for s in parts if len(s) > 3]
