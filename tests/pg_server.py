"""A real, throw-away PostgreSQL server for the analytics tests, from Debian's ``postgresql`` package.

initdb + pg_ctl from /usr/lib/postgresql/*/bin into a temporary folder, listening on a free port of
127.0.0.1 with trust authentication; run as the ``postgres`` OS user (``runuser``) when the tests run as
root, since PostgreSQL refuses to run as root. ``make test`` installs the package (Makefile ``postgres``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from .conftest import free_port


def pg_bin() -> Path | None:
    """The newest installed PostgreSQL server's bin folder, or None."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    return found[-1].parent if found else None


def require_pg() -> Path:
    """The bin folder, or a skip that says what to install (a failure in CI, where it must be there)."""
    found = pg_bin()
    if found is None:
        why = "PostgreSQL server binaries are absent (/usr/lib/postgresql/*/bin): `apt-get install postgresql`"
        if os.environ.get("CI"):
            pytest.fail(why + " (CI is set, so this is a failure, not a skip)")
        pytest.skip(why)
    return found


class PgServer:
    """One server: ``url`` (SQLAlchemy URL of the ``postgres`` database), ``stop()``, ``start()``, ``new_database()``."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="langso-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")
        self._n = 0

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        cmd = [str(a) for a in args]
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True)

    def init(self) -> None:
        self._run(self.bin / "initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "--no-locale", "-E", "UTF8",
                  "--no-sync")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(self.bin / "pg_ctl", "-D", self.data, "-o", options, "-l", self.root / "server.log", "-w",
                  "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run(self.bin / "pg_ctl", "-D", self.data, "-m", mode, "-w", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh, empty database on this server; its URL."""
        import psycopg

        self._n += 1
        name = f"langso_{os.getpid()}_{self._n}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def cleanup(self) -> None:
        if self.running():
            try:
                self.stop("immediate")
            except subprocess.SubprocessError:
                pass
        shutil.rmtree(self.root, ignore_errors=True)


@contextmanager
def pg_server() -> Iterator[PgServer]:
    server = PgServer(require_pg())
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.cleanup()
