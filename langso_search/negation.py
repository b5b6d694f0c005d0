"""Negated needs: what a text says is *missing* ("không có tài khoản ngân hàng", "chưa có cáp quang").

A person who says they have no X needs a way that works without X, and the stories of people who had
no X either. Dense encoders read "không có tài khoản ngân hàng" as "about bank accounts", and BM25
matches the words of X wherever they stand, so on their own both rank the items that *presuppose* X
first. The items that answer such a need say so in their own text: "không cần tài khoản ngân hàng",
"chưa mở tài khoản ngân hàng", "không bắt buộc có điện thoại thông minh". This module finds the
negated needs of a query (:func:`lacked_phrases`) and, for every item, the needs its text negates
(:class:`LackIndex`); search lifts the items that negate what the query negates.

Everything is matched on folded syllables, except the cue "thiếu", which needs its marks: folded
"thieu" is also "thiểu" (dân tộc thiểu số) and "thiều" (vải thiều).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .arrays import TokenSets
from .text import fold, syllables

Lack = tuple[str, ...]  # the folded content syllables of one negated need: ("tai", "khoan", "ngan", "hang")

_NOT = frozenset({"khong", "chua", "chang", "hong", "hok", "ko", "k"})  # folded negators ("hổng", "hông" in the South)
_VERBS = frozenset({"co", "can", "mo", "dung", "mang"})  # không có / cần / mở / dùng / mang (+ X)
_BETWEEN = frozenset({"he", "bat", "buoc"})  # "không hề có", "không bắt buộc có"
# where the negated phrase ends: function words, conjunctions, question words ("không có X mà …",
# "… thì làm sao", "… cho con học"), compared with their marks: folded "ma", "vi", "cho" are also
# "mã", "ví", "chợ", which can be the very thing lacked ("chưa có mã số vùng trồng", "không có ví")
_BOUNDARY = frozenset(
    "tôi mình em là và với thì như nào gì sao kiểu có không được muốn ở trên ra vào này kia các những một "
    "hay hoặc nên nếu ấy à rồi rất nhé ơi mà để vì cũng làm chỉ cho nữa cả đâu chưa".split()
)
_INDEFINITE = frozenset({"ai", "gi", "dau"})  # "không có ai …" (nobody): not a thing one lacks
_CLAUSE = re.compile(r"[,.;:!?()\[\]\n]+")
MAX_LACK = 4  # syllables of one negated need


def _clauses(text: str) -> list[list[str]]:
    return [syllables(part) for part in _CLAUSE.split(text) if part.strip()]


def _cue_end(folded: Sequence[str], marked: Sequence[str], i: int) -> int | None:
    """Index just after a negation cue starting at ``i`` ("không có", "không bắt buộc có", "thiếu"), or None."""
    if marked[i] == "thiếu":
        return i + 1
    if folded[i] not in _NOT:
        return None
    j = i + 1
    while j < len(folded) and folded[j] in _BETWEEN:
        j += 1
    return j + 1 if j < len(folded) and folded[j] in _VERBS else None


def lacked_phrases(text: str, max_len: int = MAX_LACK) -> tuple[Lack, ...]:
    """The needs ``text`` says are missing, each as its folded content syllables, in order.

    "ko có tài khoản ngân hàng thì chuyển tiền kiểu gì" (abbreviations already expanded) →
    (("tai", "khoan", "ngan", "hang"),); "không có ai mua" → () (nobody is not a thing)."""
    found: list[Lack] = []
    for clause in _clauses(text):
        marked = [s.lower() for s in clause]
        folded = [fold(s) for s in clause]
        for i in range(len(folded)):
            start = _cue_end(folded, marked, i)
            if start is None or start >= len(folded) or folded[start] in _INDEFINITE:
                continue
            words: list[str] = []
            for w, m in zip(folded[start : start + max_len], marked[start : start + max_len]):
                if m in _BOUNDARY or w in _NOT:
                    break
                words.append(w)
            if words and tuple(words) not in found:
                found.append(tuple(words))
    return tuple(found)


def lacked_words(text: str) -> frozenset[str]:
    """Every content syllable ``text`` says is missing: "không có tài khoản ngân hàng" → {tai, khoan,
    ngan, hang}."""
    return frozenset(w for phrase in lacked_phrases(text) for w in phrase)


def same_lack(need: Lack, stated: Lack) -> bool:
    """``stated`` (negated in an item) is the query's ``need``: it holds the need's head syllable and at
    least two thirds of its syllables ("không cần mở tài khoản ngân hàng" states "tài khoản ngân hàng";
    "không có tài khoản định danh" does not)."""
    have = set(stated)
    return need[0] in have and 3 * len(have & set(need)) >= 2 * len(need)


@dataclass(frozen=True)
class LackIndex:
    """For every item (row), the needs its own text negates."""

    stated: tuple[tuple[Lack, ...], ...]
    stating: tuple[int, ...] = ()  # the rows that negate anything: the only ones a query must check

    @classmethod
    def of(cls, documents: Sequence[str]) -> LackIndex:
        # items state a lack at more length than a query ("không bắt buộc có điện thoại thông minh nên …")
        return cls.from_stated(tuple(lacked_phrases(doc, max_len=MAX_LACK + 2) for doc in documents))

    @classmethod
    def from_stated(cls, stated: tuple[tuple[Lack, ...], ...]) -> LackIndex:
        """The index of phrases already found (the build stores them in ``lexical.json``)."""
        return cls(stated, tuple(row for row, lacks in enumerate(stated) if lacks))

    @cached_property
    def _phrases(self) -> tuple[TokenSets, np.ndarray]:
        """Every stated phrase as a syllable set (postings), and the row that states it."""
        rows = [row for row in self.stating for _ in self.stated[row]]
        return TokenSets([phrase for row in self.stating for phrase in self.stated[row]]), np.asarray(rows, dtype=np.int64)

    def states(self, needs: Sequence[Lack]) -> np.ndarray:
        """Mask of the items whose text negates one of ``needs`` (all False when there are none): for each
        need, the stated phrases holding its head syllable and ≥ 2/3 of its syllables (:func:`same_lack`),
        counted over postings instead of a loop over every stating item (100k items: most state something)."""
        mask = np.zeros(len(self.stated), dtype=bool)
        if not needs or not self.stating:
            return mask
        phrases, phrase_row = self._phrases
        for need in needs:
            shared = phrases.count(set(need))  # per phrase: distinct syllables of the need it holds
            hit = (phrases.count({need[0]}) > 0) & (3 * shared >= 2 * len(need))
            mask[phrase_row[hit]] = True
        return mask
