"""Pipeline: corpus → index → engine, with the rules that keep the service up.

* the index is rebuilt when the corpus, the model or an index setting changed (or it is corrupt);
* an invalid corpus never replaces a good index: the old build keeps serving, and the errors are
  reported (``langso data check`` shows them);
* a rebuild while serving builds a new :class:`~langso_search.search.Engine` and swaps the reference
  in one assignment, so every request sees either the old engine or the new one.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from .corpus import CorpusError, CorpusInvalid, load_corpus
from .embed import Embedder, make_embedder
from .index import (
    BuiltIndex, IndexCorrupt, IndexMissing, build_index, current_build, fingerprint, load_index, stale_reason,
)
from .search import Engine
from .settings import Settings

logger = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]


@dataclass
class OpenReport:
    """What :func:`open_engine` did, for logs, the CLI and ``/api/ready``."""

    built: bool = False
    reason: str | None = None
    corpus_errors: list[CorpusError] = field(default_factory=list)
    index: BuiltIndex | None = field(default=None, repr=False)  # the verified build, so it is read once


def ensure_index(
    settings: Settings, embedder: Embedder, progress: Progress | None = None, force: bool = False
) -> OpenReport:
    """Build the index if it is missing, stale or corrupt; keep the old one if the corpus is invalid."""
    report = OpenReport()
    try:
        corpus = load_corpus(settings.data_dir)
    except CorpusInvalid as exc:
        report.corpus_errors = exc.errors
        if force:
            raise
        try:
            report.index = load_index(settings.index_dir, settings.item_cache_size)
        except (IndexMissing, IndexCorrupt):
            raise exc from None
        logger.error("corpus invalid, serving the previous index:\n%s", exc)
        report.reason = "corpus invalid; kept the previous index"
        return report
    reason = "forced" if force else stale_reason(
        settings.index_dir, fingerprint(settings, embedder.model_id, corpus.digest)
    )
    if reason is None:
        try:
            report.index = load_index(settings.index_dir, settings.item_cache_size)
        except (IndexMissing, IndexCorrupt) as exc:
            reason = f"index unreadable: {exc}"
    if reason is not None:
        logger.info("building the index: %s", reason)
        build_index(corpus, embedder, settings, progress)
        report.built, report.reason = True, reason
    return report


def open_engine(
    settings: Settings, embedder: Embedder | None = None, progress: Progress | None = None, build: bool = True
) -> tuple[Engine, OpenReport]:
    """A ready engine over the live index (built first when needed and ``build`` is true)."""
    embedder = embedder or make_embedder(settings)
    report = ensure_index(settings, embedder, progress) if build else OpenReport()
    built = report.index or load_index(settings.index_dir, settings.item_cache_size)
    if built.manifest.get("model_id") != embedder.model_id:
        raise IndexCorrupt(
            f"index was built with {built.manifest.get('model_id')!r} but the encoder is {embedder.model_id!r};"
            " run `langso build`"
        )
    return Engine(built.corpus, built, embedder, settings), report


def warm_up(engine: Engine) -> None:
    """Run one unaccented search and one commune profile so lazy loads (segmenter, normaliser, encoder
    pages and buffers, the profile path) happen before the first user does; the cached answer is
    dropped so it cannot skew anything. Then the pages of the item file that the start-up passes
    mapped are let go (a 100k-item build: ≈ 0.2 GB of RSS)."""
    from .reasons import Profile
    from .recommend import recommend

    # unaccented, ambiguous and long enough to be encoded as two close readings: the restorer, the
    # encoder's buffers for a longer input and the several-readings path are all used once
    engine.search("lam can cuoc dien tu muc do 2 cho ba con o xa khong biet hoi ai", k=1)
    # a commune profile: recommend's first run happens now, not on an official's first request
    recommend(engine, profile=Profile(region="Tây Bắc", ethnic_groups=["Mông"]), k=1)
    engine.clear_cache()
    # a corpus whose snippet sentences all fit in memory gets them now (≈ 0.2 s for 200 items): a hit shown
    # for the first time then costs no ≈ 1–3 ms of preparation
    if engine.settings.warm_snippets:
        engine.snippets.prepare_all()
    engine.corpus.release_pages()  # every start-up pass over the items is done by now


def settle_heap() -> None:
    """Once a new engine serves: collect, then freeze every object alive (``gc.freeze``) so the garbage
    collector's full passes stop walking the loaded corpus, index and restorer. With the full corpus a
    full pass took 41–51 ms (measured), and one landed inside a request now and then: a p99 spike.
    The previous engine is unfrozen first, so its reference cycles are still collected."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    _trim_malloc()


def _trim_malloc() -> None:
    """Hand the C heap's free pages back to the system (glibc ``malloc_trim``): the start-up passes and
    JSON parsing free far more than they keep, and glibc keeps what was freed. 100k items: the process
    heap 381 → 145 MB (measured). A no-op where the C library is not glibc."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):
        pass


class EngineHolder:
    """The engine a service uses, swappable at run time (reads need no lock)."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self._embedder = embedder
        self.engine: Engine | None = None
        self.report = OpenReport()
        self.error: str | None = None
        self._rebuild_lock = threading.Lock()
        self._stop = threading.Event()

    @property
    def build_id(self) -> str | None:
        """The name of the build this process serves (replicas agree when they serve the same one)."""
        return self.engine.built.path.name if self.engine is not None else None

    def follow_current(self) -> bool:
        """Switch to the build ``index/CURRENT`` names if it is not the one served; True if switched.

        Several worker processes share one index folder: ``langso build`` (or one worker's rebuild)
        writes a new build and switches CURRENT atomically; every worker follows within one poll.
        """
        live = current_build(self.settings.index_dir)
        if live is None or self.engine is None or live.name == self.build_id:
            return False
        with self._rebuild_lock:
            embedder = self._embedder or self.engine.embedder
            engine, _ = open_engine(self.settings, embedder, build=False)
            warm_up(engine)
            self.engine = engine
            settle_heap()
        logger.info("now serving index build %s", engine.built.path.name)
        return True

    def watch(self, interval_s: float) -> threading.Thread:
        """Poll CURRENT every ``interval_s`` seconds in a daemon thread (errors are logged, never raised)."""

        def loop() -> None:
            while not self._stop.wait(interval_s):
                try:
                    self.follow_current()
                except Exception:  # noqa: BLE001 - a half-written or bad build: keep serving the old one
                    logger.exception("cannot switch to the new index build")

        thread = threading.Thread(target=loop, name="langso-index-watch", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()

    def open(self) -> None:
        try:
            engine, report = open_engine(self.settings, self._embedder, build=self.settings.auto_build)
            warm_up(engine)
            self.engine, self.report = engine, report
            self._embedder = engine.embedder
            self.error = None
            settle_heap()
        except Exception as exc:  # noqa: BLE001 - reported by /api/ready, the process stays up
            logger.exception("cannot open the engine")
            self.error = str(exc)

    def rebuild(self, force: bool = False) -> OpenReport:
        """Rebuild when needed and swap engines; on any failure the current engine keeps serving."""
        with self._rebuild_lock:
            embedder = self._embedder or make_embedder(self.settings)
            report = ensure_index(self.settings, embedder, force=force)
            engine, _ = open_engine(self.settings, embedder, build=False)
            warm_up(engine)
            self.engine, self.report, self._embedder = engine, report, embedder
            settle_heap()
            return report
