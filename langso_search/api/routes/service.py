"""Service routes: liveness, readiness, corpus facets."""

from __future__ import annotations

import os

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ...embed import encoder_info
from ...settings import Settings
from ..deps import EngineDep, HolderDep
from ..schemas import ReadyResponse
from .analytics import analytics_status


def router(settings: Settings) -> APIRouter:
    api = APIRouter()

    @api.get("/api/health", tags=["service"])
    async def health() -> dict[str, str]:
        """Liveness: answers as long as the process runs (never waits for a search)."""
        return {"status": "ok"}

    @api.get("/api/ready", response_model=ReadyResponse, tags=["service"],
             responses={503: {"model": ReadyResponse, "description": "Index not ready"}})
    def ready(holder: HolderDep, request: Request) -> ReadyResponse | JSONResponse:
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

    @api.get("/api/facets", tags=["items"])
    def facets(engine: EngineDep) -> dict[str, dict[str, int]]:
        """Every filter value with its number of items over the whole corpus."""
        return engine.facet_index.whole()  # the precomputed facet masks, summed (was a loop over every item)

    return api
