"""``langso data check`` and ``langso data report``: validate the corpus, and show its coverage to editors."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..settings import get_settings
from .common import echo_json

data_app = typer.Typer(help="Kiểm tra dữ liệu trong data/ / check the corpus in data/.", no_args_is_help=True)


def data_check(
    data_dir: Optional[Path] = typer.Option(None, help="Corpus folder (default: settings.data_dir)"),
    as_json: bool = typer.Option(False, "--json", help="Print {ok, errors, counts} as JSON"),
) -> None:
    """Validate every platform, story and eval query; print `file: item id: field: what is wrong` per error."""
    from ..corpus import CorpusInvalid, load_corpus
    from ..eval_queries import load_queries, query_files

    folder = data_dir or get_settings().data_dir
    counts: dict[str, int] = {}
    try:
        corpus = load_corpus(folder)
        for path in query_files(folder / "eval"):  # the dev set and any held-out set
            counts[path.name] = len(load_queries(path, corpus))
    except CorpusInvalid as exc:
        if as_json:
            echo_json({"ok": False, "errors": [str(err) for err in exc.errors], "folder": str(folder)})
            raise typer.Exit(1) from None
        for err in exc.errors:
            typer.echo(str(err), err=True)
        typer.echo(f"✗ {len(exc.errors)} lỗi / errors in {folder}", err=True)
        raise typer.Exit(1) from None
    from ..coverage import coverage

    warnings = coverage(corpus).warnings
    if as_json:
        echo_json({"ok": True, "errors": [], "warnings": warnings, "folder": str(folder),
                    "platforms": len(corpus.platforms), "stories": len(corpus.stories), "queries": counts})
        return
    for warning in warnings:
        typer.echo(f"! {warning}", err=True)
    queries = ", ".join(f"{n} queries in eval/{name}" for name, n in counts.items()) or "no eval queries"
    typer.echo(f"✓ {len(corpus.platforms)} platforms, {len(corpus.stories)} stories, {queries} OK ({folder})")


def data_report(
    data_dir: Optional[Path] = typer.Option(None, help="Corpus folder (default: settings.data_dir)"),
    png: Path = typer.Option(Path("coverage.png"), "--png", help="Where to write the sector × region heatmap"),
    as_json: bool = typer.Option(False, "--json", help="Print the coverage as JSON"),
) -> None:
    """Độ phủ / coverage for editors: sector × region table, ethnic groups, years, themes, loose ends."""
    from ..corpus import CorpusInvalid, load_corpus
    from ..coverage import coverage, draw_heatmap, format_report

    folder = data_dir or get_settings().data_dir
    try:
        cov = coverage(load_corpus(folder))
    except CorpusInvalid as exc:
        typer.echo(f"✗ {len(exc.errors)} lỗi / errors in {folder}: run `langso data check`", err=True)
        raise typer.Exit(1) from None
    draw_heatmap(cov, png)
    if as_json:
        echo_json({**cov.to_json(), "png": str(png)})
        return
    typer.echo(format_report(cov))
    typer.echo(f"\n→ {png} (heatmap / bản đồ nhiệt)")
