"""The analytics hooks the search and recommend routes call, and the ``analytics`` block of /api/ready.

Each hook only queues an event on the app's :class:`~langso_search.analytics.recorder.Recorder`: it never
raises and never waits (a search is answered whatever happens to analytics).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request

from ....analytics.recorder import Recorder

logger = logging.getLogger(__name__)


def recorder_of(request: Request) -> Recorder | None:
    """The app's recorder when analytics is on, else None."""
    rec = getattr(request.app.state, "analytics", None)
    return rec if rec is not None and rec.enabled else None


def record_search(request: Request, query: str, filters: Any, result: Any) -> None:
    """Queue one answered search (first page only). Never raises, never waits."""
    try:
        rec = recorder_of(request)
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
        rec = recorder_of(request)
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
