"""``/api/items``: the items, one item, its similar items and how to follow it."""

from typing import Annotated, Any

from fastapi import APIRouter, Query

from ...recommend import UnknownItem, recommend
from ...settings import Settings
from ..checks import check_choice, check_k
from ..convert import item_dict, recommend_response
from ..deps import EngineDep, SettingsDep
from ..errors import ERRORS, unknown_item
from ..schemas import ITEM_TYPES, HowToPlatform, HowToResponse, ItemsResponse, RecommendResponse, choice_schema


def router(settings: Settings) -> APIRouter:
    api = APIRouter(tags=["items"])
    k_schema = {"minimum": 1, "maximum": settings.max_k}

    @api.get("/api/items", response_model=ItemsResponse, responses=ERRORS)
    def items(
        engine: EngineDep,
        type: Annotated[str | None, Query(description="story | platform (case-insensitive); empty = every item",
                                          json_schema_extra=choice_schema(ITEM_TYPES))] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    ) -> ItemsResponse:
        """Every item (or one type), whole, in a stable order."""
        kind = check_choice(type, ITEM_TYPES, "type")
        corpus = engine.corpus  # platforms first, then stories: a page is read without touching the rest
        chosen = corpus.items if kind is None else corpus.platforms if kind == "platform" else corpus.stories
        return ItemsResponse(total=len(chosen), items=[item_dict(i) for i in chosen[offset : offset + limit]])

    @api.get("/api/items/{item_id}", responses=ERRORS)
    def item(item_id: str, engine: EngineDep) -> dict[str, Any]:
        """One item, whole."""
        found = engine.corpus.get(item_id)
        if found is None:
            raise unknown_item(item_id)
        return item_dict(found)

    @api.get("/api/items/{item_id}/similar", response_model=RecommendResponse, responses=ERRORS)
    def similar(item_id: str, engine: EngineDep, settings: SettingsDep,
                k: Annotated[int, Query(json_schema_extra=k_schema)] = 5) -> RecommendResponse:
        """Stories and platforms related to an item (meaning + shared platforms), with reasons."""
        check_k(k, settings)
        try:
            rec = recommend(engine, item_id=item_id, k=k)
        except UnknownItem:
            raise unknown_item(item_id) from None
        return recommend_response(rec, engine)

    @api.get("/api/items/{item_id}/howto", response_model=HowToResponse, responses=ERRORS)
    def howto(item_id: str, engine: EngineDep) -> HowToResponse:
        """How to follow an item: its platforms' first steps and who runs them. A story that used no
        platform gets the engine's closest fitting platform, marked ``suggested``."""
        found = engine.corpus.get(item_id)
        if found is None:
            raise unknown_item(item_id)
        suggested, reason = False, None
        platforms = found.howto_platforms(engine.corpus)
        if not platforms:
            best = recommend(engine, item_id=item_id, k=1).platforms[:1]
            platforms = [p for p in (engine.corpus.platform(h.item.id) for h in best) if p is not None]
            suggested, reason = True, (best[0].explain.get("reason") if best else None)
        return HowToResponse(suggested=suggested, reason=reason, platforms=[
            HowToPlatform(id=p.id, name=p.name, how_to_start=list(p.how_to_start), operator=p.operator,
                          url=p.url, cost=p.cost) for p in platforms])

    return api
