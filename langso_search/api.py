"""API: the HTTP service (FastAPI), the web page, the widget, typed models and bilingual errors.

CPU-bound endpoints are plain ``def`` so FastAPI runs them in its threadpool: a slow search never
blocks the event loop, and ``/api/health`` answers while searches run.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import __version__
from .api_analytics import analytics_status, install_analytics, record_recommend, record_search
from .corpus import Item, Platform, Story, item_summary, province_names
from .embed import encoder_info
from .facets import match_value, value_key
from .pipeline import EngineHolder
from .response_cache import ResponseCache
from .recommend import Profile, UnknownItem, recommend
from .search import Engine, Filters, Hit, count_facets
from .settings import Settings, get_settings
from .text import normalize, syllables
from .vocab import AUDIENCES, REGIONS, SECTORS, TERRAINS
from .webassets import StaticAssets

logger = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"


# ---------------------------------------------------------------------------- errors


class ApiError(Exception):
    """An error the user can act on, in Vietnamese and English."""

    def __init__(self, status: int, code: str, message_vi: str, message_en: str) -> None:
        super().__init__(message_en)
        self.status, self.code, self.message_vi, self.message_en = status, code, message_vi, message_en


def _error(status: int, code: str, vi: str, en: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message_vi": vi, "message_en": en}}, status_code=status)


class ErrorDetail(BaseModel):
    code: str
    message_vi: str
    message_en: str


class ErrorResponse(BaseModel):
    error: ErrorDetail


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "Bad input"},
    404: {"model": ErrorResponse, "description": "Unknown id"},
    422: {"model": ErrorResponse, "description": "Invalid parameter"},
    503: {"model": ErrorResponse, "description": "Index not ready"},
}


class BodyLimit:
    """ASGI middleware: refuse request bodies over ``max_bytes`` with 413, whether the client sends a
    Content-Length or streams the body in chunks (the chunks are counted as they arrive)."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await self._refuse(scope, receive, send)
            return
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        response = _error(413, "body_too_large", "Dữ liệu gửi lên quá lớn.",
                          f"Request body too large (at most {self.max_bytes} bytes).")
        await response(scope, receive, send)


# ---------------------------------------------------------------------------- models


class PlatformRef(BaseModel):
    id: str
    name: str


class SearchHit(BaseModel):
    id: str
    type: Literal["story", "platform"]
    title: str
    summary: str
    score: float
    snippet: str = Field(description="HTML-escaped text; matched terms wrapped in <mark>")
    sectors: list[str]
    platform_ids: list[str] | None = None
    province: str | None = None
    url: str | None = None
    explain: dict[str, float] | None = None
    platforms: list[PlatformRef] | None = Field(None, description="A story's platforms with their names")


class Alternative(BaseModel):
    text: str = Field(description="Another reading of an unaccented query (n-best restoration)")
    probability: float


class SearchResponse(BaseModel):
    query: str
    restored_query: str
    alternatives: list[Alternative] = Field(default_factory=list)
    exact: bool = False
    no_match: bool = False
    confidence: float = 1.0
    total: int = 0
    offset: int = 0
    took_ms: float
    results: list[SearchHit]
    facets: dict[str, dict[str, int]]


class HowToPlatform(BaseModel):
    id: str
    name: str
    how_to_start: list[str]
    operator: str
    url: str | None = None
    cost: str | None = None


class HowToResponse(BaseModel):
    suggested: bool = Field(description="True when the story used no platform: the engine's closest fit")
    reason: str | None = None
    platforms: list[HowToPlatform]


class RecommendHit(SearchHit):
    reason: str


class RecommendResponse(BaseModel):
    stories: list[RecommendHit]
    platforms: list[RecommendHit]
    no_match: bool = False  # the text fits nothing in the corpus (without profile or item: no hits)
    confidence: float = 1.0  # in [0, 1]: how sure the engine is that the text has an answer here


class ProfileIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    province: str | None = Field(None, max_length=100)
    region: str | None = Field(None, max_length=100)
    terrain: list[str] = Field(default_factory=list, max_length=6)
    ethnic_groups: list[str] = Field(default_factory=list, max_length=20)
    sectors: list[str] = Field(default_factory=list, max_length=23)
    audiences: list[str] = Field(default_factory=list, max_length=20)


class RecommendRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str | None = Field(None, max_length=2000)
    item_id: str | None = Field(None, max_length=200)
    profile: ProfileIn | None = None
    k: int = Field(5, ge=1, le=50)


class ItemsResponse(BaseModel):
    total: int
    items: list[dict[str, Any]]


class ReadyResponse(BaseModel):
    ready: bool
    model_id: str | None = None
    corpus_hash: str | None = None
    built_at: str | None = None
    dense_kind: str | None = None
    counts: dict[str, int] = Field(default_factory=dict)
    build_id: str | None = Field(None, description="The index build served; replicas agree when they serve the same")
    pid: int | None = Field(None, description="The worker process that answered")
    encoder: dict[str, Any] = Field(default_factory=dict, description="OpenMP settings and micro-batching counters")
    analytics: dict[str, Any] | None = Field(None, description="Event log: on/off, writer state, written, dropped")
    error: str | None = None


# ---------------------------------------------------------------------------- conversions


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
    story = item if isinstance(item, Story) else None
    refs = [PlatformRef(id=p, name=(names or {}).get(p, p)) for p in story.platform_ids] if story else None
    return cls(
        id=item.id,
        type=item.type,
        title=item.title,
        summary=item_summary(item),
        score=round(hit.score, 4),
        snippet=hit.snippet,
        sectors=list(item.sectors),
        platform_ids=list(story.platform_ids) if story else None,
        province=story.location.province if story else None,
        url=item.url,
        explain={k: v for k, v in hit.explain.items() if isinstance(v, (int, float))} if explain else None,
        platforms=refs,
        **extra,
    )


# ---------------------------------------------------------------------------- dependencies


def get_holder(request: Request) -> EngineHolder:
    return request.app.state.holder


def get_engine(holder: Annotated[EngineHolder, Depends(get_holder)]) -> Engine:
    engine = holder.engine
    if engine is None:
        raise ApiError(503, "not_ready", "Chỉ mục chưa sẵn sàng, vui lòng thử lại sau ít phút.",
                       f"The index is not ready: {holder.error or 'still loading'}")
    return engine


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]


def check_text(text: str, settings: Settings, field: str = "q") -> str:
    """Refuse empty, too long, undecodable or wordless text with a clear bilingual message."""
    if "\ufffd" in text:
        raise ApiError(400, "invalid_encoding", f"Tham số {field} không phải UTF-8 hợp lệ.",
                       f"Parameter {field} is not valid UTF-8.")
    if len(text) > settings.max_query_chars:
        raise ApiError(413, "query_too_long",
                       f"Câu hỏi quá dài (tối đa {settings.max_query_chars} ký tự).",
                       f"The query is too long (at most {settings.max_query_chars} characters).")
    clean = normalize(text)
    if not clean:
        raise ApiError(422, "empty_query", "Vui lòng nhập nội dung cần tìm.", "Please type something to search for.")
    if not syllables(clean):
        raise ApiError(422, "no_words", "Câu hỏi chưa có chữ nào để tìm (chỉ có ký hiệu hoặc biểu tượng).",
                       "The query has no words to search for (only symbols or emoji).")
    if sum(ch.isalpha() for ch in clean) < 2:
        raise ApiError(422, "query_too_short", "Câu hỏi quá ngắn: hãy gõ ít nhất một từ (2 chữ cái trở lên).",
                       "The query is too short: type at least one word (2 letters or more).")
    return text


def check_choice(value: str | None, allowed: tuple[str, ...] | list[str], name: str) -> str | None:
    """The allowed spelling of ``value``, matched accent- and case-insensitively ("Tay Bac" = "Tây Bắc")."""
    if value is None or value.strip() == "":
        return None
    found = match_value(value, allowed)
    if found is None:
        raise ApiError(422, "unknown_filter", f"Giá trị “{value}” của bộ lọc {name} không có trong danh mục.",
                       f"Unknown value {value!r} for filter {name}; allowed: {', '.join(allowed)}")
    return found


def check_province(value: str | None) -> str | None:
    if not value:
        return None
    names = province_names()
    folded = {value_key(k): v for k, v in names.items()}
    if value not in names and value_key(value) not in folded:
        raise ApiError(422, "unknown_filter", f"Không có tỉnh/thành “{value}” (34 tỉnh/thành sau sáp nhập 2025).",
                       f"Unknown province {value!r} (one of the 34 provinces after the 2025 merger).")
    return names.get(value) or folded[value_key(value)]


def check_k(k: int, settings: Settings) -> int:
    if not 1 <= k <= settings.max_k:
        raise ApiError(422, "bad_k", f"k phải từ 1 đến {settings.max_k}.", f"k must be between 1 and {settings.max_k}.")
    return k


# ---------------------------------------------------------------------------- app


def create_app(settings: Settings | None = None, holder: EngineHolder | None = None) -> FastAPI:
    """The FastAPI application; ``holder`` lets tests share one loaded engine."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
        if app.state.holder.engine is None:
            import anyio

            await anyio.to_thread.run_sync(app.state.holder.open)
        if settings.index_poll_s > 0:
            app.state.holder.watch(settings.index_poll_s)
        yield
        app.state.holder.stop()

    app = FastAPI(
        title="langso-search",
        version=__version__,
        description="Tìm câu chuyện và nền tảng số Làng số theo vấn đề của người dân. "
        "Search the Làng số stories and Make-in-Việt-Nam platforms by everyday problems.",
        lifespan=lifespan,
    )
    app.state.holder = holder or EngineHolder(settings)
    app.dependency_overrides[get_settings] = lambda: settings
    # innermost: a repeated search is replayed from its bytes (still behind the rate limiter, gzip and CORS)
    app.add_middleware(ResponseCache, engine_key=lambda: _engine_key(app), size=settings.response_cache_size,
                       on_hit=lambda scope, context: _record_replay(scope, context))
    _limits(app, settings)

    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    # HTML, JS, CSS and JSON over a slow phone line: ~4-6× smaller
    app.add_middleware(GZipMiddleware, minimum_size=500, compresslevel=6)

    # Added last, so outermost: the 413 above and the rate limiter's 429 carry CORS headers too (a widget on
    # another allowed origin can read those errors instead of seeing an opaque network failure).
    app.add_middleware(
        CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST"],
        allow_headers=["Content-Type"],
    )

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return _error(exc.status, exc.code, exc.message_vi, exc.message_en)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(x) for x in first.get("loc", ()) if x not in ("query", "body", "path"))
        msg = first.get("msg", "invalid input")
        return _error(422, "invalid_input", f"Tham số không hợp lệ: {where or 'dữ liệu'} ({msg}).",
                      f"Invalid input: {where or 'request'}: {msg}.")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            return _error(404, "not_found", "Không tìm thấy địa chỉ này.", "Not found.")
        if exc.status_code == 405:
            return _error(405, "method_not_allowed", "Phương thức không được hỗ trợ.", "Method not allowed.")
        return _error(exc.status_code, "http_error", "Yêu cầu không hợp lệ.", str(exc.detail))

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        logger.exception("unexpected error")
        return _error(500, "internal", "Có lỗi ở máy chủ, vui lòng thử lại.", "Internal error; please retry.")

    install_analytics(app, settings, app.state.holder)  # before _routes: /admin precedes the static catch-all
    _routes(app)
    return app


def _record_replay(scope: dict[str, Any], context: object) -> None:
    """A search answered from cached bytes is still a search (analytics counts it)."""
    if isinstance(context, tuple) and len(context) == 3:
        record_search(Request(scope), *context)


def _engine_key(app: FastAPI) -> object:
    """The engine serving now (None while loading: nothing is cached then)."""
    engine = app.state.holder.engine
    return None if engine is None else id(engine)


def _limits(app: FastAPI, settings: Settings) -> None:
    """Optional per-IP rate limit (slowapi) from ``settings.rate_limit``."""
    if not settings.rate_limit:
        return
    from slowapi import Limiter
    from slowapi.errors import RateLimitExceeded
    from slowapi.middleware import SlowAPIMiddleware
    from slowapi.util import get_remote_address

    app.state.limiter = Limiter(key_func=get_remote_address, default_limits=[settings.rate_limit])
    app.add_middleware(SlowAPIMiddleware)

    # A plain ``def``: SlowAPIMiddleware only calls synchronous handlers (it swaps an async one for slowapi's
    # own ``{"error": "Rate limit exceeded: …"}`` body, which is not our error shape).
    @app.exception_handler(RateLimitExceeded)
    def too_many(_: Request, exc: RateLimitExceeded) -> JSONResponse:
        return _error(429, "rate_limited", "Bạn gửi quá nhiều yêu cầu, vui lòng chờ một chút.",
                      f"Too many requests ({exc.detail}).")


def _routes(app: FastAPI) -> None:
    @app.get("/api/health", tags=["service"])
    async def health() -> dict[str, str]:
        """Liveness: answers as long as the process runs (never waits for a search)."""
        return {"status": "ok"}

    @app.get("/api/ready", response_model=ReadyResponse, tags=["service"])
    def ready(holder: Annotated[EngineHolder, Depends(get_holder)], request: Request) -> ReadyResponse | JSONResponse:
        """Readiness: the index is loaded; reports model id, corpus hash and item counts."""
        engine = holder.engine
        if engine is None:
            body = ReadyResponse(ready=False, error=holder.error or "loading")
            return JSONResponse(body.model_dump(), status_code=503)
        m = engine.built.manifest
        return ReadyResponse(ready=True, model_id=m.get("model_id"), corpus_hash=m.get("corpus_digest"),
                             built_at=m.get("built_at"), dense_kind=m.get("dense_kind"), counts=m.get("counts", {}),
                             build_id=holder.build_id, pid=os.getpid(), encoder=encoder_info(engine.embedder),
                             analytics=analytics_status(request.app))

    @app.get("/api/search", response_model=SearchResponse, responses=ERRORS, tags=["search"])
    def search(
        request: Request,
        engine: EngineDep,
        settings: SettingsDep,
        q: Annotated[str, Query(description="Vấn đề bằng lời thường, có dấu hoặc không dấu")],
        type: Annotated[str | None, Query(description="story | platform")] = None,
        k: int = 10,
        sector: str | None = None,
        region: str | None = None,
        province: str | None = None,
        terrain: str | None = None,
        audience: str | None = None,
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
            type=check_choice(type, ("story", "platform"), "type"),
            sector=check_choice(sector, SECTORS, "sector"),
            region=check_choice(region, REGIONS, "region"),
            province=check_province(province),
            terrain=check_choice(terrain, TERRAINS, "terrain"),
            audience=check_choice(audience, AUDIENCES, "audience"),
        )
        result = engine.search(q, k=check_k(k, settings), filters=filters, explain=explain, offset=offset,
                               exact=exact)
        names = platform_names(engine)
        body = SearchResponse(
            query=q, restored_query=result.query.restored,
            alternatives=[Alternative(text=a.text, probability=round(a.probability, 4))
                          for a in result.query.alternatives],
            exact=exact, no_match=result.no_match, confidence=round(result.confidence, 4),
            total=result.total, offset=result.offset, took_ms=round(result.took_ms, 2),
            results=[hit_model(h, explain, names=names) for h in result.hits], facets=result.facets,
        )
        record_search(request, q, filters, result)
        request.state.cache_context = (q, filters, result)  # a replay of these bytes is recorded too
        # already a validated model: serialise it once (FastAPI would validate it again)
        return Response(body.model_dump_json(), media_type="application/json")

    @app.post("/api/recommend", response_model=RecommendResponse, responses=ERRORS, tags=["recommend"])
    def recommend_route(
        body: RecommendRequest, engine: EngineDep, settings: SettingsDep, request: Request
    ) -> RecommendResponse:
        """Related stories and platforms for an item, a problem and/or a commune profile, with reasons."""
        profile = Profile()
        if body.profile is not None:
            p = body.profile
            for values, vocab, name in ((p.terrain, TERRAINS, "terrain"), (p.sectors, SECTORS, "sectors"),
                                        (p.audiences, AUDIENCES, "audiences")):
                for v in values:
                    check_choice(v, vocab, name)
            profile = Profile(
                province=check_province(p.province), region=check_choice(p.region, REGIONS, "region"),
                terrain=p.terrain, ethnic_groups=[e.strip() for e in p.ethnic_groups if e.strip()][:20],
                sectors=p.sectors, audiences=p.audiences,
            )
        text = body.text if body.text and body.text.strip() else None
        if text is not None:
            check_text(text, settings, "text")
        if text is None and body.item_id is None and profile.is_empty():
            raise ApiError(422, "nothing_to_recommend", "Hãy nhập vấn đề, chọn một mục hoặc mô tả xã của bạn.",
                           "Give a text, an item_id or a profile.")
        try:
            rec = recommend(engine, text=text, item_id=body.item_id, profile=profile, k=body.k)
        except UnknownItem:
            raise ApiError(404, "unknown_item", f"Không có mục “{body.item_id}”.",
                           f"Unknown item id {body.item_id!r}.") from None
        names = platform_names(engine)
        response = RecommendResponse(
            stories=[hit_model(h, cls=RecommendHit, reason=h.explain["reason"], names=names) for h in rec.stories],
            platforms=[hit_model(h, cls=RecommendHit, reason=h.explain["reason"], names=names)
                       for h in rec.platforms],
            no_match=rec.no_match, confidence=rec.confidence,
        )
        record_recommend(request, body, response)
        return response

    @app.get("/api/items", response_model=ItemsResponse, responses=ERRORS, tags=["items"])
    def items(
        engine: EngineDep,
        type: str | None = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    ) -> ItemsResponse:
        """Every item (or one type), whole, in a stable order."""
        kind = check_choice(type, ("story", "platform"), "type")
        chosen = [i for i in engine.items if kind is None or i.type == kind]
        return ItemsResponse(total=len(chosen), items=[item_dict(i) for i in chosen[offset : offset + limit]])

    @app.get("/api/items/{item_id}", responses=ERRORS, tags=["items"])
    def item(item_id: str, engine: EngineDep) -> dict[str, Any]:
        """One item, whole."""
        found = engine.corpus.get(item_id)
        if found is None:
            raise ApiError(404, "unknown_item", f"Không có mục “{item_id}”.", f"Unknown item id {item_id!r}.")
        return item_dict(found)

    @app.get("/api/items/{item_id}/similar", response_model=RecommendResponse, responses=ERRORS, tags=["items"])
    def similar(item_id: str, engine: EngineDep, settings: SettingsDep, k: int = 5) -> RecommendResponse:
        """Stories and platforms related to an item (meaning + shared platforms), with reasons."""
        check_k(k, settings)
        try:
            rec = recommend(engine, item_id=item_id, k=k)
        except UnknownItem:
            raise ApiError(404, "unknown_item", f"Không có mục “{item_id}”.", f"Unknown item id {item_id!r}.") from None
        names = platform_names(engine)
        return RecommendResponse(
            stories=[hit_model(h, cls=RecommendHit, reason=h.explain["reason"], names=names) for h in rec.stories],
            platforms=[hit_model(h, cls=RecommendHit, reason=h.explain["reason"], names=names)
                       for h in rec.platforms],
            no_match=rec.no_match, confidence=rec.confidence,
        )

    @app.get("/api/items/{item_id}/howto", response_model=HowToResponse, responses=ERRORS, tags=["items"])
    def howto(item_id: str, engine: EngineDep) -> HowToResponse:
        """How to follow an item: its platforms' first steps and who runs them. A story that used no
        platform gets the engine's closest fitting platform, marked ``suggested``."""
        found = engine.corpus.get(item_id)
        if found is None:
            raise ApiError(404, "unknown_item", f"Không có mục “{item_id}”.", f"Unknown item id {item_id!r}.")
        suggested, reason = False, None
        if isinstance(found, Platform):
            platforms = [found]
        else:
            platforms = [p for p in (engine.corpus.get(pid) for pid in found.platform_ids) if isinstance(p, Platform)]
        if not platforms:
            best = recommend(engine, item_id=item_id, k=1).platforms[:1]
            platforms = [h.item for h in best if isinstance(h.item, Platform)]
            suggested, reason = True, (best[0].explain.get("reason") if best else None)
        return HowToResponse(suggested=suggested, reason=reason, platforms=[
            HowToPlatform(id=p.id, name=p.name, how_to_start=list(p.how_to_start), operator=p.operator,
                          url=p.url, cost=p.cost) for p in platforms])

    @app.get("/api/facets", tags=["items"])
    def facets(engine: EngineDep) -> dict[str, dict[str, int]]:
        """Every filter value with its number of items over the whole corpus."""
        return count_facets(engine.items)

    # the controlled values the page's selects offer, placed in index.html (no request for them on load)
    vocab = {"sector": SECTORS, "region": REGIONS, "terrain": TERRAINS, "audience": AUDIENCES,
             "province": sorted(set(province_names().values()))}
    assets = StaticAssets(STATIC, json.dumps(vocab, ensure_ascii=False, separators=(",", ":")))

    @app.get("/", include_in_schema=False)
    def index_page(request: Request) -> Response:
        response = assets.response("index.html", request)
        if response is None:
            raise ApiError(404, "not_found", "Không tìm thấy địa chỉ này.", "Not found.")
        return response

    @app.get("/{filename}", include_in_schema=False)
    def static_file(filename: str, request: Request) -> Response:
        """Files of ``static/`` by bare name only: no folder, no way out of it."""
        response = assets.response(filename, request)
        if response is None:
            raise ApiError(404, "not_found", "Không tìm thấy địa chỉ này.", "Not found.")
        return response
