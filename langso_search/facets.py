"""Facets as numpy masks: one boolean row per facet value over all items, built once per engine.

Filters become a product of rows (no per-item Python loop), and the facet counts of a query follow the
disjunctive-facet rule: each facet's counts apply every *other* active filter, not its own, so the count
next to a value is exactly the number of results a click on it gives (same relevance floor as search).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .corpus import Item
from .text import fold

FACET_FIELDS = ("type", "sector", "region", "province", "terrain", "audience")


def facet_values(item: Item) -> dict[str, list[str]]:
    """The facet values of an item (platforms have no place; stories use their story fields)."""
    return item.facets()


def miv_of(item: Item) -> int:
    """1 / 0: a platform's make_in_vietnam; -1 for a story."""
    return int(getattr(item, "make_in_vietnam", -1))


@dataclass
class Filters:
    """Hard filters; a value must equal the item's (one of its list values) to pass. The engine applies
    them as numpy masks (:class:`FacetIndex`); ``accepts`` is the per-item reference."""

    type: str | None = None
    sector: str | None = None
    region: str | None = None
    province: str | None = None
    terrain: str | None = None
    audience: str | None = None
    make_in_vietnam: bool | None = None

    def accepts(self, item: Item) -> bool:
        values = facet_values(item)
        for name in FACET_FIELDS:
            wanted = getattr(self, name)
            if wanted is not None and wanted not in values[name]:
                return False
        return self.make_in_vietnam is None or miv_of(item) == int(self.make_in_vietnam)


def count_facets(items: Iterable[Item]) -> dict[str, dict[str, int]]:
    """Facet counts over ``items`` (the whole collection for /api/facets)."""
    counts: dict[str, Counter[str]] = {name: Counter() for name in FACET_FIELDS}
    for item in items:
        for name, values in facet_values(item).items():
            counts[name].update(set(values))
    return {name: dict(sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))) for name, c in counts.items()}


def value_key(value: str) -> str:
    """How filter values are compared: accents, case and spacing do not matter ("Tay Bac" = "Tây Bắc")."""
    return " ".join(fold(value).split())


def match_value(value: str, allowed: Iterable[str]) -> str | None:
    """The allowed spelling of ``value`` compared accent- and case-insensitively, or None."""
    key = value_key(value)
    for candidate in allowed:
        if value_key(candidate) == key:
            return candidate
    return None


class FacetIndex:
    """Per-item facet arrays of one corpus: ``rows[field]`` is a (values × items) boolean matrix."""

    def __init__(self, items: Sequence[Item]) -> None:
        pairs = [(facet_values(item), miv_of(item)) for item in items]  # one pass over the items
        self._build([values for values, _ in pairs], [flag for _, flag in pairs])

    @classmethod
    def from_values(cls, per_item: list[dict[str, list[str]]], miv: list[int]) -> FacetIndex:
        """From each item's :func:`facet_values` and make-in-Vietnam flag (collected by item_scan.py)."""
        index = cls.__new__(cls)
        index._build(per_item, miv)
        return index

    def _build(self, per_item: list[dict[str, list[str]]], miv: list[int]) -> None:
        self.n = len(per_item)
        self.values: dict[str, list[str]] = {}
        self.rows: dict[str, np.ndarray] = {}
        self._index: dict[str, dict[str, int]] = {}
        self._pairs: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        for name in FACET_FIELDS:
            values = sorted({v for vals in per_item for v in vals[name]})
            index = {v: i for i, v in enumerate(values)}
            matrix = np.zeros((len(values), self.n), dtype=bool)
            for col, vals in enumerate(per_item):
                for v in vals[name]:
                    matrix[index[v], col] = True
            self.values[name], self.rows[name], self._index[name] = values, matrix, index
            # the same as (value, item) pairs grouped by value: counts cost O(pairs), not O(values × items)
            value_of, item_of = np.nonzero(matrix)
            self._pairs[name] = (item_of, value_of, np.flatnonzero(np.r_[True, np.diff(value_of) != 0]))
        # make_in_vietnam: 1 / 0 for platforms, -1 for stories (never passes that filter)
        self.miv = np.array(miv, dtype=np.int8)

    def value_mask(self, name: str, value: str) -> np.ndarray:
        row = self._index[name].get(value)
        if row is None:  # a value no item has: nothing passes
            return np.zeros(self.n, dtype=bool)
        return self.rows[name][row]

    def mask(self, filters: Any, skip: str | None = None) -> np.ndarray:
        """Items passing every active filter (but ``skip``)."""
        out = np.ones(self.n, dtype=bool)
        for name in FACET_FIELDS:
            wanted = getattr(filters, name)
            if wanted is not None and name != skip:
                out &= self.value_mask(name, wanted)
        if filters.make_in_vietnam is not None:
            out &= self.miv == int(filters.make_in_vietnam)
        return out

    def counts(self, scores: np.ndarray, filters: Any, floor_share: float) -> dict[str, dict[str, int]]:
        """For each facet value: how many items a search restricted to it (and to the other active
        filters) returns: items with a score ≥ ``floor_share`` × the best score among them."""
        out: dict[str, dict[str, int]] = {}
        every = self.mask(filters)  # the mask of a facet with no active filter of its own
        for name in FACET_FIELDS:
            items, values, starts = self._pairs[name]
            if not items.size:
                out[name] = {}
                continue
            active = getattr(filters, name) is not None
            allowed = self.mask(filters, skip=name) if active else every
            pair_scores = scores[items] if allowed.all() else np.where(allowed[items], scores[items], -np.inf)
            best = np.maximum.reduceat(pair_scores, starts)  # per value (pairs are grouped by value)
            floor = np.where(np.isneginf(best), np.inf, floor_share * best)  # a value nothing allowed has: none
            n = np.add.reduceat(pair_scores >= floor[values], starts, dtype=np.int64)
            names = self.values[name]
            pairs = [(names[v], c) for v, c in zip(values[starts].tolist(), n.tolist()) if c > 0]
            out[name] = dict(sorted(pairs, key=lambda kv: (-kv[1], kv[0])))
        return out

    def whole(self) -> dict[str, dict[str, int]]:
        """Counts over the whole collection (no query, no filter)."""
        out: dict[str, dict[str, int]] = {}
        for name in FACET_FIELDS:
            n = self.rows[name].sum(axis=1)
            pairs = [(self.values[name][i], int(c)) for i, c in enumerate(n) if c > 0]
            out[name] = dict(sorted(pairs, key=lambda kv: (-kv[1], kv[0])))
        return out
