"""``langso eval``: score BM25-only, dense-only and ours on the labelled queries (or ``--tune`` the fusion)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from .common import cli_settings, echo_json, open_or_exit, progress_bar


def eval_cmd(
    queries: Optional[Path] = typer.Option(None, "--queries", help="Default: data/eval/queries.jsonl"),
    out: Optional[Path] = typer.Option(None, "--out", help="Also write the report as JSON here"),
    per_query: bool = typer.Option(False, "--per-query", help="List the queries ours misses in the top 3"),
    tune_weights: bool = typer.Option(False, "--tune", help="Grid-search the fusion weights on these queries"),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON instead of the table"),
) -> None:
    """Đánh giá / score BM25-only, dense-only and ours per query style (hit@k, MRR@10, nDCG@10)."""
    from ..evaluate import dialect_restoration, evaluate, format_dialect, format_table, load_queries
    from ..tuning import tune

    settings = cli_settings()
    engine, _ = open_or_exit(settings)
    qs = load_queries(queries or settings.data_dir / "eval" / "queries.jsonl", engine.corpus)
    if tune_weights:
        for row in tune(engine, qs)[:10]:
            styles = " ".join(f"{k}={v:.3f}" for k, v in row["per_style"].items())
            typer.echo(f"macro {row['macro_mrr']:.4f} mrr {row['mrr']:.4f} {row['weights']}  {styles}")
        typer.echo(f"current: {engine.weights}")
        return
    with progress_bar("Đánh giá / evaluating") as bar:
        task = bar.add_task("eval", total=len(qs))
        report = evaluate(engine, qs, progress=lambda n: bar.advance(task, n))
    if as_json:
        echo_json(report.to_json())
        return
    typer.echo(format_table(report))
    dialect = (queries or settings.data_dir / "eval" / "queries.jsonl").parent / "dialect.jsonl"
    if dialect.exists():  # written blind: reported, never tuned on
        typer.echo(f"\nDialect set ({dialect.name}):")
        typer.echo(format_table(evaluate(engine, load_queries(dialect, styles=("dialect",)), systems=("ours",))))
        typer.echo(format_dialect(dialect_restoration(engine.built.restorer, dialect)))
    negation = dialect.with_name("negation.jsonl")
    if negation.exists():  # "không có X": written blind, reported only
        typer.echo(f"\nNegation set ({negation.name}):")
        typer.echo(format_table(evaluate(engine, load_queries(negation, engine.corpus), systems=("ours",))))
    if per_query:
        for row in report.per_query:
            if row["ours"]["mrr@10"] < 1 / 3:
                typer.echo(f"  miss [{row['style']}] {row['query']!r} → {row['ours']['top3']}")
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report.to_json(), ensure_ascii=False, indent=2), encoding="utf-8")
