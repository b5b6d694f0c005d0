"""Recommend: similar items, stories ↔ platforms, commune profiles, diversity and reasons."""

from __future__ import annotations

import pytest

from langso_search.recommend import Profile, UnknownItem, recommend
from langso_search.search import Engine


def test_similar_to_a_story_includes_the_platforms_it_used(small_engine: Engine) -> None:
    rec = recommend(small_engine, item_id="quang-ngai-vifish-theo-doi-tau", k=3)
    assert rec.platforms[0].item.id == "vifish-18"
    assert "dùng Vifish-18" in rec.platforms[0].explain["reason"] or "Vifish" in rec.platforms[0].explain["reason"]
    assert "quang-ngai-vifish-theo-doi-tau" not in {h.item.id for h in rec.stories}


def test_similar_to_a_platform_lists_stories_that_use_it(small_engine: Engine) -> None:
    rec = recommend(small_engine, item_id="postmart", k=3)
    users = {s.id for s in small_engine.corpus.stories_using("postmart")}
    assert users & {h.item.id for h in rec.stories}
    assert all(h.explain["reason"] for h in rec.stories + rec.platforms)
    assert "postmart" not in {h.item.id for h in rec.platforms}


def test_profile_recommendation_gives_fitting_reasons(small_engine: Engine) -> None:
    profile = Profile(region="Tây Bắc", terrain=["miền núi"], sectors=["thương mại điện tử"])
    rec = recommend(small_engine, text="muốn bán nông sản qua mạng", profile=profile, k=3)
    top = rec.stories[0]
    assert top.item.location.region == "Tây Bắc"
    reason = top.explain["reason"]
    assert "cùng vùng Tây Bắc" in reason and "cùng địa hình miền núi" in reason
    assert any("dùng" in h.explain["reason"] for h in rec.stories)


def test_profile_only_works_without_text(small_engine: Engine) -> None:
    rec = recommend(small_engine, profile=Profile(terrain=["ven biển"], sectors=["thủy sản"]), k=2)
    assert {h.item.id for h in rec.stories} <= {"ca-mau-s-tracking-ranh-gioi-bien", "quang-ngai-vifish-theo-doi-tau",
                                                "dong-thap-nhan-len-san", "hai-phong-bap-cai-voso"}
    assert "cùng lĩnh vực thủy sản" in rec.stories[0].explain["reason"]


def test_top_five_is_diversified(small_engine: Engine) -> None:
    rec = recommend(small_engine, text="bán hàng qua mạng", k=5)
    ids = [h.item.id for h in rec.stories]
    assert len(ids) == len(set(ids)) == 5
    provinces = {h.item.location.province for h in rec.stories}
    assert len(provinces) >= 3


def test_unknown_item_raises(small_engine: Engine) -> None:
    with pytest.raises(UnknownItem):
        recommend(small_engine, item_id="khong-ton-tai")
