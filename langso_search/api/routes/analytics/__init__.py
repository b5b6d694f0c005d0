"""HTTP side of analytics; ``install_analytics`` wires it all into the app. One module per job:

* :mod:`.hooks`: what the search and recommend routes call (queue an event, never raise, never wait) and
  the ``analytics`` block of /api/ready;
* :mod:`.events`: ``POST /api/events`` and ``POST /api/feedback`` (public, answer 204 at once);
* :mod:`.admin`: ``GET /api/admin/report``, ``GET /api/admin/export`` and ``GET /admin`` (404 unless
  ``LANGSO_ADMIN_TOKEN`` is set; then a Bearer token, never CORS-allowed, not in the OpenAPI description,
  rate-limited per client in memory).
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from ....analytics.recorder import Recorder
from ....settings import Settings
from . import admin, events
from .hooks import analytics_status, record_recommend, record_search

__all__ = ["analytics_status", "install_analytics", "record_recommend", "record_search"]


def install_analytics(app: FastAPI, settings: Settings, holder: Any = None) -> Recorder:
    """Add the analytics routes, the recorder (started with the app, flushed at shutdown) and the admin guard.
    Call it before the catch-all static route is added, so ``/admin`` is matched first."""
    recorder = Recorder(settings)
    app.state.analytics = recorder
    app.state.analytics_settings = settings
    app.state.admin_limiter = admin.Limiter(*admin.ADMIN_LIMIT)
    app.include_router(events.router)
    app.include_router(admin.router)
    app.add_middleware(admin.NoCorsForAdmin)
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a: FastAPI):  # type: ignore[no-untyped-def]
        # started first: its migrations (≈ 0.1–0.3 s of imports and DDL) run while the engine loads, not
        # beside the first searches after /api/ready (they took those from ≈ 15 to 30–55 ms, measured)
        recorder.start()
        try:
            async with inner(a) as state:
                yield state
        finally:
            import anyio

            await anyio.to_thread.run_sync(recorder.close)

    app.router.lifespan_context = lifespan
    return recorder
