"""Engine objects → response models."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..corpus import Item, item_summary
from ..recommend import Recommendation
from ..search import Engine, Hit, SearchResult
from .schemas import Alternative, PlatformRef, RecommendHit, RecommendResponse, SearchHit, SearchResponse


def item_dict(item: Item) -> dict[str, Any]:
    """The whole item as JSON, with ``type`` and ``title`` for every kind."""
    data = item.model_dump(mode="json")
    data["type"] = item.type
    data["title"] = item.title
    return data


def platform_names(engine: Engine) -> dict[str, str]:
    """Platform id → display name (what a page needs to label a story's platforms without a list)."""
    return {p.id: p.name for p in engine.corpus.platforms}


def hit_model(hit: Hit, explain: bool = False, cls: type[SearchHit] = SearchHit,
              names: Mapping[str, str] | None = None, **extra: Any) -> SearchHit:
    item = hit.item
    used = item.used_platform_ids  # None for a platform, a list (maybe empty) for a story
    refs = None if used is None else [PlatformRef(id=p, name=(names or {}).get(p, p)) for p in used]
    return cls(
        id=item.id,
        type=item.type,
        title=item.title,
        summary=item_summary(item),
        score=round(hit.score, 4),
        snippet=hit.snippet,
        sectors=list(item.sectors),
        platform_ids=used,
        province=item.province,
        url=item.url,
        explain={k: v for k, v in hit.explain.items() if isinstance(v, (int, float))} if explain else None,
        platforms=refs,
        **extra,
    )


def search_response(engine: Engine, text: str, result: SearchResult, explain: bool = False,
                    exact: bool = False) -> SearchResponse:
    """The ``/api/search`` body (the CLI's ``--json`` prints the same): what was understood, the close
    readings searched with, whether nothing fits, and the page of hits."""
    names = platform_names(engine)
    return SearchResponse(
        query=text, restored_query=result.query.restored,
        alternatives=[Alternative(text=a.text, probability=round(a.probability, 4)) for a in result.query.alternatives],
        exact=exact, no_match=result.no_match, confidence=round(result.confidence, 4),
        total=result.total, offset=result.offset, took_ms=round(result.took_ms, 2),
        results=[hit_model(h, explain, names=names) for h in result.hits], facets=result.facets,
    )


def recommend_response(rec: Recommendation, engine: Engine) -> RecommendResponse:
    names = platform_names(engine)
    return RecommendResponse(
        stories=[hit_model(h, cls=RecommendHit, reason=h.explain["reason"], names=names) for h in rec.stories],
        platforms=[hit_model(h, cls=RecommendHit, reason=h.explain["reason"], names=names) for h in rec.platforms],
        no_match=rec.no_match, confidence=rec.confidence,
    )
