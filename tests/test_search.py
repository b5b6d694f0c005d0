"""Search: ranking across types, accent-proof queries, filters, facets, snippets, explain."""

from __future__ import annotations

import pytest

from langso_search.search import Engine, Filters, count_facets, highlight


def top_ids(engine: Engine, text: str, k: int = 3, **filters: object) -> list[str]:
    return [h.item.id for h in engine.search(text, k=k, filters=Filters(**filters)).hits]


def test_unaccented_and_accented_queries_find_the_same_answer(small_engine: Engine) -> None:
    accented = top_ids(small_engine, "tàu cá ra khơi mất liên lạc với gia đình")
    plain = top_ids(small_engine, "tau ca ra khoi mat lien lac voi gia dinh")
    assert "vifish-18" in accented[:2] and "vifish-18" in plain[:2]


def test_teencode_query(small_engine: Engine) -> None:
    assert top_ids(small_engine, "ko có tk ngân hàng chuyển tiền kiểu gì", k=3)[0] in {"viettel-money", "vnpt-money"}


@pytest.mark.parametrize(("typed", "platform"), [("vo so", "voso"), ("v neid", "vneid"), ("s traking", "s-tracking"),
                                                 ("post mart", "postmart"), ("vifish18", "vifish-18")])
def test_platform_names_even_misspelled(small_engine: Engine, typed: str, platform: str) -> None:
    assert top_ids(small_engine, typed, k=1) == [platform]


def test_one_ranked_list_of_both_types(small_engine: Engine) -> None:
    result = small_engine.search("bán nông sản qua mạng", k=8)
    types = {h.item.type for h in result.hits}
    assert types == {"story", "platform"}
    scores = [h.score for h in result.hits]
    assert scores == sorted(scores, reverse=True)


def test_filters_restrict_every_hit(small_engine: Engine) -> None:
    for filters in ({"type": "platform"}, {"type": "story"}, {"region": "Tây Bắc"}, {"terrain": "ven biển"},
                    {"sector": "thủy sản"}, {"province": "Cà Mau"}):
        hits = small_engine.search("bán hàng và liên lạc", k=20, filters=Filters(**filters)).hits
        assert hits, filters
        for hit in hits:
            assert Filters(**filters).accepts(hit.item)
    platforms = small_engine.search("ứng dụng", k=50, filters=Filters(make_in_vietnam=False)).hits
    assert {h.item.id for h in platforms} == {"tiktok-shop"}


def test_a_filter_nothing_matches_gives_no_hits(small_engine: Engine) -> None:
    assert small_engine.search("bán cam", filters=Filters(province="Hà Nội")).hits == []


def test_facets_count_relevant_items(small_engine: Engine) -> None:
    result = small_engine.search("tàu cá ngư dân đi biển", k=5)
    assert result.facets["type"].get("platform", 0) >= 1
    assert "thủy sản" in result.facets["sector"]
    whole = count_facets(small_engine.items)
    assert whole["type"] == {"story": 10, "platform": 12}


def test_snippets_mark_matched_words_and_escape_html(small_engine: Engine) -> None:
    hit = small_engine.search("thiet bi giam sat hanh trinh tau ca", k=1).hits[0]
    assert "<mark>" in hit.snippet
    hostile = small_engine.search("<script>alert(1)</script> bán cam", k=3).hits
    for h in hostile:
        assert "<script" not in h.snippet
    assert highlight("a <b> & c", {"c"}) == "a &lt;b&gt; &amp; <mark>c</mark>"


def test_explain_gives_per_retriever_scores(small_engine: Engine) -> None:
    hit = small_engine.search("khám bệnh từ xa cho xã vùng cao", k=1, explain=True).hits[0]
    assert {"dense", "lexical", "name", "fused", "dense_weight"} <= set(hit.explain)
    assert hit.item.id in {"telehealth", "lao-cai-muong-khuong-hoi-chan-telehealth"}


def test_restoration_feeds_the_dense_model(small_engine: Engine) -> None:
    q = small_engine.analyse("toi muon ban cam qua mang")
    assert q.was_restored and q.restored == "tôi muốn bán cam qua mạng"
    assert q.folded == "toi muon ban cam qua mang"
    q2 = small_engine.analyse("Tôi muốn bán cam")
    assert not q2.was_restored


def test_retriever_modes_differ(small_engine: Engine) -> None:
    text = "nong dan ban thanh long"
    dense, _ = small_engine.score(small_engine.analyse(text), "dense")
    lexical, _ = small_engine.score(small_engine.analyse(text), "lexical")
    fused, parts = small_engine.score(small_engine.analyse(text), "hybrid")
    assert not (dense == lexical).all()
    assert set(parts) == {"dense", "lexical", "name", "dense_weight"}
    assert fused.shape == dense.shape == (len(small_engine.items),)
