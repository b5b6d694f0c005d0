"""Where analytics events live: the database URL, the SQLAlchemy engine, Alembic migrations, retention.

* default: a SQLite file ``analytics.sqlite3`` next to the index folder, or in the user data folder
  (platformdirs) when that folder is not writable;
* ``LANGSO_ANALYTICS_URL=postgresql://user:password@host/db`` for PostgreSQL (driver: psycopg 3).

Connections time out fast (a locked SQLite file or a PostgreSQL server that is down is an error after
about a second): only the background writer and the report ever wait on them, never a search.
"""

from __future__ import annotations

import os
import threading
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, create_engine, delete, event
from sqlalchemy.engine import make_url

from ..settings import Settings
from .models import TABLES, utcnow

MIGRATIONS = Path(__file__).parent / "migrations"
# Alembic keeps its running context in module globals: two upgrades in one process (the writer starting,
# a report request) must not overlap, or they deadlock on the import lock and a table lock.
_MIGRATE_LOCK = threading.Lock()
SQLITE_NAME = "analytics.sqlite3"


def default_url(settings: Settings) -> str:
    """A SQLite file beside the index folder, or in the user data folder if that one is not writable."""
    folder = Path(settings.index_dir).resolve().parent
    if not os.access(folder, os.W_OK):
        from platformdirs import user_data_dir

        folder = Path(user_data_dir("langso-search", appauthor=False))
        folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / SQLITE_NAME}"


def database_url(settings: Settings) -> str:
    """The configured URL, with the psycopg 3 driver for plain ``postgresql://`` / ``postgres://`` URLs."""
    url = settings.analytics_url or default_url(settings)
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def safe_url(url: str) -> str:
    """The URL without its password, for logs and the report."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparsable URL is shown as its scheme only
        return url.split(":", 1)[0] + ":…"


def make_engine(url: str) -> Engine:
    """An engine that fails fast instead of waiting (busy SQLite file, unreachable server)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 1.0, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA busy_timeout = 1000")
            cur.close()

        return engine
    # fail instead of waiting forever on a lock another server process holds (e.g. its own migration)
    connect_args = {"connect_timeout": 3, "options": "-c lock_timeout=10000 -c statement_timeout=60000"} if url.startswith("postgresql") else {}
    return create_engine(url, pool_pre_ping=True, pool_size=2, max_overflow=2, connect_args=connect_args)


def sqlite_path(url: str) -> Path | None:
    if not url.startswith("sqlite"):
        return None
    database = make_url(url).database
    return Path(database) if database and database != ":memory:" else None


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision (creates every table on an empty database)."""
    from alembic import command
    from alembic.config import Config

    path = sqlite_path(str(engine.url))
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    with _MIGRATE_LOCK, engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def cleanup(engine: Engine, retention_days: int) -> int:
    """Delete events older than the retention period; the number of rows deleted."""
    cutoff = utcnow() - timedelta(days=retention_days)
    deleted = 0
    with engine.begin() as conn:
        for table in TABLES:
            deleted += conn.execute(delete(table).where(table.at < cutoff)).rowcount or 0
    return deleted
