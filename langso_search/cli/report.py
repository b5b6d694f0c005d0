"""``langso report``: the editors' analytics report (searches, no-match queries by meaning, feedback)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..settings import get_settings


def report(
    days: int = typer.Option(30, "--days", min=1, max=3650, help="Period: the last N days"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (the /api/admin/report shape)"),
    export: Optional[Path] = typer.Option(None, "--export", help="Write no-match and 👎 queries as eval JSONL"),
) -> None:
    """Báo cáo cho biên tập viên / editors' report: searches, no-match queries by meaning, feedback."""
    from ..analytics.output import run_report

    raise typer.Exit(run_report(get_settings(), days, as_json, export))
