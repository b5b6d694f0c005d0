"""What the diacritic restorer learns from, besides the corpus: data we wrote and data packages ship.

* ``resources/seed_vi.txt``: everyday questions and dialect sentences we wrote ourselves (running text);
* ``resources/everyday_vi.tsv``: everyday and dialect phrases we wrote ourselves (bigram/compound
  evidence: "mật ong", "khỏi phải", "tui hông biết", "làm răng"), each with its region and, for
  dialect words, the standard word it means;
* underthesea's ``Viet74K`` word list (read from the installed package, not copied);
* the ``wordfreq`` package's Vietnamese word frequencies (a unigram prior over everyday language;
  code Apache-2.0, data CC-BY-SA 4.0, see ``resources/LICENSES.md``), read from the installed package.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from .text import nfc, syllables, underthesea

_FILES = ("seed_vi.txt", "everyday_vi.tsv")
_MODEL_VERSION = "3"  # bump when the Restorer's fields or training change (old pickles become stale)


def _resource(name: str) -> str:
    return resources.files("langso_search").joinpath(f"resources/{name}").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def seed_sentences() -> tuple[str, ...]:
    """Everyday questions we wrote ourselves (``resources/seed_vi.txt``): how people ask for help."""
    return tuple(line for line in _resource("seed_vi.txt").splitlines() if line.strip() and not line.startswith("#"))


@dataclass(frozen=True)
class LexiconEntry:
    """One everyday or dialect phrase: as written (accented), its region, and a standard paraphrase."""

    phrase: str
    region: str  # "Nam", "Trung", "Bắc" or "chung" (everyday, everywhere)
    standard: str = ""  # for dialect words: the standard word(s) they mean ("tui" → "tôi")


@lru_cache(maxsize=1)
def everyday_lexicon() -> tuple[LexiconEntry, ...]:
    """``resources/everyday_vi.tsv``: phrase<TAB>region[<TAB>standard]."""
    entries = []
    for line in _resource("everyday_vi.tsv").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        cols = [nfc(c.strip()) for c in line.split("\t")]
        entries.append(LexiconEntry(cols[0].lower(), cols[1] if len(cols) > 1 else "chung",
                                    cols[2] if len(cols) > 2 else ""))
    return tuple(entries)


@lru_cache(maxsize=1)
def bundled_word_list() -> tuple[str, ...]:
    """Vietnamese words from underthesea's Viet74K list (read from the installed package, not copied)."""
    try:
        path = Path(underthesea().__file__).parent / "corpus" / "data" / "Viet74K.txt"
        lines = path.read_text(encoding="utf-8").splitlines()
    except (ImportError, OSError):
        return ()
    return tuple(nfc(line.strip().lower()) for line in lines if line.strip())


@lru_cache(maxsize=1)
def word_frequencies() -> dict[str, float]:
    """Vietnamese syllable frequencies from ``wordfreq`` (share of running text); {} when absent."""
    try:
        import wordfreq
    except ImportError:
        return {}
    freqs: dict[str, float] = {}
    for word, freq in wordfreq.get_frequency_dict("vi").items():
        for syll in syllables(word):
            if syll.isalpha():
                freqs[nfc(syll)] = freqs.get(nfc(syll), 0.0) + freq
    return freqs


def data_fingerprint() -> str:
    """A digest of everything the restorer is trained from besides the corpus (index staleness)."""
    from importlib import metadata

    digest = hashlib.sha256(_MODEL_VERSION.encode())
    for name in _FILES:
        digest.update(_resource(name).encode("utf-8"))
    try:
        digest.update(metadata.version("wordfreq").encode())
    except metadata.PackageNotFoundError:
        digest.update(b"no-wordfreq")
    return digest.hexdigest()[:16]
