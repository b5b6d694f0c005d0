"""What a search answers: one page of :class:`Hit` in a :class:`SearchResult` (built by ``search.Engine``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .corpus import Item
from .query import Query

__all__ = ["Hit", "SearchResult"]


@dataclass
class Hit:
    item: Item
    score: float
    snippet: str
    explain: dict[str, Any] = field(default_factory=dict)


@dataclass
class SearchResult:
    query: Query
    hits: list[Hit]
    facets: dict[str, dict[str, int]]
    took_ms: float
    total: int = 0  # items above the relevance floor that pass the filters (hits is one page of them)
    offset: int = 0  # rank of hits[0] among those ``total``
    no_match: bool = False  # nothing in the corpus fits the query (calibrated; see confidence)
    confidence: float = 1.0  # in [0, 1]: how sure the engine is that the best hit fits
