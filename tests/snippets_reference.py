# The snippet highlighter as it was before it was made fast (commit c0cd460), kept verbatim (imports made
# absolute) as the reference that tests/test_snippets.py compares the fast one with. Not used by the package.
# ruff: noqa

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
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from langso_search.arrays import LazyRows
from langso_search.corpus import Item, Platform
from langso_search.index import item_document
from langso_search.query import STOP_SYLLABLES, Query
from langso_search.text import fold, has_marks, syllables

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


class Snippets:
    """Sentences of every item, ready for choosing and marking the best one for a query."""

    def __init__(self, items: Sequence[Item], compounds: frozenset[str]) -> None:
        self.items = list(items)
        self.compounds = compounds
        # sentences are made for the hits shown and kept in a bounded LRU (for 100k items all of them took GBs);
        # document frequencies need one pass over every item, kept as counts only
        self.sentences: LazyRows[list[tuple[str, frozenset[str]]]] = LazyRows(
            lambda row: _sentences(item_document(self.items[row], display=True)), len(self.items))
        df = Counter(f for item in self.items
                     for f in set().union(*(s for _, s in _sentences(item_document(item, display=True)))))
        self.idf = {syll: math.log(len(self.items) / n) + 0.1 for syll, n in df.items()}
        self.common = frozenset(syll for syll, n in df.items() if n >= COMMON_SHARE * len(self.items))

    def _weight(self, marked: str) -> float:
        """Rarer words weigh more; a multi-syllable term more than its syllables apart."""
        words = syllables(marked)
        return sum(self.idf.get(fold(w), 0.1) for w in words) * (1.5 if len(words) > 1 else 1.0)

    def snippet(self, row: int, q: Query, width: int = 220) -> str:
        """The sentence of item ``row`` with the most (and rarest) marked words, cut to ``width``."""
        views = [True, False] if has_marks(q.restored) else [False]
        for accented in views:
            terms = query_terms(q, accented, self.compounds)
            best, best_spans, best_score = "", [], 0.0
            for sentence, _ in self.sentences[row]:
                spans = marked_spans(sentence, terms, accented, self.compounds, self.common)
                score = sum(self._weight(sentence[a:b]) for a, b in spans)
                if score > best_score:
                    best, best_spans, best_score = sentence, spans, score
            if best:
                return render(*_cut(best, best_spans, width))
        item = self.items[row]
        fallback = item.summary if isinstance(item, Platform) else item.problem
        return render(*_cut(fallback, [], width))


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


def _sentences(document: str) -> list[tuple[str, frozenset[str]]]:
    """Sentences of an item document with their folded syllables."""
    parts = (s.strip() for s in _SENTENCE_SPLIT.split(document))
    return [(s, frozenset(fold(x) for x in syllables(s))) for s in parts if len(s) > 3]
