"""``GET /api/search``: stories and platforms for a problem typed in plain Vietnamese."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from ...search import Filters
from ...settings import Settings
from ...vocab import AUDIENCES, REGIONS, SECTORS, TERRAINS
from ..checks import check_choice, check_k, check_province, check_text
from ..convert import search_response
from ..deps import EngineDep, SettingsDep
from ..errors import ERRORS
from ..schemas import ITEM_TYPES, SearchResponse, choice_schema, provinces, text_schema
from .analytics import record_search

FOLDED = "Any accent/case spelling of a listed value is accepted (\"Tay Bac\" = \"Tây Bắc\"); empty = no filter."


def _filter(values: tuple[str, ...] | list[str], what: str) -> Any:
    return Query(description=f"{what}. {FOLDED}", json_schema_extra=choice_schema(values))


def router(settings: Settings) -> APIRouter:
    api = APIRouter()
    q_schema = text_schema(settings.max_query_chars)
    k_schema = {"minimum": 1, "maximum": settings.max_k}
    province_schema = {"anyOf": [{"type": "string", "enum": [*provinces(), ""]}]}

    @api.get("/api/search", response_model=SearchResponse, responses=ERRORS, tags=["search"])
    def search(
        request: Request,
        engine: EngineDep,
        settings: SettingsDep,
        q: Annotated[str, Query(description="Vấn đề bằng lời thường, có dấu hoặc không dấu (at least 2 letters)",
                                json_schema_extra=q_schema)],
        type: Annotated[str | None, _filter(ITEM_TYPES, "story | platform")] = None,
        k: Annotated[int, Query(description="Hits per page", json_schema_extra=k_schema)] = 10,
        sector: Annotated[str | None, _filter(SECTORS, "Sector")] = None,
        region: Annotated[str | None, _filter(REGIONS, "Region")] = None,
        province: Annotated[str | None, Query(description="Province (34 after the 2025 merger); \"Thành phố Hà Nội\" "
                                              "= \"Hà Nội\", accents/case folded", json_schema_extra=province_schema)]
        = None,
        terrain: Annotated[str | None, _filter(TERRAINS, "Terrain")] = None,
        audience: Annotated[str | None, _filter(AUDIENCES, "Audience")] = None,
        explain: bool = False,
        offset: Annotated[int, Query(ge=0, le=10_000, description="Rank of the first hit (paging)")] = 0,
        exact: Annotated[bool, Query(description="Search the text as typed (no diacritic restoration)")] = False,
        debug: Annotated[bool, Query(description="Accepted for the page's ?debug=1; changes nothing")] = False,
    ) -> Response:
        """Stories and platforms ranked best first for a problem typed in plain Vietnamese.

        ``total`` counts every hit above the relevance floor that passes the filters; ``results`` is the page
        ``offset`` … ``offset + k``. Each facet counts what a click on its value would give, under the query
        and the *other* active filters."""
        check_text(q, settings)
        filters = Filters(
            type=check_choice(type, ITEM_TYPES, "type"),
            sector=check_choice(sector, SECTORS, "sector"),
            region=check_choice(region, REGIONS, "region"),
            province=check_province(province),
            terrain=check_choice(terrain, TERRAINS, "terrain"),
            audience=check_choice(audience, AUDIENCES, "audience"),
        )
        result = engine.search(q, k=check_k(k, settings), filters=filters, explain=explain, offset=offset,
                               exact=exact)
        body = search_response(engine, q, result, explain, exact)
        record_search(request, q, filters, result)
        request.state.cache_context = (q, filters, result)  # a replay of these bytes is recorded too
        # already a validated model: serialise it once (FastAPI would validate it again)
        return Response(body.model_dump_json(), media_type="application/json")

    return api
