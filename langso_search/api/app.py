"""The FastAPI application: ``create_app`` wires settings, engine, middleware, error handlers and routes.

CPU-bound endpoints are plain ``def`` so FastAPI runs them in its threadpool: a slow search never
blocks the event loop, and ``/api/health`` answers while searches run.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse

from .. import __version__
from ..pipeline import EngineHolder
from ..settings import Settings, get_settings
from .errors import error_response, install_error_handlers
from .middleware import BodyLimit, ResponseCache
from .openapi import install_openapi
from .routes import items, recommend, search, service, static
from .routes.analytics import install_analytics, record_search

DESCRIPTION = ("Tìm câu chuyện và nền tảng số Làng số theo vấn đề của người dân. "
               "Search the Làng số stories and Make-in-Việt-Nam platforms by everyday problems.")


@asynccontextmanager
async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
    holder: EngineHolder = app.state.holder
    if holder.engine is None:
        import anyio

        await anyio.to_thread.run_sync(holder.open)
    if app.state.settings.index_poll_s > 0:
        holder.watch(app.state.settings.index_poll_s)
    yield
    holder.stop()


def create_app(settings: Settings | None = None, holder: EngineHolder | None = None) -> FastAPI:
    """The FastAPI application; ``holder`` lets tests share one loaded engine."""
    settings = settings or get_settings()
    app = FastAPI(title="langso-search", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    app.state.holder = holder or EngineHolder(settings)
    # innermost: a repeated search is replayed from its bytes (still behind the rate limiter, gzip and CORS)
    app.add_middleware(ResponseCache, engine_key=lambda: _engine_key(app), size=settings.response_cache_size,
                       on_hit=_record_replay)
    _limits(app, settings)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    # HTML, JS, CSS and JSON over a slow phone line: ~4-6× smaller
    app.add_middleware(GZipMiddleware, minimum_size=500, compresslevel=6)
    # Added last, so outermost: the 413 above and the rate limiter's 429 carry CORS headers too (a widget on
    # another allowed origin can read those errors instead of seeing an opaque network failure).
    app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST"],
                       allow_headers=["Content-Type"])
    install_error_handlers(app)
    install_analytics(app, settings, app.state.holder)  # before the static catch-all: /admin precedes it
    for module in (service, search, recommend, items, static):
        # the routes themselves, not an included router: slowapi finds a route's handler (to rate-limit it)
        # only among the app's own routes
        app.router.routes.extend(module.router(settings).routes)
    install_openapi(app)
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
    def too_many(_: Request, exc: RateLimitExceeded) -> JSONResponse:
        return error_response(429, "rate_limited", "Bạn gửi quá nhiều yêu cầu, vui lòng chờ một chút.",
                              f"Too many requests ({exc.detail}).")

    app.add_exception_handler(RateLimitExceeded, too_many)  # type: ignore[arg-type]
