"""``langso build`` and ``langso serve``: the index, and the web service over it (one or more workers)."""

from __future__ import annotations

import logging
from typing import Optional

import typer

from ..settings import Settings
from .common import EmbedderOpt, LazyBar, ModelOpt, cli_settings


def build(
    force: bool = typer.Option(False, "--force", help="Rebuild even if the index is up to date"),
    embedder: Optional[str] = EmbedderOpt,
    model: Optional[str] = ModelOpt,
) -> None:
    """Xây chỉ mục / build the index (only when the corpus, model or settings changed, unless --force)."""
    from ..corpus import CorpusInvalid
    from ..embed import make_embedder
    from ..index import read_manifest
    from ..pipeline import ensure_index

    settings = cli_settings(embedder, model)
    bar = LazyBar("Mã hóa đoạn văn / encoding passages")
    try:
        report = ensure_index(settings, make_embedder(settings), force=force, progress=bar)
    except CorpusInvalid as exc:
        bar.stop()
        for err in exc.errors:
            typer.echo(str(err), err=True)
        typer.echo("✗ dữ liệu lỗi, không xây chỉ mục / corpus invalid, index not built", err=True)
        raise typer.Exit(1) from None
    bar.stop()
    manifest = read_manifest(settings.index_dir) or {}
    state = f"built ({report.reason})" if report.built else "up to date"
    typer.echo(f"✓ index {state}: {manifest.get('counts')} model={manifest.get('model_id')} "
               f"encode={manifest.get('timing_s', {}).get('encode')}s total={manifest.get('timing_s', {}).get('total')}s")


def serve(
    host: Optional[str] = typer.Option(None, "--host", help="Default 127.0.0.1"),
    port: Optional[int] = typer.Option(None, "--port", help="Default 8000"),
    workers: int = typer.Option(1, "--workers", min=1, max=64, help="Worker processes sharing one index"),
    access_log: bool = typer.Option(False, "--access-log/--no-access-log", help="Log every request (off: faster)"),
    embedder: Optional[str] = EmbedderOpt,
    model: Optional[str] = ModelOpt,
) -> None:
    """Chạy dịch vụ / serve the web page and the API (builds the index first if it is stale)."""
    import uvicorn

    from ..api import create_app

    settings = cli_settings(embedder, model, host=host, port=port)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("bm25s", "numexpr", "httpx", "urllib3"):  # libraries' own DEBUG/INFO chatter stays off
        logging.getLogger(noisy).setLevel(logging.WARNING)
    typer.echo(f"→ http://{settings.host}:{settings.port}/  (API docs: /docs)", err=True)
    options = {"host": settings.host, "port": settings.port, "log_level": "info", "access_log": access_log,
               "h11_max_incomplete_event_size": 256 * 1024}
    if workers == 1:
        uvicorn.run(create_app(settings), **options)
        return
    _prepare_workers(settings, workers)
    uvicorn.run("langso_search.api:create_app", factory=True, workers=workers, **options)


def _prepare_workers(settings: Settings, workers: int) -> None:
    """Build once here, then let every worker open the same build read-only and follow index/CURRENT.

    Workers read their settings from the environment, so the CLI's overrides are exported; encoder
    threads are sized so that workers × threads ≤ cores.
    """
    import os

    from ..embed import make_embedder
    from ..pipeline import ensure_index

    ensure_index(settings, make_embedder(settings), progress=LazyBar("Mã hóa đoạn văn / encoding passages"))
    cores = os.cpu_count() or 1
    os.environ.update({
        "LANGSO_DATA_DIR": str(settings.data_dir), "LANGSO_INDEX_DIR": str(settings.index_dir),
        "LANGSO_EMBEDDER": settings.embedder, "LANGSO_ST_MODEL": settings.st_model,
        "LANGSO_AUTO_BUILD": "false",  # one builder (this process or `langso build`), many readers
        "LANGSO_ENCODER_WORKERS": "1",
        "OMP_NUM_THREADS": str(max(1, cores // workers)),
    })
    typer.echo(f"  {workers} workers × {os.environ['OMP_NUM_THREADS']} encoder thread(s) on {cores} cores; "
               f"new builds are picked up within {settings.index_poll_s:g} s", err=True)
