"""The engine's one start-up pass over the items gives every index what its own pass over the items gave."""

from __future__ import annotations

from collections import Counter

import numpy as np

from langso_search.confidence import CorpusWords
from langso_search.documents import item_document
from langso_search.facets import FacetIndex
from langso_search.item_scan import ItemScan
from langso_search.names import NameIndex
from langso_search.search import Engine
from langso_search.snippets import Snippets


def test_one_pass_builds_what_each_index_built_from_the_items(small_engine: Engine) -> None:
    items = list(small_engine.items)
    scan = ItemScan.of(items)
    assert len(scan.facets) == len(scan.name_forms) == len(scan.ethnic) == len(items)

    by_items, by_scan = FacetIndex(items), FacetIndex.from_values(scan.facets, scan.miv)
    assert by_items.values == by_scan.values and np.array_equal(by_items.miv, by_scan.miv)
    assert all(np.array_equal(by_items.rows[name], by_scan.rows[name]) for name in by_items.rows)

    names, names_scan = NameIndex(items), NameIndex.from_forms(scan.name_forms)
    assert names.phrases == names_scan.phrases and names.compacts == names_scan.compacts

    compounds = small_engine.snippets.compounds
    assert Snippets(items, compounds).idf == Snippets(items, compounds, df=scan.snippet_df).idf

    documents = [item_document(item, display=True) for item in items]
    words = CorpusWords(documents)
    assert words.known == scan.words.known and words.pairs == scan.words.pairs

    stories = small_engine.corpus.stories
    users = Counter(pid for story in stories for pid in set(story.platform_ids))
    assert {pid: len(rows) for pid, rows in scan.users.items()} == users
    for pid, rows in scan.users.items():
        assert all(pid in items[row].platform_ids for row in rows)  # type: ignore[union-attr]
    story = next(i for i, item in enumerate(items) if item.type == "story" and item.ethnic_groups)  # type: ignore[union-attr]
    assert scan.ethnic[story] and scan.ethnic[0] == []  # platforms (rows first) have no ethnic groups
