"""Confidence: does anything in the corpus fit the query at all?

Fused scores are normalised per query, so the best hit of *any* query scores near 1 — "cách nấu phở
ngon" included. This module measures evidence that does not depend on that normalisation:

* ``dense_best``: the raw cosine between the (restored) query and the closest passage;
* ``pairs``: the share of adjacent syllable pairs of the query (one of them a content word) that
  occur side by side in some item ("bóng đá", "giá vàng" do not; "điện thoại", "bán hàng" do); 1 for one-word queries;
* ``name``: the best platform-name match (a misspelled name is a real question);
* ``known`` (only where the query is one word, so has no pairs): the share of its content syllables
  found anywhere in the corpus, in their accented form ("phở" is not "phố"; "asdfgh" → 0).

A logistic model over these, fitted on the development sets only (answerable dev queries against
``data/eval/out_of_scope.jsonl``) by ``scripts/fit_confidence.py``, gives ``confidence`` in [0, 1]; a
query with fewer than two letters has confidence 0. ``no_match`` is ``confidence < threshold``, the
threshold chosen on the same dev data for at most ~1 % answerable queries flagged. The fitted
constants live in ``resources/confidence.json``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib import resources
from itertools import pairwise
from typing import TYPE_CHECKING

import numpy as np

from .query import STOP_SYLLABLES, Query
from .text import fold, syllables

if TYPE_CHECKING:
    from .search import Engine

_CLAUSE = re.compile(r"[.,;:!?()\n]+")
FEATURES = ("dense_best", "pairs", "name")  # chosen by 5-fold cross-validation on the dev sets


@dataclass(frozen=True)
class Evidence:
    """What the corpus offers a query, independent of per-query normalisation."""

    dense_best: float
    pairs: float
    name: float
    letters: int  # letters typed (a query with < 2 has nothing to match)

    def vector(self) -> np.ndarray:
        return np.array([getattr(self, f) for f in FEATURES], dtype=np.float64)

    def as_dict(self) -> dict[str, float]:
        return {k: round(float(v), 4) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class Calibration:
    """A logistic model over standardised :data:`FEATURES`, and the no-match threshold."""

    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    threshold: float

    def probability(self, ev: Evidence) -> float:
        if ev.letters < 2:
            return 0.0
        z = (ev.vector() - np.array(self.mean)) / np.array(self.scale)
        logit = float(z @ np.array(self.coef)) + self.intercept
        return 1.0 / (1.0 + math.exp(-max(min(logit, 50.0), -50.0)))

    def to_json(self) -> dict[str, object]:
        return {"features": list(FEATURES), **asdict(self)}


@lru_cache(maxsize=1)
def default_calibration() -> Calibration:
    """The constants ``scripts/fit_confidence.py`` wrote to ``resources/confidence.json``."""
    raw = json.loads(resources.files("langso_search").joinpath("resources/confidence.json").read_text("utf-8"))
    if tuple(raw.pop("features")) != FEATURES:
        raise ValueError("resources/confidence.json was fitted on other features: re-run scripts/fit_confidence.py")
    return Calibration(**{k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()})


class CorpusWords:
    """Every accented syllable of the corpus and every pair of syllables written side by side."""

    def __init__(self, documents: Iterable[str] = ()) -> None:
        self.known: set[str] = set()
        self.pairs: set[tuple[str, str]] = set()
        for doc in documents:
            self.add(doc)

    def add(self, document: str) -> None:
        for clause in _CLAUSE.split(document):  # no pair across a full stop or a comma
            words = syllables(clause)
            self.known.update(words)
            self.pairs.update(pairwise(words))


def corpus_words(engine: Engine) -> CorpusWords:
    """The engine's :class:`CorpusWords` (collected at engine start, item_scan.py)."""
    return engine.words


def letter_count(text: str) -> int:
    return sum(ch.isalpha() for ch in text)


def content_words(q: Query) -> list[str]:
    """The restored query's syllables (accented, lowercase) that are not function words."""
    return [s for s in syllables(q.restored) if fold(s) not in STOP_SYLLABLES]


def best_cosine(engine: Engine, q: Query) -> float:
    """Cosine of the passage closest to the (restored) query."""
    if not q.restored.strip() or engine.built.dense.ntotal == 0:
        return 0.0
    return engine.max_cosine(engine.cache.encode(q.restored).astype(np.float32))


def evidence(engine: Engine, q: Query, name: np.ndarray | None = None) -> Evidence:
    """Measure the :class:`Evidence` for an analysed query (``name``: the engine's name scores)."""
    words = corpus_words(engine)
    content = content_words(q)
    letters = letter_count(q.raw)
    name_best = float(name.max()) if name is not None and len(name) else 0.0
    if not content:
        return Evidence(best_cosine(engine, q), 0.0, name_best, letters)
    sylls = syllables(q.restored)  # pairs of the query as written, where at least one is a content word
    adjacent = [(a, b) for a, b in pairwise(sylls) if fold(a) not in STOP_SYLLABLES
                or fold(b) not in STOP_SYLLABLES]
    if adjacent:
        pairs = sum(1 for p in adjacent if p in words.pairs) / len(adjacent)
    else:
        pairs = sum(1 for w in content if w in words.known) / len(content)
    return Evidence(best_cosine(engine, q), pairs, name_best, letters)


def assess(engine: Engine, q: Query, name: np.ndarray | None = None,
           calibration: Calibration | None = None) -> tuple[float, bool]:
    """``(confidence, no_match)`` for an analysed query."""
    cal = calibration or default_calibration()
    conf = cal.probability(evidence(engine, q, name))
    return round(conf, 4), conf < cal.threshold
