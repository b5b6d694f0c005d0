"""``langso search`` and ``langso recommend``: ask the engine, print text or ``--json``."""

from __future__ import annotations

import sys
from typing import Optional

import typer

from .common import EmbedderOpt, ModelOpt, cli_settings, echo_json, open_or_exit, terminal_snippet

NOTHING_FITS = "Chưa có câu chuyện hay nền tảng nào đúng với điều bạn tìm. / Nothing in Làng số fits this yet"


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
    from ..api.convert import search_response
    from ..search import Filters

    engine, _ = open_or_exit(cli_settings(embedder, model))
    result = engine.search(query, k=k, filters=Filters(type=type), explain=explain or as_json)
    if as_json:
        echo_json(search_response(engine, query, result, explain=explain).model_dump(exclude_none=True))
        return
    if result.query.was_restored:
        typer.echo(f"(đang tìm / searching: {result.query.restored})")
        for alt in result.query.alternatives:
            typer.echo(f"(hay ý bạn là / or did you mean: {alt.text})")
    if result.no_match:
        typer.echo(NOTHING_FITS + ("; the closest results:" if result.hits else "."))
    tty = sys.stdout.isatty()
    for n, hit in enumerate(result.hits, 1):
        kind = "Câu chuyện" if hit.item.type == "story" else "Nền tảng"
        typer.echo(f"{n}. [{kind}] {hit.item.title}  ({hit.score:.3f})  id={hit.item.id}")
        typer.echo(f"   {terminal_snippet(hit.snippet, tty)}")
        if explain:
            typer.echo(f"   {hit.explain}")


def recommend(
    text: Optional[str] = typer.Option(None, "--text", help="A problem in plain words"),
    item: Optional[str] = typer.Option(None, "--item", help="An item id"),
    province: Optional[str] = typer.Option(None, "--province"),
    region: Optional[str] = typer.Option(None, "--region"),
    terrain: list[str] = typer.Option([], "--terrain"),
    ethnic: list[str] = typer.Option([], "--ethnic"),
    sector: list[str] = typer.Option([], "--sector"),
    k: int = typer.Option(5, "--k", min=1, max=50),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (the /api/recommend shape)"),
) -> None:
    """Gợi ý / recommend stories and platforms for a problem, an item or a commune profile."""
    from ..recommend import Profile, UnknownItem
    from ..recommend import recommend as run

    engine, _ = open_or_exit(cli_settings())
    profile = Profile(province=province, region=region, terrain=terrain, ethnic_groups=ethnic, sectors=sector)
    try:
        rec = run(engine, text=text, item_id=item, profile=profile, k=k)
    except UnknownItem:
        typer.echo(f"✗ không có mục / unknown item {item!r}", err=True)
        raise typer.Exit(1) from None
    if as_json:
        from ..api.convert import recommend_response

        echo_json(recommend_response(rec, engine).model_dump(exclude_none=True))
        return
    if rec.no_match:
        typer.echo(NOTHING_FITS + ".")
    for label, hits in (("Câu chuyện", rec.stories), ("Nền tảng", rec.platforms)):
        typer.echo(f"== {label}")
        for hit in hits:
            typer.echo(f"- {hit.item.title} (id={hit.item.id})\n    → {hit.explain['reason']}")
