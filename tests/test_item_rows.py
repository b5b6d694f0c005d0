"""A build's items read from corpus.jsonl on demand: the same items as the corpus, a bounded cache,
passes that stream, and a damaged line named by file and row."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from langso_search.corpus import Corpus, Titles
from langso_search.index import current_build, load_corpus_snapshot, load_index
from langso_search.item_rows import ItemRows
from langso_search.manifest import IndexCorrupt
from langso_search.reasons import Profile
from langso_search.recommend import recommend
from langso_search.search import Engine


@pytest.fixture(scope="module")
def snapshot(small_engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    build = current_build(small_engine.settings.index_dir)
    assert build is not None
    path = tmp_path_factory.mktemp("rows") / "corpus.jsonl"
    shutil.copy(build / "corpus.jsonl", path)
    return path, list(small_engine.corpus.ids)


def test_rows_read_back_every_item_and_the_corpus_views(snapshot: tuple[Path, list[str]],
                                                        small_engine: Engine) -> None:
    path, ids = snapshot
    corpus = load_corpus_snapshot(path, ids, cache_size=3)
    assert isinstance(corpus.rows, ItemRows)
    expected = [i.model_dump() for i in small_engine.corpus.items]
    assert [i.model_dump() for i in corpus.items] == expected
    assert [p.id for p in corpus.platforms] == [i.id for i in small_engine.corpus.platforms]
    assert [s.id for s in corpus.stories] == [i.id for i in small_engine.corpus.stories]
    assert corpus.stories[-1].id == ids[-1] and corpus.items[-1].id == ids[-1]
    assert [s.id for s in corpus.stories[1:3]] == ids[len(corpus.platforms) + 1: len(corpus.platforms) + 3]
    story = corpus.stories[0]
    assert corpus.by_id[story.id].model_dump() == story.model_dump() and story.id in corpus.by_id
    assert "no-such-item" not in corpus.by_id and corpus.get("no-such-item") is None
    with pytest.raises(KeyError):
        corpus.by_id["no-such-item"]
    with pytest.raises(IndexError):
        corpus.items[len(ids)]
    assert Titles(corpus)[story.id] == story.title
    # who used a platform: the same stories as the list-backed corpus
    for platform in small_engine.corpus.platforms:
        assert ([s.id for s in corpus.stories_using(platform.id)]
                == [s.id for s in small_engine.corpus.stories_using(platform.id)])


def test_the_cache_is_bounded_and_a_pass_streams(snapshot: tuple[Path, list[str]]) -> None:
    path, ids = snapshot
    rows, head = ItemRows.open(path, ids, cache_size=4)
    assert head["platforms"] == rows.n_platforms and len(rows) == len(ids)
    first = rows[7]
    assert rows[7] is first and rows.parsed == 1  # a cache hit parses nothing
    assert [i.id for i in rows] == ids  # a pass over more rows than the cache holds
    assert rows.parsed == len(ids)  # row 7 came from the cache; every other row was parsed once
    assert len(rows._cache) <= 4


def test_a_small_corpus_is_parsed_once(snapshot: tuple[Path, list[str]]) -> None:
    path, ids = snapshot
    rows, _ = ItemRows.open(path, ids, cache_size=len(ids))
    list(rows), list(rows), rows[3]
    assert rows.parsed == len(ids)


def test_a_damaged_line_names_the_file_and_the_row(snapshot: tuple[Path, list[str]], tmp_path: Path) -> None:
    path, ids = snapshot
    lines = path.read_text(encoding="utf-8").splitlines()
    row = len(lines) - 2  # the last item
    item = json.loads(lines[row + 1])
    item["sectors"] = ["not a sector"]
    lines[row + 1] = json.dumps(item, ensure_ascii=False)
    broken = tmp_path / "corpus.jsonl"
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows, _ = ItemRows.open(broken, ids)
    assert rows[0].id == ids[0]
    with pytest.raises(IndexCorrupt, match=rf"corpus.jsonl: line {row + 2} \({ids[row]}\)"):
        rows[row]
    with pytest.raises(IndexCorrupt, match="item lines but"):
        ItemRows.open(broken, ids[:-1])


def test_a_list_backed_corpus_is_unchanged(small_engine: Engine) -> None:
    plain = Corpus(platforms=list(small_engine.corpus.platforms), stories=list(small_engine.corpus.stories),
                   digest="x")
    assert plain.rows is None and plain.ids == small_engine.corpus.ids
    assert isinstance(plain.items, list) and plain.by_id[plain.ids[0]] is plain.items[0]


def test_an_engine_reading_items_on_demand_answers_the_same(small_engine: Engine) -> None:
    """An engine whose item cache holds 4 items (every other read parses its line again) gives the same
    hits, snippets, facets and recommendations; its start-up reads each item once (item_scan.py)."""
    settings = small_engine.settings
    built = load_index(settings.index_dir, item_cache=4)
    rows = built.corpus.rows
    assert isinstance(rows, ItemRows)
    engine = Engine(built.corpus, built, small_engine.embedder, settings)
    assert rows.parsed <= len(rows) + rows.n_platforms  # one pass (item_scan.py) + the platforms, parsed first
    for text in ("bán nông sản trên mạng", "nuoi tom bi benh", "làm giấy tờ online ở xa", "vo so"):
        a, b = engine.search(text, k=5), small_engine.search(text, k=5)
        assert [(h.item.id, h.snippet) for h in a.hits] == [(h.item.id, h.snippet) for h in b.hits]
        assert np.allclose([h.score for h in a.hits], [h.score for h in b.hits])
        assert a.facets == b.facets and a.total == b.total
    profile = Profile(region="Tây Bắc", terrain=["miền núi"])
    mine, theirs = (recommend(e, text="bán hàng cho bà con", profile=profile, k=3) for e in (engine, small_engine))
    assert [(h.item.id, h.snippet, h.explain) for h in mine.stories] == [(h.item.id, h.snippet, h.explain) for h in theirs.stories]
