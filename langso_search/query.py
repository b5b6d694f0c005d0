"""Query analysis: what the user typed, turned into what each retriever should read.

"ko có tk ngân hàng chuyển tiền kiểu gì" → expanded "không có tài khoản ngân hàng …";
"toi muon ban cam qua mang" → restored "tôi muốn bán cam qua mạng" for the dense model, while the
lexical side always reads folded tokens.
"""

from __future__ import annotations

from dataclasses import dataclass

from .negation import Lack, lacked_phrases
from .restore import Restorer
from .text import Tokenizer, accent_ratio, expand_abbreviations, fold, normalize, syllables

# Function words (folded) that carry no topic: never highlighted. Folded forms that are also content
# words ("ban" = bạn/bán, "cho" = cho/chợ, "vay" = vậy/vay) are deliberately absent.
STOP_SYLLABLES = frozenset(
    "toi minh em la va voi thi nhu nao gi sao kieu co khong duoc muon o tren ra vao nay kia "
    "cac nhung mot hay hoac nen neu ay a roi rat nhe oi u".split()
)

MAX_ALTERNATIVES = 2  # close readings searched with (and shown) besides the best one


@dataclass(frozen=True)
class Reading:
    """One candidate reading of an unaccented query, with the restorer's probability for it."""

    text: str
    probability: float


@dataclass(frozen=True)
class Query:
    """One analysed query."""

    raw: str
    normalized: str  # NFC, tone placement, abbreviations expanded
    restored: str  # with diacritics restored when the user typed without them
    folded: str  # folded syllables of ``normalized``
    raw_folded: str  # folded syllables of what was typed, before abbreviation expansion
    tokens: tuple[str, ...]  # lexical tokens (folded syllables + compounds; marked syllables if typed)
    accent_ratio: float  # share of syllables the user typed with marks
    n_syllables: int
    alternatives: tuple[Reading, ...] = ()  # other close readings (n-best restoration), best first
    exact: bool = False  # "Tìm đúng chữ tôi gõ": no restoration, lexical on the folded form only
    probability: float = 1.0  # the restorer's probability for ``restored`` (normalised over its n-best)
    lacks: tuple[Lack, ...] = ()  # negated needs, folded: "không có tk ngân hàng" → (("tai", "khoan", "ngan", "hang"),)

    @property
    def lacked_words(self) -> frozenset[str]:
        """Every content syllable of the negated needs (what :func:`negation.lacked_words` gives for ``restored``)."""
        return frozenset(w for need in self.lacks for w in need)

    @property
    def was_restored(self) -> bool:
        return self.restored != self.normalized

    @property
    def readings(self) -> tuple[Reading, ...]:
        """``restored`` and the close alternatives: what the engine searches with, best first."""
        return (Reading(self.restored, self.probability), *self.alternatives)

    @property
    def content_syllables(self) -> list[str]:
        return [s for s in self.folded.split() if s not in STOP_SYLLABLES]


def analyse(
    text: str, tokenizer: Tokenizer, restorer: Restorer, exact: bool = False, alt_ratio: float = 0.5
) -> Query:
    """Normalise, expand teencode, restore diacritics, and tokenise one query.

    When the second-best restoration is at least ``alt_ratio`` times as likely as the best, the close
    readings become ``alternatives`` (the engine searches with all of them). ``exact``: the text is
    taken as typed: no expansion, no restoration, lexical tokens from its folded form only.
    """
    typed = normalize(text)
    ratio = accent_ratio(text)
    if exact:
        return _exact(text, typed, ratio, tokenizer)
    normalized = normalize(expand_abbreviations(typed))
    readings = restorer.readings(normalized)
    restored, probability = readings[0]
    alternatives = tuple(
        Reading(t, p) for t, p in readings[1 : 1 + MAX_ALTERNATIVES] if alt_ratio > 0 and p >= alt_ratio * probability
    )
    tokens = tokenizer.tokens(normalized, accented=ratio >= 0.5)
    # restoration may also have fixed a typo ("dien thaoi" → "điện thoại"): match the fixed form too,
    # and the forms of the close alternatives. (Their marks are not added as exact-accent tokens:
    # that measured slightly worse on the dev set.)
    for reading in (restored, *(a.text for a in alternatives)):
        tokens += [t for t in tokenizer.tokens(reading, accented=False) if t not in tokens]
    sylls = syllables(normalized)
    return Query(
        raw=text,
        normalized=normalized,
        restored=restored,
        folded=" ".join(fold(s) for s in sylls),
        raw_folded=" ".join(fold(s) for s in syllables(typed)),
        tokens=tuple(tokens),
        accent_ratio=ratio,
        n_syllables=len(sylls),
        alternatives=alternatives,
        probability=probability,
        lacks=lacked_phrases(restored),
    )


def _exact(text: str, typed: str, ratio: float, tokenizer: Tokenizer) -> Query:
    """The query exactly as typed: folded lexical tokens, no expansion, no restoration."""
    sylls = syllables(typed)
    folded = " ".join(fold(s) for s in sylls)
    return Query(
        raw=text,
        normalized=typed,
        restored=typed,
        folded=folded,
        raw_folded=folded,
        tokens=tuple(tokenizer.tokens(typed, accented=False)),
        accent_ratio=ratio,
        n_syllables=len(sylls),
        exact=True,
        lacks=lacked_phrases(typed),
    )
