"""Every CLI command, through typer's runner, on the small fixture corpus; --json output is parsed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from langso_search.cli import app
from langso_search.settings import Settings, get_settings

runner = CliRunner()


@pytest.fixture()
def cli_env(small_settings: Settings, small_engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:  # type: ignore[no-untyped-def]
    """The CLI reads LANGSO_* like a user's shell; the small index is already built (small_engine)."""
    monkeypatch.setenv("LANGSO_DATA_DIR", str(small_settings.data_dir))
    monkeypatch.setenv("LANGSO_INDEX_DIR", str(small_settings.index_dir))
    get_settings.cache_clear()
    yield small_settings
    get_settings.cache_clear()


def _json(args: list[str]) -> object:
    run = runner.invoke(app, args)
    assert run.exit_code == 0, run.output
    return json.loads(run.stdout)  # nothing but JSON on stdout (no progress bar, no notes)


def test_version() -> None:
    run = runner.invoke(app, ["--version"])
    assert run.exit_code == 0 and run.stdout.startswith("langso-search ")


def test_search_json_and_text(cli_env: Settings) -> None:
    body = _json(["search", "vneid", "--json", "--k", "3"])
    assert body["results"][0]["id"] == "vneid"
    text = runner.invoke(app, ["search", "ban bap cai qua mang", "--k", "3"])
    assert text.exit_code == 0
    assert "&quot;" not in text.stdout and "&amp;" not in text.stdout and "<mark>" not in text.stdout
    assert "\033[1m" not in text.stdout  # not a terminal: no bold escape codes


def test_recommend_json(cli_env: Settings) -> None:
    body = _json(["recommend", "--text", "muốn bán nông sản qua mạng", "--region", "Tây Bắc", "--json", "--k", "3"])
    assert {"stories", "platforms", "no_match", "confidence"} <= set(body)  # the /api/recommend body
    assert all(hit["reason"] for hit in body["stories"] + body["platforms"])
    unknown = runner.invoke(app, ["recommend", "--item", "khong-co-muc-nay"])
    assert unknown.exit_code == 1


def test_eval_json(cli_env: Settings, tmp_path: Path) -> None:
    queries = tmp_path / "q.jsonl"
    queries.write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in [
        {"id": "t-1", "query": "vneid muc 2", "style": "name", "relevant": {"vneid": 3}},
        {"id": "t-2", "query": "bắp cải rớt giá bán qua mạng", "style": "accented",
         "relevant": {"hai-phong-bap-cai-voso": 3, "voso": 2}},
    ]), encoding="utf-8")
    body = _json(["eval", "--queries", str(queries), "--json"])
    assert body["counts"]["all"] == 2


def test_data_check_json_on_a_broken_corpus(cli_env: Settings, tmp_path: Path) -> None:
    import shutil

    broken = tmp_path / "data"
    shutil.copytree(cli_env.data_dir, broken)
    (broken / "platforms" / "vneid.yaml").write_text("id: vneid\nname: V\n", encoding="utf-8")
    run = runner.invoke(app, ["data", "check", "--data-dir", str(broken), "--json"])
    assert run.exit_code == 1
    body = json.loads(run.stdout)
    assert not body["ok"] and any("vneid" in e for e in body["errors"])


def test_build_when_fresh_says_up_to_date(cli_env: Settings) -> None:
    run = runner.invoke(app, ["build"])
    assert run.exit_code == 0 and "up to date" in run.stdout


def test_search_says_when_nothing_fits(cli_env: Settings) -> None:
    """--json is the /api/search body (no_match, confidence, total, alternatives), and the text output
    says plainly that nothing fits before it lists the closest results."""
    body = _json(["search", "cách nấu phở ngon", "--json", "--k", "2"])
    assert body["no_match"] is True and body["confidence"] < 0.5
    assert {"alternatives", "total", "offset", "exact"} <= set(body)
    fits = _json(["search", "vneid", "--json", "--k", "2"])
    assert fits["no_match"] is False and fits["total"] >= 1
    text = runner.invoke(app, ["search", "cách nấu phở ngon", "--k", "2"])
    assert text.exit_code == 0 and "Chưa có câu chuyện hay nền tảng nào đúng" in text.stdout
