"""Corpus: the real data validates; each kind of error is reported as `file: item id: field: what`."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from langso_search.cli import app
from langso_search.corpus import CorpusInvalid, load_corpus, province_names
from langso_search.evaluate import load_queries

from .conftest import DATA, copy_fixture_corpus

LINE = re.compile(r"^(platforms|stories)/[\w.-]+\.ya?ml: [^:]+: [^:]+: .+$")


def test_real_corpus_validates_with_the_counts_we_promise() -> None:
    corpus = load_corpus(DATA)
    assert len(corpus.platforms) >= 45
    assert len(corpus.stories) >= 70
    for story in corpus.stories:
        assert story.sources and all(s.startswith("http") for s in story.sources)
        assert story.location.province in province_names().values()
    assert {p.make_in_vietnam for p in corpus.platforms} == {True, False}
    queries = load_queries(DATA / "eval" / "queries.jsonl", corpus)
    assert len(queries) >= 150


def test_every_region_and_sector_is_covered() -> None:
    from langso_search.vocab import REGIONS

    corpus = load_corpus(DATA)
    assert {s.location.region for s in corpus.stories} == set(REGIONS)


def test_all_text_is_nfc() -> None:
    for path in DATA.rglob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        assert unicodedata.normalize("NFC", text) == text, path


def _broken(tmp_path: Path, story_id: str, **changes: object) -> Path:
    data = copy_fixture_corpus(tmp_path / "data")
    path = data / "stories" / f"{story_id}.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    for key, value in changes.items():
        target = raw
        *parents, last = key.split(".")
        for p in parents:
            target = target[p]
        if value is None:
            target.pop(last)
        else:
            target[last] = value
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return data


STORY = "lai-chau-mien-dong-tiktok"


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"platform_ids": ["khong-co-that"]}, "platform_ids[0]", "unknown platform id"),
        ({"location.province": "Kon Tum"}, "location.province", "not a province after the 2025 merger"),
        ({"location.region": "Miền Tây"}, "location.region", "unknown region"),
        ({"location.terrain": ["sa mạc"]}, "location.terrain", "unknown terrain"),
        ({"sectors": ["nuôi ong"]}, "sectors", "unknown sector"),
        ({"sources": ["not a url"]}, "sources", "not an http(s) URL"),
        ({"sources": []}, "sources", "at least 1"),
        ({"title": unicodedata.normalize("NFD", "Bán miến dong qua TikTok ở Lai Châu")}, "title", "NFC"),
        ({"problem": None}, "problem", "Field required"),
        ({"colour": "đỏ"}, "colour", "unknown field"),
        ({"id": "Sai Chu Hoa"}, "id", "lowercase ASCII slug"),
    ],
)
def test_each_kind_of_error_names_file_item_and_field(
    tmp_path: Path, changes: dict[str, object], field: str, fragment: str
) -> None:
    data = _broken(tmp_path, STORY, **changes)
    with pytest.raises(CorpusInvalid) as info:
        load_corpus(data)
    lines = [str(e) for e in info.value.errors]
    assert any(
        line.startswith(f"stories/{STORY}.yaml: ") and f": {field}: " in line and fragment in line for line in lines
    ), lines
    assert all(LINE.match(line) for line in lines), lines


def test_duplicate_ids_and_id_file_mismatch(tmp_path: Path) -> None:
    data = copy_fixture_corpus(tmp_path / "data")
    src = data / "stories" / f"{STORY}.yaml"
    (data / "stories" / "ban-sao.yaml").write_text(src.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(CorpusInvalid) as info:
        load_corpus(data)
    text = "\n".join(map(str, info.value.errors))
    assert f"stories/ban-sao.yaml: {STORY}: id: must equal the file name" in text or "duplicate id" in text


def test_broken_yaml_and_wrong_top_level(tmp_path: Path) -> None:
    data = copy_fixture_corpus(tmp_path / "data")
    (data / "stories" / "hong.yaml").write_text("id: hong\ntitle: [không đóng ngoặc\n", encoding="utf-8")
    (data / "platforms" / "danh-sach.yaml").write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(CorpusInvalid) as info:
        load_corpus(data)
    text = "\n".join(map(str, info.value.errors))
    assert "stories/hong.yaml: hong: (file): invalid YAML at line" in text
    assert "platforms/danh-sach.yaml: danh-sach: (file): expected a mapping" in text


def test_cli_data_check_exit_codes(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(app, ["data", "check", "--data-dir", str(DATA)])
    assert ok.exit_code == 0, ok.output
    assert "platforms" in ok.output
    bad = _broken(tmp_path, STORY, platform_ids=["khong-co-that"])
    result = runner.invoke(app, ["data", "check", "--data-dir", str(bad)])
    assert result.exit_code == 1
    assert f"stories/{STORY}.yaml: {STORY}: platform_ids[0]: unknown platform id 'khong-co-that'" in result.output


def test_eval_queries_with_unknown_ids_are_refused(tmp_path: Path) -> None:
    corpus = load_corpus(DATA)
    path = tmp_path / "q.jsonl"
    path.write_text('{"id": "x1", "query": "abc", "style": "slang", "relevant": {"khong-co": 3}}\n', encoding="utf-8")
    with pytest.raises(CorpusInvalid) as info:
        load_queries(path, corpus)
    text = "\n".join(map(str, info.value.errors))
    assert "q.jsonl: x1: style: unknown style" in text
    assert "q.jsonl: x1: relevant.khong-co: unknown item id" in text
