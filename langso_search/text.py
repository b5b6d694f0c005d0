"""Text: Vietnamese normalisation, accent folding, abbreviation expansion and lexical tokens.

The pipeline keeps two views of every text:

* the **accented** view (NFC, modern tone placement "hòa" not "hoà") that the dense model and the
  diacritic restorer read;
* the **folded** view (lowercase, no marks, đ→d) that lexical matching uses, so "duong" finds
  "đường" whatever the user typed.

Lexical tokens are folded syllables plus folded multi-syllable words ("ban_hang"), found by longest
match against a lexicon of words that ``underthesea.word_tokenize`` found in the corpus. Using the
same matcher for passages and queries keeps the two sides consistent even when the query has no
marks or no capitals (the underthesea segmenter is case- and accent-sensitive).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache
from importlib import resources

_WORD = re.compile(r"\w+", re.UNICODE)
_SPACE = re.compile(r"\s+")
_MAX_COMPOUND = 4

_FOLD_TABLE = str.maketrans({"đ": "d", "Đ": "D"})


def nfc(text: str) -> str:
    """Unicode NFC composition (the form every stored and compared string uses)."""
    return unicodedata.normalize("NFC", text)


# underthesea's __init__ tries to import optional pipelines (translate, classify …) which, when torch
# and transformers are installed, load them: seconds and ~250 MB for tools we never call. Marking
# them absent before the first import makes underthesea skip them (its own fallback for a missing extra).
_UNUSED_UNDERTHESEA = (
    "underthesea.pipeline.classification", "underthesea.pipeline.sentiment", "underthesea.pipeline.lang_detect",
    "underthesea.pipeline.dependency_parse", "underthesea.pipeline.translate", "underthesea.agent",
    "underthesea.address",
)


@lru_cache(maxsize=1)
def underthesea():  # type: ignore[no-untyped-def]
    """The underthesea package, imported without its optional heavy pipelines."""
    import sys

    if "underthesea" not in sys.modules:
        for name in _UNUSED_UNDERTHESEA:
            sys.modules.setdefault(name, None)  # type: ignore[arg-type]
    import underthesea as package

    return package


def _text_normalize():  # type: ignore[no-untyped-def]
    return underthesea().text_normalize


def normalize(text: str) -> str:
    """NFC, modern tone placement ("hoà" → "hòa", "thuỷ" → "thủy") and collapsed whitespace.

    Characters that are not text (control characters, NUL) become spaces. Case is kept.
    """
    text = nfc(text)
    text = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in text)
    text = _SPACE.sub(" ", text).strip()
    if not text:
        return ""
    # underthesea fixes tone placement syllable by syllable; it also pads punctuation with spaces,
    # which is harmless for matching.
    return nfc(_text_normalize()(text))


@lru_cache(maxsize=200_000)
def fold(text: str) -> str:
    """Lowercase and strip every diacritic, with the explicit đ→d that NFD does not do."""
    decomposed = unicodedata.normalize("NFD", text.translate(_FOLD_TABLE))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped).lower()


def has_marks(text: str) -> bool:
    """True when the text carries any Vietnamese diacritic (or đ)."""
    return fold(text) != text.lower()


def syllables(text: str) -> list[str]:
    """Lowercased NFC syllables (runs of letters/digits) in order; punctuation and emoji dropped."""
    return _WORD.findall(nfc(text).lower())


def accent_ratio(text: str) -> float:
    """Share of alphabetic syllables that carry marks: 0.0 for "toi muon ban cam", ~1.0 for accented text."""
    sylls = [s for s in syllables(text) if s.isalpha()]
    if not sylls:
        return 0.0
    return sum(1 for s in sylls if has_marks(s)) / len(sylls)


# ------------------------------------------------------------------ abbreviations / teencode


@lru_cache(maxsize=1)
def abbreviations() -> dict[str, str]:
    """The teencode/abbreviation dictionary kept as data in ``resources/teencode.tsv``."""
    table: dict[str, str] = {}
    text = resources.files("langso_search").joinpath("resources/teencode.tsv").read_text(encoding="utf-8")
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        token, _, expansion = line.partition("\t")
        table[nfc(token.strip().lower())] = nfc(expansion.strip())
    return table


def expand_abbreviations(text: str) -> str:
    """Replace whole-token abbreviations ("ko có tk" → "không có tài khoản"); other text is untouched."""
    table = abbreviations()

    def swap(match: re.Match[str]) -> str:
        word = match.group(0)
        return table.get(word.lower(), word)

    return _WORD.sub(swap, nfc(text))


# ------------------------------------------------------------------ segmentation


def word_tokenize(text: str) -> list[str]:
    """underthesea word segmentation of accented text; multi-syllable words keep their spaces."""
    return list(underthesea().word_tokenize(nfc(text)))


def learn_compounds(texts: Iterable[str]) -> set[str]:
    """Folded multi-syllable words ("ban hang") that underthesea finds in ``texts``."""
    lexicon: set[str] = set()
    for text in texts:
        for word in word_tokenize(text):
            parts = syllables(word)
            if 2 <= len(parts) <= _MAX_COMPOUND and all(p.isalpha() for p in parts):
                lexicon.add(" ".join(fold(p) for p in parts))
    return lexicon


class Tokenizer:
    """Folded lexical tokens: every syllable, plus each lexicon word found by longest match.

    >>> Tokenizer({"ban hang"}).tokens("Bán hàng qua mạng")
    ['ban', 'hang', 'qua', 'mang', 'ban_hang', '~bán', '~hàng', '~mạng']
    """

    def __init__(self, compounds: Iterable[str] = ()) -> None:
        self.compounds = frozenset(compounds)

    def tokens(self, text: str, accented: bool = True) -> list[str]:
        """Folded syllables + compounds, and (``accented``) "~"-prefixed marked syllables ("~bán").

        The accented view lets a query typed with marks prefer the exact word ("bán" over "bạn")
        while unaccented queries still match through the folded view.
        """
        sylls = syllables(text)
        folded = [fold(s) for s in sylls]
        marked = [f"~{s}" for s, f in zip(sylls, folded) if s != f] if accented else []
        return folded + self.compound_tokens(folded) + marked

    def compound_tokens(self, folded: Sequence[str]) -> list[str]:
        found: list[str] = []
        i = 0
        while i < len(folded):
            for n in range(min(_MAX_COMPOUND, len(folded) - i), 1, -1):
                if " ".join(folded[i : i + n]) in self.compounds:
                    found.append("_".join(folded[i : i + n]))
                    i += n
                    break
            else:
                i += 1
        return found
