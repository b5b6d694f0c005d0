"""Diacritic restoration: "toi muon ban cam qua mang" → "tôi muốn bán cam qua mạng", with its doubt.

The dense model reads accented Vietnamese well and unaccented Vietnamese badly, so queries typed
without marks are restored before they are embedded (lexical matching keeps the folded form).

Model: a syllable trigram language model with Witten-Bell interpolation down to a unigram that
mixes our counts with a prior of everyday Vietnamese (``wordfreq``). It is trained on our corpus,
our own everyday and dialect sentences and phrases, and underthesea's ``Viet74K`` word list (see
``restore_data``). Decoding is a k-best Viterbi over the accented candidates of each folded
syllable: ``readings`` returns the best few readings with probabilities normalised over the beam,
``restore`` the best one. Syllables the user typed with marks are kept as they are; syllables never
seen keep the user's spelling (or, at a price, become a known syllable one typo away).
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from .restore_data import bundled_word_list, everyday_lexicon, seed_sentences, word_frequencies
from .text import _WORD, expand_abbreviations, fold, has_marks, nfc, normalize, syllables

__all__ = ["Restorer", "bundled_word_list", "seed_sentences", "syllable_accuracy"]

_BOS = "<s>"
_EOS = "</s>"
# Weights set on the development queries (data/eval/queries.jsonl only; see `langso eval`).
_LEXICON_WEIGHT = 0.1  # a Viet74K entry counts as a tenth of an occurrence in running text
_EVERYDAY_WEIGHT = 2.0  # one of our everyday/dialect phrases counts as two occurrences
_PRIOR_MIX = 0.3  # unigram: this share from wordfreq's everyday Vietnamese, the rest from our counts
_WB_SCALE = 3.0  # Witten-Bell: weight of the lower order ∝ this × distinct followers of the context
_PRIOR_FLOOR = 1e-7  # prior of a syllable wordfreq does not list
_TYPO_PENALTY = math.log(0.02)  # a corrected typo must be ~50x likelier than the syllable as typed
_MAX_CANDIDATES = 12  # accented forms kept per folded syllable ("do": đó độ đồ đỏ đỡ đo ...; 6 lost đỡ, đo, đòi)
_BEAM = 4  # paths kept per decoder state (k-best Viterbi)
_STATES = 12  # decoder states (syllable pairs) kept per position, plus the best one per candidate (see _prune)
_N_BEST = 5  # readings returned (probabilities normalised over these)
_CLAUSES = True  # punctuation inside a sentence (",", "?", ";"...) starts a fresh context, in training and decoding
_CLAUSE_END = re.compile(r"[.,;:?!\n()\[\]\"“”…]")
_SENTENCE_END = re.compile(r"[.\n]")


@dataclass
class Restorer:
    """A syllable trigram LM with a folded-syllable → accented-candidates table."""

    unigrams: Counter[str] = field(default_factory=Counter)
    bigrams: Counter[tuple[str, str]] = field(default_factory=Counter)
    trigrams: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    candidates: dict[str, list[str]] = field(default_factory=dict)
    total: float = 0.0
    prior: dict[str, float] = field(default_factory=dict)  # syllable -> share of everyday text
    bi_context: dict[str, tuple[float, int]] = field(default_factory=dict)  # b -> (count, distinct followers)
    tri_context: dict[tuple[str, str], tuple[float, int]] = field(default_factory=dict)
    prior_mix: float = _PRIOR_MIX
    wb_scale: float = _WB_SCALE

    # -------------------------------------------------------------- training

    @classmethod
    def train(
        cls, texts: Iterable[str], word_list: Iterable[str] = (), *, everyday: bool = True, prior: bool = True
    ) -> Restorer:
        """Count syllable n-grams in ``texts`` (running text) and ``word_list`` (one word per entry).

        ``everyday`` adds our everyday/dialect phrases (``resources/everyday_vi.tsv``); ``prior`` mixes
        wordfreq's Vietnamese frequencies into the unigram and offers its syllables as candidates.
        """
        model = cls()
        for text, times in Counter(texts).items():  # a text given n times is read once and counted n times
            for sentence in _training_sentences(text):
                model._add(list(sentence), float(times))
        for word in word_list:
            sylls = syllables(word)
            if sylls and all(s.isalpha() for s in sylls):
                model._add(sylls, _LEXICON_WEIGHT, boundaries=False)
        if everyday:
            for entry in everyday_lexicon():
                model._add(syllables(entry.phrase), _EVERYDAY_WEIGHT, boundaries=False)
        model.prior = dict(word_frequencies()) if prior else {}
        model._finish()
        return model

    def _add(self, sylls: list[str], weight: float, boundaries: bool = True) -> None:
        seq = [_BOS, _BOS, *sylls, _EOS] if boundaries else sylls
        for s in seq:
            self.unigrams[s] += weight  # type: ignore[assignment]
        for a, b in zip(seq, seq[1:]):
            self.bigrams[(a, b)] += weight  # type: ignore[assignment]
        for a, b, c in zip(seq, seq[1:], seq[2:]):
            self.trigrams[(a, b, c)] += weight  # type: ignore[assignment]

    def _finish(self) -> None:
        """Context counts for Witten-Bell, totals, and the candidate table."""
        bi: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])
        for (b, _), n in self.bigrams.items():
            bi[b][0] += n
            bi[b][1] += 1
        tri: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0])
        for (a, b, _), n in self.trigrams.items():
            tri[(a, b)][0] += n
            tri[(a, b)][1] += 1
        self.bi_context = {k: (v[0], int(v[1])) for k, v in bi.items()}
        self.tri_context = {k: (v[0], int(v[1])) for k, v in tri.items()}
        self.total = float(sum(self.unigrams.values()))
        by_fold: dict[str, set[str]] = defaultdict(set)
        for syll in [*self.unigrams, *self.prior]:
            if syll not in (_BOS, _EOS) and syll.isalpha():
                by_fold[fold(syll)].add(syll)
        self.candidates = {
            f: sorted(c, key=lambda s: -self._p_uni(s))[:_MAX_CANDIDATES] for f, c in by_fold.items()
        }

    # -------------------------------------------------------------- scoring

    def _p_uni(self, c: str) -> float:
        ours = (self.unigrams.get(c, 0.0) + 0.1) / (self.total + 0.1 * (len(self.unigrams) + 1))
        if not self.prior:
            return ours
        return (1 - self.prior_mix) * ours + self.prior_mix * (self.prior.get(c, 0.0) + _PRIOR_FLOOR)

    def _logp(self, a: str, b: str, c: str) -> float:
        p = self._p_uni(c)
        count, types = self.bi_context.get(b, (0.0, 0))
        if count:
            lam = self.wb_scale * types
            p = (self.bigrams.get((b, c), 0.0) + lam * p) / (count + lam)
        count, types = self.tri_context.get((a, b), (0.0, 0))
        if count:
            lam = self.wb_scale * types
            p = (self.trigrams.get((a, b, c), 0.0) + lam * p) / (count + lam)
        return math.log(p)

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
        ranked = sorted(found, key=lambda f: -self._p_uni(self.candidates[f[0]][0]))
        return [f[0] for f in ranked[:3]]

    # -------------------------------------------------------------- decoding

    def nbest_syllables(
        self, sylls: list[str], fixed: list[bool] | None = None, n: int = _N_BEST,
        breaks: set[int] | frozenset[int] = frozenset(),
    ) -> list[tuple[list[str], float]]:
        """The ``n`` most likely accented sequences with log-probabilities (k-best Viterbi).

        ``breaks``: positions that start a new clause (after a comma, a question mark...): the model
        ends the clause there and starts the next one afresh, as it learnt clauses in training.
        """
        if not sylls:
            return [([], 0.0)]
        fixed = fixed or [False] * len(sylls)
        beam = min(_BEAM, n)  # one path per state is exact Viterbi for the best reading
        options = [self._options(s.lower(), not f) for s, f in zip(sylls, fixed)]
        # state: (previous syllable, current syllable) -> up to _BEAM (log prob, path), best first
        beams: dict[tuple[str, str], list[tuple[float, tuple[str, ...]]]] = {(_BOS, _BOS): [(0.0, ())]}
        for i, opts in enumerate(options):
            if i in breaks and _CLAUSES:
                beams = self._restart(beams, beam)
            nxt: dict[tuple[str, str], list[tuple[float, tuple[str, ...]]]] = defaultdict(list)
            for (a, b), paths in beams.items():
                for c, penalty in opts:
                    step = penalty + self._logp(a, b, c)
                    nxt[(b, c)].extend((score + step, (*path, c)) for score, path in paths)
            beams = {k: sorted(v, reverse=True)[:beam] for k, v in nxt.items()}
            if len(beams) > _STATES:
                beams = _prune(beams)
        final = [
            (score + self._logp(a, b, _EOS), path) for (a, b), paths in beams.items() for score, path in paths
        ]
        final.sort(reverse=True)
        return [(list(path), score) for score, path in final[:n]]

    def _restart(self, beams: dict[tuple[str, str], list[tuple[float, tuple[str, ...]]]], beam: int
                 ) -> dict[tuple[str, str], list[tuple[float, tuple[str, ...]]]]:
        """End every path's clause (``</s>``) and merge them into one fresh ``<s> <s>`` state."""
        ended = [(score + self._logp(a, b, _EOS), path) for (a, b), paths in beams.items() for score, path in paths]
        return {(_BOS, _BOS): sorted(ended, reverse=True)[:beam]}

    def restore_syllables(self, sylls: list[str], fixed: list[bool] | None = None) -> list[str]:
        """Most likely accented sequence; positions with ``fixed[i]`` keep their syllable."""
        return self.nbest_syllables(sylls, fixed, n=1)[0][0]

    def readings(self, text: str, n: int = _N_BEST) -> list[tuple[str, float]]:
        """The best ``n`` readings of ``text`` with probabilities normalised over them, best first.

        A text that is already mostly accented has one reading, itself: its unmarked syllables are
        taken as meant ("cam", "qua" are words too).
        """
        text = nfc(text)
        matches = list(_WORD.finditer(text))
        sylls = [m.group(0) for m in matches]
        alpha = [s for s in sylls if s.isalpha()]
        if not alpha or sum(has_marks(s) for s in alpha) / len(alpha) >= 0.5:
            return [(text, 1.0)]
        breaks = {i for i in range(1, len(matches)) if _CLAUSE_END.search(text, matches[i - 1].end(), matches[i].start())}
        best = self.nbest_syllables([s.lower() for s in sylls], [has_marks(s) for s in sylls], n, breaks)
        top = best[0][1]
        weights = [math.exp(score - top) for _, score in best]
        total = sum(weights)
        return [(_recase(text, matches, path), w / total) for (path, _), w in zip(best, weights)]

    def restore(self, text: str) -> str:
        """Restore marks on the unmarked syllables of ``text``; everything else is kept as typed."""
        return self.readings(text, n=1)[0][0]


def _prune(beams: dict[tuple[str, str], list[tuple[float, tuple[str, ...]]]]
           ) -> dict[tuple[str, str], list[tuple[float, tuple[str, ...]]]]:
    """Beam search over decoder states: the ``_STATES`` best pairs, plus the best pair ending in each
    candidate of this position (a syllable unlikely here may be made likely by the next one:
    "báo cống nghẹt", not "báo công nghẹt")."""
    ranked = sorted(beams.items(), key=lambda kv: -kv[1][0][0])
    kept = dict(ranked[:_STATES])
    ends = {c for _, c in kept}
    for (b, c), paths in ranked[_STATES:]:
        if c not in ends:
            kept[(b, c)] = paths
            ends.add(c)
    return kept


def _recase(text: str, matches: list, restored: list[str]) -> str:  # type: ignore[type-arg]
    """Put the restored syllables back into ``text``, keeping the user's casing and punctuation."""
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


@lru_cache(maxsize=1 << 16)
def _training_sentences(text: str) -> tuple[tuple[str, ...], ...]:
    """The normalised sentences of ``text`` the model learns from, memoised (normalising is most of a
    training: a rebuild after a one-story change reads each unchanged text once); mostly unaccented
    ones are left out: aliases ("tiem chung quoc gia") must not teach that marks are optional."""
    return tuple(tuple(sentence) for sentence in _sentences(normalize(text))
                 if len(sentence) < 2 or sum(map(has_marks, sentence)) >= 0.3 * len(sentence))


def _sentences(text: str) -> list[list[str]]:
    """Split running text into sentences of lowercase syllables (digits kept as their own tokens)."""
    out: list[list[str]] = []
    for chunk in (_CLAUSE_END if _CLAUSES else _SENTENCE_END).split(text):
        sylls = syllables(chunk)
        if sylls:
            out.append(sylls)
    return out


def syllable_accuracy(restorer: Restorer, accented: Iterable[str]) -> tuple[float, int]:
    """Share of alphabetic syllables restored exactly when ``accented`` texts are stripped of marks."""
    return syllable_accuracy_pairs(restorer, ((fold(normalize(t)), t) for t in accented))


def syllable_accuracy_pairs(restorer: Restorer, pairs: Iterable[tuple[str, str]]) -> tuple[float, int]:
    """Share of alphabetic syllables of ``intended`` that restoring ``typed`` gets right, over
    (typed, intended) pairs whose syllables line up (dialect set: typed as people type, intended with
    the marks the writer meant)."""
    right = total = 0
    for typed, intended in pairs:
        # as in the query pipeline: abbreviations are expanded before restoration, on both sides
        gold = [s for s in syllables(normalize(expand_abbreviations(intended))) if s.isalpha()]
        typed = expand_abbreviations(normalize(typed))
        guess = [s for s in syllables(restorer.restore(typed)) if s.isalpha()]
        if len(guess) != len(gold):
            continue
        right += sum(g == h for g, h in zip(gold, guess))
        total += len(gold)
    return (right / total if total else 0.0), total
