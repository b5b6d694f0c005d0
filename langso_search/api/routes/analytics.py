"""HTTP side of analytics: click and feedback endpoints, the editors' report, the /admin page, and the two
hooks the search and recommend routes call. ``install_analytics`` wires it all into the app.

* ``POST /api/events`` and ``POST /api/feedback``: public, answer 204 at once (the event is only queued);
* ``GET /api/admin/report``, ``GET /api/admin/export`` and ``GET /admin``: 404 unless ``LANGSO_ADMIN_TOKEN``
  is set; then ``Authorization: Bearer <token>`` (401 without, 403 wrong), never CORS-allowed, not in
  the OpenAPI description, rate-limited per client in memory.
"""

from __future__ import annotations

import hmac
import logging
import threading
import time
from collections import deque
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from ...analytics.recorder import Recorder
from ...settings import Settings

logger = logging.getLogger(__name__)
ADMIN_PAGE = Path(__file__).parents[2] / "static" / "admin"
SESSION = r"^[A-Za-z0-9_-]{8,64}$"
ADMIN_LIMIT = (30, 60.0)  # requests per client per seconds on /admin and /api/admin/*
ERROR_DOC = {"description": "Bad input", "content": {"application/json": {"schema": {
    "type": "object", "properties": {"error": {"type": "object", "properties": {
        "code": {"type": "string"}, "message_vi": {"type": "string"}, "message_en": {"type": "string"}}}}}}}}


class AnalyticsError(Exception):
    def __init__(self, status: int, code: str, vi: str, en: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(en)
        self.status, self.code, self.vi, self.en, self.headers = status, code, vi, en, headers


async def _error_response(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AnalyticsError)
    return JSONResponse({"error": {"code": exc.code, "message_vi": exc.vi, "message_en": exc.en}},
                        status_code=exc.status, headers=exc.headers)


# ---------------------------------------------------------------------------- hooks (called by the search and recommend routes)


def _recorder(request: Request) -> Recorder | None:
    rec = getattr(request.app.state, "analytics", None)
    return rec if rec is not None and rec.enabled else None


def record_search(request: Request, query: str, filters: Any, result: Any) -> None:
    """Queue one answered search (first page only). Never raises, never waits."""
    try:
        rec = _recorder(request)
        if rec is None or getattr(result, "offset", 0):
            return
        rec.record("search", {
            "query": query, "restored": result.query.restored, "accented": result.query.accent_ratio >= 0.5,
            "filters": {k: v for k, v in vars(filters).items() if v is not None},
            "no_match": getattr(result, "no_match", False), "confidence": getattr(result, "confidence", 1.0),
            "ids": [h.item.id for h in result.hits], "total": getattr(result, "total", 0) or len(result.hits),
            "latency_ms": result.took_ms,
        })
    except Exception:
        logger.debug("analytics: search not recorded", exc_info=True)


def record_recommend(request: Request, body: Any, response: Any) -> None:
    """Queue one answered recommendation. Never raises, never waits."""
    try:
        rec = _recorder(request)
        if rec is None:
            return
        profile = body.profile.model_dump() if body.profile is not None else {}
        rec.record("recommend", {"text": body.text, "item_id": body.item_id, "profile": profile,
                                 "ids": [h.id for h in (*response.stories, *response.platforms)]})
    except Exception:
        logger.debug("analytics: recommend not recorded", exc_info=True)


def analytics_status(app: FastAPI) -> dict[str, Any]:
    """The ``analytics`` block for /api/ready: on/off, writer state, queued, written, dropped, lost."""
    rec = getattr(app.state, "analytics", None)
    return rec.status() if rec is not None else {"enabled": False, "state": "off"}


# ---------------------------------------------------------------------------- public endpoints


class EventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["open", "source"] = Field("open", description="open: a result was opened; source: a source link")
    item_id: str = Field(min_length=1, max_length=200)
    rank: int | None = Field(None, ge=1, le=10_000, description="1 = first result")
    query: str | None = Field(None, max_length=2000)
    session: str | None = Field(None, pattern=SESSION, description="Random id of one browser tab")


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    query: str = Field(min_length=1, max_length=2000)
    helpful: bool = Field(strict=True, description="true: it helped; false: it did not (0/1 are refused)")
    item_id: str | None = Field(None, max_length=200)
    comment: str | None = Field(None, max_length=500)
    session: str | None = Field(None, pattern=SESSION)


def _check_item(request: Request, item_id: str | None) -> None:
    holder = getattr(request.app.state, "holder", None)
    engine = getattr(holder, "engine", None)
    if item_id is not None and engine is not None and engine.corpus.get(item_id) is None:
        raise AnalyticsError(422, "unknown_item", f"Không có mục “{item_id}”.", f"Unknown item id {item_id!r}.")


router = APIRouter()
ANSWERS: dict[int | str, dict[str, Any]] = {400: ERROR_DOC, 413: {**ERROR_DOC, "description": "Body too large"},
                                            422: {**ERROR_DOC, "description": "Invalid event or unknown item"}}


@router.post("/api/events", status_code=204, response_class=Response, responses=ANSWERS, tags=["analytics"])
def post_event(event: EventIn, request: Request) -> Response:
    """A result opened or a source link followed on the page (no IP, no cookie: only a random tab id)."""
    _check_item(request, event.item_id)
    rec = _recorder(request)
    if rec is not None:
        rec.record("click", {"kind": event.type, "item_id": event.item_id, "rank": event.rank,
                             "query": event.query, "session": event.session})
    return Response(status_code=204)


@router.post("/api/feedback", status_code=204, response_class=Response, responses=ANSWERS, tags=["analytics"])
def post_feedback(feedback: FeedbackIn, request: Request) -> Response:
    """“Câu trả lời này có giúp được bạn không?” 👍/👎 with an optional comment (≤ 500 characters)."""
    _check_item(request, feedback.item_id)
    rec = _recorder(request)
    if rec is not None:
        rec.record("feedback", feedback.model_dump())
    return Response(status_code=204)


# ---------------------------------------------------------------------------- admin


class Limiter:
    """At most ``n`` requests per ``seconds`` per client, in memory (nothing stored)."""

    def __init__(self, n: int, seconds: float) -> None:
        self.n, self.seconds = n, seconds
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str) -> bool:
        now = time.monotonic()
        with self._lock:
            if len(self._hits) > 10_000:
                self._hits.clear()
            hits = self._hits.setdefault(client, deque())
            while hits and now - hits[0] > self.seconds:
                hits.popleft()
            if len(hits) >= self.n:
                return False
            hits.append(now)
            return True


def _token(request: Request) -> str | None:
    secret = request.app.state.analytics_settings.admin_token
    value = secret.get_secret_value() if secret is not None else ""
    return value or None


def _enabled(request: Request) -> str:
    token = _token(request)
    if token is None:
        raise AnalyticsError(404, "not_found", "Không tìm thấy địa chỉ này.", "Not found.")
    if not request.app.state.admin_limiter.allow(request.client.host if request.client else "?"):
        raise AnalyticsError(429, "rate_limited", "Bạn gửi quá nhiều yêu cầu, vui lòng chờ một chút.",
                             "Too many requests to the admin endpoints.")
    return token


def require_admin(request: Request) -> None:
    token = _enabled(request)
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise AnalyticsError(401, "unauthorized", "Cần mã quản trị (Authorization: Bearer …).",
                             "Admin token required (Authorization: Bearer …).", {"WWW-Authenticate": "Bearer"})
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise AnalyticsError(403, "forbidden", "Mã quản trị không đúng.", "Wrong admin token.")


def _db_engine(request: Request):  # type: ignore[no-untyped-def]
    from ...analytics.store import migrate

    rec: Recorder = request.app.state.analytics
    try:
        if not rec._migrated:
            migrate(rec.engine)
            rec._migrated = True
        return rec.engine
    except Exception as exc:  # noqa: BLE001
        raise AnalyticsError(503, "analytics_unavailable", "Không đọc được cơ sở dữ liệu thống kê.",
                             f"The analytics database cannot be read: {type(exc).__name__}.") from None


@router.get("/api/admin/report", include_in_schema=False, dependencies=[Depends(require_admin)])
def admin_report(request: Request, days: int = Query(30, ge=1, le=3650)) -> JSONResponse:
    from ...analytics.report import build_report

    engine = _db_engine(request)
    search_engine = getattr(request.app.state.holder, "engine", None)
    encode = search_engine.embedder.encode_queries if search_engine is not None else None
    titles = {i.id: i.title for i in search_engine.items} if search_engine is not None else {}
    try:
        body = build_report(engine, days, encode, titles, analytics_status(request.app))
    except Exception as exc:  # noqa: BLE001
        logger.warning("analytics report failed: %s", exc)
        raise AnalyticsError(503, "analytics_unavailable", "Không đọc được cơ sở dữ liệu thống kê.",
                             f"The analytics database cannot be read: {type(exc).__name__}.") from None
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


@router.get("/api/admin/export", include_in_schema=False, dependencies=[Depends(require_admin)])
def admin_export(request: Request, days: int = Query(30, ge=1, le=3650)) -> PlainTextResponse:
    """The no-match and 👎 queries as eval JSONL (``relevant`` empty), as ``langso report --export``."""
    import tempfile

    from ...analytics.output import export_queries

    engine = _db_engine(request)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "queries.jsonl"
        export_queries(engine, days, path)
        text = path.read_text(encoding="utf-8")
    return PlainTextResponse(text, media_type="application/x-ndjson",
                             headers={"Cache-Control": "no-store",
                                      "Content-Disposition": 'attachment; filename="langso-queries.jsonl"'})


PAGE_HEADERS = {
    "Cache-Control": "no-store", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
}


@router.get("/admin", include_in_schema=False)
def admin_page(request: Request) -> FileResponse:
    """The report page: carries no secret and no data; it asks for the token and fetches the report."""
    _enabled(request)
    return FileResponse(ADMIN_PAGE / "admin.html", media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)


@router.get("/admin/{name}", include_in_schema=False)
def admin_asset(name: str, request: Request) -> FileResponse:
    _enabled(request)
    files = {"admin.js": "text/javascript; charset=utf-8", "admin.css": "text/css; charset=utf-8"}
    if name not in files:
        raise AnalyticsError(404, "not_found", "Không tìm thấy địa chỉ này.", "Not found.")
    return FileResponse(ADMIN_PAGE / name, media_type=files[name], headers=PAGE_HEADERS)


# ---------------------------------------------------------------------------- wiring


class NoCorsForAdmin:
    """ASGI middleware (outermost): admin paths lose the Origin header, so CORS never allows them."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and (scope["path"] == "/admin" or scope["path"].startswith(("/admin/",
                                                                                                  "/api/admin"))):
            scope = {**scope, "headers": [(k, v) for k, v in scope.get("headers", []) if k.lower() != b"origin"]}
        await self.app(scope, receive, send)


def install_analytics(app: FastAPI, settings: Settings, holder: Any = None) -> Recorder:
    """Add the analytics routes, the recorder (started with the app, flushed at shutdown) and the admin guard.
    Call it before the catch-all static route is added, so ``/admin`` is matched first."""
    recorder = Recorder(settings)
    app.state.analytics = recorder
    app.state.analytics_settings = settings
    app.state.admin_limiter = Limiter(*ADMIN_LIMIT)
    app.add_exception_handler(AnalyticsError, _error_response)
    app.include_router(router)
    app.add_middleware(NoCorsForAdmin)
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a: FastAPI):  # type: ignore[no-untyped-def]
        async with inner(a) as state:
            recorder.start()
            try:
                yield state
            finally:
                import anyio

                await anyio.to_thread.run_sync(recorder.close)

    app.router.lifespan_context = lifespan
    return recorder
