"""The editors' side of analytics: ``GET /api/admin/report``, ``GET /api/admin/export`` and the ``/admin`` page.

404 unless ``LANGSO_ADMIN_TOKEN`` is set; then ``Authorization: Bearer <token>`` (401 without, 403 wrong),
never CORS-allowed (:class:`NoCorsForAdmin`), not in the OpenAPI description, rate-limited per client in
memory (:class:`Limiter`).
"""

from __future__ import annotations

import hmac
import logging
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse

from ....analytics.recorder import Recorder
from ....corpus import Titles
from ...errors import ApiError, not_found
from .hooks import analytics_status

logger = logging.getLogger(__name__)
ADMIN_PAGE = Path(__file__).parents[3] / "static" / "admin"
ADMIN_LIMIT = (30, 60.0)  # requests per client per seconds on /admin and /api/admin/*
router = APIRouter()


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
        raise not_found()
    if not request.app.state.admin_limiter.allow(request.client.host if request.client else "?"):
        raise ApiError(429, "rate_limited", "Bạn gửi quá nhiều yêu cầu, vui lòng chờ một chút.",
                       "Too many requests to the admin endpoints.")
    return token


def require_admin(request: Request) -> None:
    token = _enabled(request)
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise ApiError(401, "unauthorized", "Cần mã quản trị (Authorization: Bearer …).",
                       "Admin token required (Authorization: Bearer …).", {"WWW-Authenticate": "Bearer"})
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise ApiError(403, "forbidden", "Mã quản trị không đúng.", "Wrong admin token.")


def _unavailable(exc: Exception) -> ApiError:
    return ApiError(503, "analytics_unavailable", "Không đọc được cơ sở dữ liệu thống kê.",
                    f"The analytics database cannot be read: {type(exc).__name__}.")


def _db_engine(request: Request):  # type: ignore[no-untyped-def]
    rec: Recorder = request.app.state.analytics
    try:
        return rec.readable_engine()
    except Exception as exc:  # noqa: BLE001
        raise _unavailable(exc) from None


@router.get("/api/admin/report", include_in_schema=False, dependencies=[Depends(require_admin)])
def admin_report(request: Request, days: int = Query(30, ge=1, le=3650)) -> JSONResponse:
    from ....analytics.report import build_report

    engine = _db_engine(request)
    search_engine = getattr(request.app.state.holder, "engine", None)
    encode = search_engine.embedder.encode_queries if search_engine is not None else None
    titles = Titles(search_engine.corpus) if search_engine is not None else {}
    try:
        body = build_report(engine, days, encode, titles, analytics_status(request.app))
    except Exception as exc:  # noqa: BLE001
        logger.warning("analytics report failed: %s", exc)
        raise _unavailable(exc) from None
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


@router.get("/api/admin/export", include_in_schema=False, dependencies=[Depends(require_admin)])
def admin_export(request: Request, days: int = Query(30, ge=1, le=3650)) -> PlainTextResponse:
    """The no-match and 👎 queries as eval JSONL (``relevant`` empty), as ``langso report --export``."""
    import tempfile

    from ....analytics.output import export_queries

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
        raise not_found()
    return FileResponse(ADMIN_PAGE / name, media_type=files[name], headers=PAGE_HEADERS)


class NoCorsForAdmin:
    """ASGI middleware (outermost): admin paths lose the Origin header, so CORS never allows them."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and (scope["path"] == "/admin" or scope["path"].startswith(("/admin/",
                                                                                                  "/api/admin"))):
            scope = {**scope, "headers": [(k, v) for k, v in scope.get("headers", []) if k.lower() != b"origin"]}
        await self.app(scope, receive, send)
