"""Command line: ``langso build | serve | search | recommend | eval | report | data check | data report``.

One module per command group: :mod:`.serve` (build, serve), :mod:`.search` (search, recommend),
:mod:`.eval`, :mod:`.report` (analytics), :mod:`.data` (check, report); :mod:`.common` holds what they
share (settings overrides, progress bars on stderr, JSON and terminal output).
"""

from __future__ import annotations

import typer

from .data import data_app, data_check, data_report
from .eval import eval_cmd
from .report import report
from .search import recommend, search
from .serve import build, serve

app = typer.Typer(
    help="langso-search: tìm câu chuyện và nền tảng số Làng số theo vấn đề của bạn.\n\n"
    "Search the Làng số stories and platforms by everyday problems (Vietnamese, with or without diacritics).",
    no_args_is_help=True,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"langso-search {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version"),
) -> None:
    """langso-search: tìm câu chuyện và nền tảng số Làng số theo vấn đề của bạn."""


# the order of `langso --help`
app.command()(build)
app.command()(search)
app.command()(recommend)
app.command()(report)
app.command()(serve)
app.command("eval")(eval_cmd)
data_app.command("check")(data_check)
data_app.command("report")(data_report)
app.add_typer(data_app, name="data")


def main() -> None:
    app()
