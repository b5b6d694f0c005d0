"""Snippets: highlights mark matched content words and multi-syllable terms, never a lone filler syllable."""

from __future__ import annotations

import json
import re

import pytest

from langso_search.search import Engine
from langso_search.snippets import FILLER, is_filler, marked_spans, query_terms, render

from . import snippets_reference as reference
from .conftest import DATA

_MARK = re.compile(r"<mark>(.*?)</mark>")


def _marked(engine: Engine, text: str, sentence: str, compounds: frozenset[str] = frozenset(),
            common: frozenset[str] = frozenset()) -> list[str]:
    q = engine.analyse(text)
    terms = query_terms(q, True, compounds)
    return _MARK.findall(render(sentence, marked_spans(sentence, terms, True, compounds, common)))


def test_filler_syllables_alone_are_never_marked(small_engine: Engine) -> None:
    sentence = "Ông Ba là người bán cam ở phố chợ, mặt hàng có bí đỏ"
    marked = _marked(small_engine, "ông bà anh là có mặt bí phố bán cam", sentence)
    assert "bán cam" in marked
    for word in ("Ông", "là", "ở", "phố", "mặt", "có", "bí"):
        assert word not in marked


def test_a_multi_syllable_term_is_marked_whole(small_engine: Engine) -> None:
    marked = _marked(small_engine, "người già không biết dùng điện thoại",
                     "Người già trong nhà chưa từng dùng ứng dụng trên điện thoại")
    assert "Người già" in marked and "điện thoại" in marked


def test_accents_decide_when_the_query_has_them(small_engine: Engine) -> None:
    assert _marked(small_engine, "cách nấu phở ngon", "Ki-ốt đặc sản trên phố đi bộ") == []


def test_a_common_syllable_inside_another_word_is_not_the_query_word(small_engine: Engine) -> None:
    compounds = frozenset({"xa hoi", "tien mat", "mat hang"})
    assert _marked(small_engine, "xã livestream", "Bán trên mạng xã hội", compounds, frozenset({"xa"})) == []
    assert _marked(small_engine, "xã livestream", "Chính quyền xã tổ chức", compounds, frozenset({"xa"})) == ["xã"]
    assert _marked(small_engine, "trả tiền mặt", "Các mặt hàng nông sản", compounds) == []


def test_render_escapes_and_merges_adjacent_marks() -> None:
    assert render("a <b> & c", [(8, 9)]) == "a &lt;b&gt; &amp; <mark>c</mark>"
    assert render("bán cam", [(0, 3), (4, 7)]) == "<mark>bán cam</mark>"


@pytest.mark.parametrize("text", ["ông bà tôi già rồi không biết dùng điện thoại", "anh ơi bán cam ở đâu",
                                  "mặt hàng nông sản bị ép giá", "bí thư xã muốn lắp camera", "a", "tiền mặt"])
def test_engine_snippets_never_mark_a_lone_filler(small_engine: Engine, text: str) -> None:
    for hit in small_engine.search(text, k=10).hits:
        for marked in _MARK.findall(hit.snippet):
            words = marked.split()
            assert not (len(words) == 1 and is_filler(words[0])), (text, hit.item.id, hit.snippet)


def test_filler_list_is_lowercase_accented() -> None:
    assert all(w == w.lower() for w in FILLER)
    assert {"ông", "bà", "anh", "bí", "phố", "là", "có", "mặt"} <= FILLER


def _real_queries() -> list[str]:
    """Every 24th dev query and every 5th dialect query (never the held-out set), plus edge cases."""
    queries = []
    for name, step in (("queries.jsonl", 24), ("dialect.jsonl", 5)):
        lines = (DATA / "eval" / name).read_text(encoding="utf-8").splitlines()
        queries += [json.loads(line)["query"] for line in lines[::step] if line.strip()]
    return queries + ["a", "tiền mặt", "xã hội", "ông bà anh chị", "phở", "pho", "zalo zalo zalo"]


def test_snippets_are_identical_to_the_reference_implementation(small_engine: Engine) -> None:
    """The precomputing, sentence-skipping, caching highlighter gives byte-identical snippets to the
    straightforward one it replaced (kept in tests/snippets_reference.py), for real queries × every item."""
    fast = small_engine.snippets
    slow = reference.Snippets(small_engine.items, small_engine.snippets.compounds)
    compared = marked = 0
    for text in _real_queries():
        for exact in (False, True):
            q = small_engine.analyse(text, exact=exact)
            for row in range(len(small_engine.items)):
                for width in (220, 80):
                    expected = slow.snippet(row, q, width)
                    assert fast.snippet(row, q, width) == expected, (text, exact, row, width)
                    assert fast.snippet(row, q, width) == expected  # from the cache
                    compared += 1
                    marked += "<mark>" in expected
    assert compared > 1000 and 0.1 * compared < marked < compared  # both marked and fallback snippets seen


def test_prepared_sentences_weigh_each_word_as_weight_does(small_engine: Engine) -> None:
    """Sentences are prepared with one idf lookup per word; that is ``Snippets._weight`` of the word, for
    every word of every item; a corpus that fits the cache is prepared whole at warm-up."""
    snippets = small_engine.snippets
    assert snippets.prepare_all() == len(small_engine.items)
    words = 0
    for row in range(len(small_engine.items)):
        for sentence in snippets.sentences[row]:
            assert sentence.weight == tuple(snippets._weight(sentence.text[a:b]) for a, b in sentence.found)
            words += len(sentence.found)
    assert words > 1000


def test_a_corpus_larger_than_the_cache_is_not_prepared_whole(small_engine: Engine) -> None:
    from langso_search.snippets import Snippets

    lean = Snippets(small_engine.items, small_engine.snippets.compounds)
    lean.sentences._keep = 3  # as if the corpus had more items than the cache holds
    assert lean.prepare_all() == 0


def test_warm_up_prepares_every_snippet_when_the_setting_is_on(small_engine: Engine) -> None:
    """The service's default (the tests' other engines turn it off to save time, conftest.py)."""
    from langso_search.pipeline import warm_up

    for on in (True, False):
        settings = small_engine.settings.model_copy(update={"warm_snippets": on})
        engine = Engine(small_engine.corpus, small_engine.built, small_engine.embedder, settings)
        warm_up(engine)
        assert (engine.snippets.sentences.cached() == len(engine.items)) is on  # off: only the warm-up's hits
