"""Name scoring: how well a query contains a platform's name or alias ("vo so", "s traking")."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rapidfuzz import fuzz, process

from .corpus import Item
from .query import Query


class NameIndex:
    """Folded name forms of every item (:meth:`~langso_search.corpus.Platform.name_forms`) → rows."""

    def __init__(self, items: Sequence[Item]) -> None:
        self._build([item.name_forms() for item in items])

    @classmethod
    def from_forms(cls, forms: list[list[tuple[str, ...]]]) -> NameIndex:
        """From each item's ``name_forms()`` (collected by item_scan.py)."""
        index = cls.__new__(cls)
        index._build(forms)
        return index

    def _build(self, forms: list[list[tuple[str, ...]]]) -> None:
        self.n = len(forms)
        self.phrases: dict[str, set[int]] = {}  # "vo so" -> rows of platforms with that name/alias
        self.compacts: dict[str, set[int]] = {}  # "voso" -> rows (names of 4+ letters)
        for row, item_forms in enumerate(forms):
            for form in item_forms:
                self.phrases.setdefault(" ".join(form), set()).add(row)
                if len("".join(form)) >= 4:
                    self.compacts.setdefault("".join(form), set()).add(row)
        self.fuzzy_forms = [c for c in self.compacts if len(c) >= 5]

    def scores(self, q: Query) -> np.ndarray:
        """How clearly the query names a platform: 1.0 for a name or alias written out (with or without
        its spaces: "v neid", "post mart"); for short, name-like queries also a fuzzy credit ≥ 0.85 for
        a misspelling ("s traking", "vifis"). 0 otherwise."""
        variants = [q.folded.split(), q.raw_folded.split()]  # "v neid" must not become "vậy neid"
        out = np.zeros(self.n, dtype=np.float32)
        phrases = {" ".join(w[i : i + n]) for w in variants for n in range(1, 9) for i in range(len(w) - n + 1)}
        joined = {"".join(w[i : i + n]) for w in variants for n in (1, 2, 3) for i in range(len(w) - n + 1)}
        for key in phrases:
            for row in self.phrases.get(key, ()):
                out[row] = 1.0
        for key in joined:
            for row in self.compacts.get(key, ()):
                out[row] = 1.0
        if len(variants[1]) <= 6 and self.fuzzy_forms:
            self._fuzzy(joined, out)
        return out

    def _fuzzy(self, joined: set[str], out: np.ndarray) -> None:
        for chunk in joined:
            if len(chunk) < 4:
                continue
            for form, score, _ in process.extract(chunk, self.fuzzy_forms, scorer=fuzz.ratio,
                                                  score_cutoff=85, limit=5):
                if abs(len(form) - len(chunk)) <= 2:
                    for row in self.compacts[form]:
                        out[row] = max(out[row], score / 100)
