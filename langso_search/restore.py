"""Diacritic restoration: "toi muon ban cam qua mang" → "tôi muốn bán cam qua mạng".

The dense model reads accented Vietnamese well and unaccented Vietnamese badly, so queries typed
without marks are restored before they are embedded (lexical matching keeps the folded form).

Model: a syllable trigram language model with interpolated lower orders, trained on our own corpus
text plus the word list that underthesea ships (``Viet74K``: multi-syllable words give bigram
evidence, every word gives the accented forms a folded syllable may take). Decoding is Viterbi over
the accented candidates of each folded syllable. Syllables the user typed with marks are kept as
they are; syllables never seen keep the user's spelling.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

from rapidfuzz import process
from rapidfuzz.distance import OSA

from .text import _WORD, expand_abbreviations, fold, has_marks, nfc, normalize, syllables, underthesea

_BOS = "<s>"
_EOS = "</s>"
# An unaccented syllable that is itself a real word ("ban", "cam") is a candidate like any other;
# these weights were set on the development queries (see `langso eval`).
_L3, _L2, _L1 = 0.45, 0.4, 0.15
_LEXICON_WEIGHT = 0.1  # a dictionary entry counts as a tenth of an occurrence in running text
_TYPO_PENALTY = math.log(0.02)  # a corrected typo must be ~50x likelier than the syllable as typed
_MAX_CANDIDATES = 6  # 12 gave the same accuracy on the dev queries at 3x the decoding time


@lru_cache(maxsize=1)
def seed_sentences() -> tuple[str, ...]:
    """Everyday questions we wrote ourselves (``resources/seed_vi.txt``): how people ask for help."""
    text = resources.files("langso_search").joinpath("resources/seed_vi.txt").read_text(encoding="utf-8")
    return tuple(line for line in text.splitlines() if line.strip() and not line.startswith("#"))


@lru_cache(maxsize=1)
def bundled_word_list() -> tuple[str, ...]:
    """Vietnamese words from underthesea's Viet74K list (read from the installed package, not copied)."""
    try:
        path = Path(underthesea().__file__).parent / "corpus" / "data" / "Viet74K.txt"
        lines = path.read_text(encoding="utf-8").splitlines()
    except (ImportError, OSError):
        return ()
    return tuple(nfc(line.strip().lower()) for line in lines if line.strip())


@dataclass
class Restorer:
    """A syllable trigram LM with a folded-syllable → accented-candidates table."""

    unigrams: Counter[str] = field(default_factory=Counter)
    bigrams: Counter[tuple[str, str]] = field(default_factory=Counter)
    trigrams: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    candidates: dict[str, list[str]] = field(default_factory=dict)
    total: float = 0.0

    # -------------------------------------------------------------- training

    @classmethod
    def train(cls, texts: Iterable[str], word_list: Iterable[str] = ()) -> Restorer:
        """Count syllable n-grams in ``texts`` (running text) and ``word_list`` (one word per entry)."""
        model = cls()
        for text in texts:
            for sentence in _sentences(normalize(text)):
                if len(sentence) >= 2 and sum(map(has_marks, sentence)) < 0.3 * len(sentence):
                    continue  # unaccented aliases ("tiem chung quoc gia") must not teach that marks are optional
                model._add(sentence, 1.0)
        for word in word_list:
            sylls = syllables(word)
            if sylls and all(s.isalpha() for s in sylls):
                model._add(sylls, _LEXICON_WEIGHT, boundaries=False)
        by_fold: dict[str, Counter[str]] = defaultdict(Counter)
        for syll, count in model.unigrams.items():
            if syll not in (_BOS, _EOS):
                by_fold[fold(syll)][syll] += count
        model.candidates = {f: [s for s, _ in c.most_common(_MAX_CANDIDATES)] for f, c in by_fold.items()}
        model.total = float(sum(model.unigrams.values()))
        return model

    def _add(self, sylls: list[str], weight: float, boundaries: bool = True) -> None:
        seq = [_BOS, _BOS, *sylls, _EOS] if boundaries else sylls
        for s in seq:
            self.unigrams[s] += weight  # type: ignore[assignment]
        for a, b in zip(seq, seq[1:]):
            self.bigrams[(a, b)] += weight  # type: ignore[assignment]
        for a, b, c in zip(seq, seq[1:], seq[2:]):
            self.trigrams[(a, b, c)] += weight  # type: ignore[assignment]

    # -------------------------------------------------------------- scoring

    def _logp(self, a: str, b: str, c: str) -> float:
        uni, bi = self.unigrams, self.bigrams
        p1 = (uni.get(c, 0.0) + 0.1) / (self.total + 0.1 * (len(uni) + 1))
        cb = uni.get(b, 0.0)
        p2 = bi.get((b, c), 0.0) / cb if cb else 0.0
        cab = bi.get((a, b), 0.0)
        p3 = self.trigrams.get((a, b, c), 0.0) / cab if cab else 0.0
        return math.log(_L3 * p3 + _L2 * p2 + _L1 * p1)

    def _options(self, syll: str, restore: bool) -> list[tuple[str, float]]:
        """Candidates for one typed syllable, each with a log-penalty (0 unless it fixes a typo)."""
        if not restore or has_marks(syll) or not syll.isalpha():
            return [(syll, 0.0)]
        known = self.candidates.get(syll)
        if known:
            return [(c, 0.0) for c in known]
        # a syllable we never saw: maybe a typo ("thaoi", "khog"); offer the accented forms of the
        # known syllables one edit (or one swap of neighbours) away, at a price, beside it as typed
        options = [(syll, 0.0)]
        if len(syll) >= 3:
            for near in self._neighbours(syll):
                options += [(c, _TYPO_PENALTY) for c in self.candidates[near][:3]]
        return options

    def _neighbours(self, folded: str) -> list[str]:
        keys = getattr(self, "_keys", None)
        if keys is None:
            keys = self._keys = sorted(self.candidates)
        found = process.extract(folded, keys, scorer=OSA.distance, score_cutoff=1, limit=8)
        ranked = sorted(found, key=lambda f: -self.unigrams.get(self.candidates[f[0]][0], 0.0))
        return [f[0] for f in ranked[:3]]

    # -------------------------------------------------------------- decoding

    def restore_syllables(self, sylls: list[str], fixed: list[bool] | None = None) -> list[str]:
        """Most likely accented sequence; positions with ``fixed[i]`` keep their syllable."""
        if not sylls:
            return []
        fixed = fixed or [False] * len(sylls)
        options = [self._options(s.lower(), not f) for s, f in zip(sylls, fixed)]
        # state: (previous syllable, current syllable) -> (log prob, path)
        beams: dict[tuple[str, str], tuple[float, list[str]]] = {(_BOS, _BOS): (0.0, [])}
        for opts in options:
            nxt: dict[tuple[str, str], tuple[float, list[str]]] = {}
            for (a, b), (score, path) in beams.items():
                for c, penalty in opts:
                    cand = score + penalty + self._logp(a, b, c)
                    key = (b, c)
                    if key not in nxt or cand > nxt[key][0]:
                        nxt[key] = (cand, [*path, c])
            beams = nxt
        best = max(beams.items(), key=lambda kv: kv[1][0] + self._logp(kv[0][0], kv[0][1], _EOS))
        return best[1][1]

    def restore(self, text: str) -> str:
        """Restore marks on the unmarked syllables of ``text``; everything else is kept as typed.

        A text that is already mostly accented is returned unchanged: its unmarked syllables are
        taken as meant ("cam", "qua" are words too).
        """
        text = nfc(text)
        matches = list(_WORD.finditer(text))
        sylls = [m.group(0) for m in matches]
        alpha = [s for s in sylls if s.isalpha()]
        if not alpha or sum(has_marks(s) for s in alpha) / len(alpha) >= 0.5:
            return text
        restored = self.restore_syllables([s.lower() for s in sylls], [has_marks(s) for s in sylls])
        out, last = [], 0
        for m, new in zip(matches, restored):
            old = m.group(0)
            out.append(text[last : m.start()])
            if new == old.lower():
                new = old  # unchanged: keep the user's casing ("VNeID", "Postmart")
            elif old[:1].isupper():
                new = new.capitalize()
            out.append(new)
            last = m.end()
        out.append(text[last:])
        return "".join(out)


def _sentences(text: str) -> list[list[str]]:
    """Split running text into sentences of lowercase syllables (digits kept as their own tokens)."""
    out: list[list[str]] = []
    for chunk in text.replace("\n", ".").split("."):
        sylls = syllables(chunk)
        if sylls:
            out.append(sylls)
    return out


def syllable_accuracy(restorer: Restorer, accented: Iterable[str]) -> tuple[float, int]:
    """Share of alphabetic syllables restored exactly when ``accented`` texts are stripped of marks."""
    right = total = 0
    for text in accented:
        # as in the query pipeline: abbreviations are expanded before restoration, on both sides
        gold = [s for s in syllables(normalize(expand_abbreviations(text))) if s.isalpha()]
        typed = expand_abbreviations(fold(normalize(text)))
        guess = [s for s in syllables(restorer.restore(typed)) if s.isalpha()]
        if len(guess) != len(gold):
            continue
        right += sum(g == h for g, h in zip(gold, guess))
        total += len(gold)
    return (right / total if total else 0.0), total
