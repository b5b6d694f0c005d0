"""Command line: `langso build | search | recommend | serve | eval | data check`."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .settings import get_settings

app = typer.Typer(help="langso-search: tìm câu chuyện và nền tảng số Làng số / search Làng số stories and platforms.",
                  no_args_is_help=True)
data_app = typer.Typer(help="Check the corpus in data/.", no_args_is_help=True)
app.add_typer(data_app, name="data")


@data_app.command("check")
def data_check(data_dir: Optional[Path] = typer.Option(None, help="Corpus folder (default: settings.data_dir)")) -> None:
    """Validate every platform and story file; print `file: item id: field: what is wrong` per error."""
    from .corpus import CorpusInvalid, load_corpus

    folder = data_dir or get_settings().data_dir
    try:
        corpus = load_corpus(folder)
    except CorpusInvalid as exc:
        for err in exc.errors:
            typer.echo(str(err), err=True)
        typer.echo(f"✗ {len(exc.errors)} lỗi / errors in {folder}", err=True)
        raise typer.Exit(1)
    typer.echo(f"✓ {len(corpus.platforms)} platforms, {len(corpus.stories)} stories OK ({folder})")


def main() -> None:
    app()
