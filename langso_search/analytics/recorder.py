"""The recorder: a bounded in-memory queue in front of one background writer thread.

A request only puts a small tuple on the queue (``put_nowait``): it never waits for the database, never
scrubs, never raises. When the queue is full the event is dropped and counted. The writer thread takes
events in batches, scrubs every text (scrub.py), inserts each batch in one transaction, runs the
Alembic migrations before its first write and deletes events past the retention period at start and daily.
A failing database (locked, missing, read-only, down) costs the batch in hand after three tries (counted as
``lost``) and a growing pause; searches never see it.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert

from ..settings import Settings
from .models import ClickEvent, Feedback, RecommendEvent, SearchEvent, utcnow
from .scrub import scrub, scrub_all
from .store import cleanup, database_url, make_engine, migrate, safe_url, sqlite_path

logger = logging.getLogger(__name__)

BATCH = 200
LINGER_S = 0.5  # the writer wakes this often: one transaction per wake-up at most (unless a batch is full)
TRIES = 3
CLEANUP_EVERY_S = 24 * 3600
Event = tuple[str, datetime, dict[str, Any]]


def _search_row(at: datetime, d: dict[str, Any]) -> dict[str, Any]:
    return {"at": at, "query": scrub(d["query"]) or "", "restored": scrub(d.get("restored") or d["query"]) or "",
            "accented": bool(d.get("accented")), "filters": {k: scrub(str(v)) for k, v in d.get("filters", {}).items()},
            "no_match": bool(d.get("no_match")), "confidence": float(d.get("confidence", 1.0)),
            "result_ids": list(d.get("ids", [])), "total": int(d.get("total", 0)),
            "latency_ms": float(d.get("latency_ms", 0.0))}


def _recommend_row(at: datetime, d: dict[str, Any]) -> dict[str, Any]:
    profile = {k: (scrub_all([str(x) for x in v]) if isinstance(v, list) else scrub(str(v)))
               for k, v in (d.get("profile") or {}).items() if v not in (None, "", [])}
    return {"at": at, "text": scrub(d.get("text")), "item_id": d.get("item_id"), "profile": profile,
            "result_ids": list(d.get("ids", []))}


def _click_row(at: datetime, d: dict[str, Any]) -> dict[str, Any]:
    return {"at": at, "session": d.get("session"), "kind": d["kind"], "query": scrub(d.get("query")),
            "item_id": d.get("item_id"), "rank": d.get("rank")}


def _feedback_row(at: datetime, d: dict[str, Any]) -> dict[str, Any]:
    return {"at": at, "session": d.get("session"), "query": scrub(d["query"]) or "", "helpful": bool(d["helpful"]),
            "item_id": d.get("item_id"), "comment": scrub(d.get("comment"))}


ROWS = {"search": (SearchEvent, _search_row), "recommend": (RecommendEvent, _recommend_row),
        "click": (ClickEvent, _click_row), "feedback": (Feedback, _feedback_row)}


class Recorder:
    """Queue + writer for one service. ``record`` is safe from any thread and never raises."""

    def __init__(self, settings: Settings, url: str | None = None) -> None:
        self.enabled = settings.analytics
        self.url = url or database_url(settings)
        self.retention_days = settings.analytics_retention_days
        self.queue: queue.Queue[Event] = queue.Queue(maxsize=settings.analytics_queue_size)
        self.counts = {"dropped": 0, "written": 0, "lost": 0, "write_errors": 0, "deleted_by_retention": 0}
        self.state = "off" if not self.enabled else "idle"
        self.last_error: str | None = None
        self.last_write: datetime | None = None
        self._engine: Engine | None = None
        self._migrated = False
        self._last_cleanup = 0.0
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._count_lock = threading.Lock()
        self._stop = threading.Event()

    # ------------------------------------------------------------------ request side

    def record(self, kind: str, data: dict[str, Any]) -> None:
        """Queue one event (``search``, ``recommend``, ``click``, ``feedback``); drop it if the queue is full."""
        if not self.enabled:
            return
        try:
            self.queue.put_nowait((kind, utcnow(), data))
        except queue.Full:
            self._count("dropped")
            return
        except Exception:  # noqa: BLE001 - recording must never break a request
            self._count("dropped")
            return
        thread = self._thread
        if thread is None or not thread.is_alive():
            self.start()

    def _count(self, name: str, n: int = 1) -> None:
        with self._count_lock:
            self.counts[name] += n

    # ------------------------------------------------------------------ lifecycle

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.url)
        return self._engine

    def readable_engine(self) -> Engine:
        """The database engine with its schema in place (migrated on first use), for the editors' report."""
        if not self._migrated:
            migrate(self.engine)
            self._migrated = True
        return self.engine

    def start(self) -> None:
        """Start the writer thread (idempotent)."""
        if not self.enabled:
            return
        with self._start_lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="langso-analytics", daemon=True)
            self._thread.start()

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every queued event is written or given up; True when the queue is empty."""
        deadline = time.monotonic() + timeout
        while self.queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.02)
        return not self.queue.unfinished_tasks

    def close(self, timeout: float = 5.0) -> None:
        """Write what is queued (within ``timeout``), stop the thread, release the connections."""
        thread = self._thread
        if thread is not None and thread.is_alive():
            self.flush(timeout)
            self._stop.set()
            thread.join(timeout)
        if self._engine is not None:
            self._engine.dispose()
        if self.enabled:
            self.state = "stopped"

    def status(self) -> dict[str, Any]:
        """The small ``analytics`` block for /api/ready and the report (no URL password, no data)."""
        with self._count_lock:
            counts = dict(self.counts)
        return {"enabled": self.enabled, "state": self.state,
                "backend": self.url.split(":", 1)[0].split("+", 1)[0] if self.enabled else None,
                "queued": self.queue.qsize(), "queue_size": self.queue.maxsize, **counts,
                "last_write": self.last_write.isoformat(timespec="seconds") + "Z" if self.last_write else None,
                "last_error": self.last_error}

    # ------------------------------------------------------------------ writer thread

    def _run(self) -> None:
        """Wake every LINGER_S (never per event: a woken thread would take the GIL from a search), drain the
        queue in batches, write them; pause longer and longer while the database fails."""
        pause, busy = 0.0, False
        try:  # migrations and the retention cleanup at start, before any event arrives
            self._ready()
        except Exception as exc:  # noqa: BLE001 - retried with the first batch
            self._fail(exc)
        while True:
            stopping = self._stop.wait(0 if busy else LINGER_S + pause)
            batch = self._take()
            busy = len(batch) == BATCH
            if batch:
                pause = 0.0 if self._write(batch) else min(max(pause * 2, 0.5), 10.0)
                busy = busy and pause == 0.0
            else:
                self._maintain()
            if stopping and (not batch or pause):
                return

    def _take(self) -> list[Event]:
        """Up to BATCH queued events, without waiting."""
        batch: list[Event] = []
        while len(batch) < BATCH:
            try:
                batch.append(self.queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _ready(self) -> None:
        path = sqlite_path(self.url)
        if self._migrated and path is not None and not path.exists():
            # the file was deleted: an open connection would write into the unlinked inode, lost for good
            self.engine.dispose()
            self._migrated = False
            self.last_error = "the SQLite file was deleted; recreated"
        if not self._migrated:
            self.state = "starting"
            migrate(self.engine)
            self._migrated = True
            self._maintain(force=True)

    def _maintain(self, force: bool = False) -> None:
        """Retention cleanup at start and then once a day (errors only reported)."""
        if not self._migrated or (not force and time.monotonic() - self._last_cleanup < CLEANUP_EVERY_S):
            return
        self._last_cleanup = time.monotonic()
        try:
            self._count("deleted_by_retention", cleanup(self.engine, self.retention_days))
        except Exception as exc:  # noqa: BLE001
            self._fail(exc)

    def _write(self, batch: list[Event]) -> bool:
        """Insert one batch (tried up to TRIES times); False after giving it up."""
        rows: dict[type, list[dict[str, Any]]] = defaultdict(list)
        for kind, at, data in batch:
            try:
                table, make = ROWS[kind]
                rows[table].append(make(at, data))
            except Exception as exc:  # noqa: BLE001 - a malformed event is lost, not the batch
                logger.debug("analytics: bad %s event: %s", kind, exc)
                self._count("lost")
        ok = False
        for attempt in range(TRIES):
            try:
                self._ready()
                with self.engine.begin() as conn:
                    for table, values in rows.items():
                        conn.execute(insert(table), values)
                ok = True
                break
            except Exception as exc:  # noqa: BLE001 - any database trouble stays in here
                self._fail(exc)
                if attempt + 1 < TRIES and self._stop.wait(0.2 * (attempt + 1)):
                    break
        n = sum(len(v) for v in rows.values())
        if ok:
            self._count("written", n)
            self.state, self.last_write = "running", utcnow()
        else:
            self._count("lost", n)
        for _ in batch:
            self.queue.task_done()
        return ok

    def _fail(self, exc: Exception) -> None:
        self._count("write_errors")
        self.state = "error"
        self.last_error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
        self._migrated = self._migrated and not _schema_lost(exc)
        logger.warning("analytics database (%s): %s", safe_url(self.url), self.last_error)


def _schema_lost(exc: Exception) -> bool:
    """A missing table (file deleted, database recreated) means the migrations must run again."""
    text = str(exc).lower()
    return "no such table" in text or "does not exist" in text or "undefinedtable" in text
