"""Recommend: similar items, stories ↔ platforms, commune profiles, diversity and reasons."""

from __future__ import annotations

import re

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


# ---------------------------------------------------------------------------- truthful reasons

_PHRASE_STARTS = ("cùng bài toán", "cùng tỉnh", "cùng vùng", "cùng địa hình", "cũng là đồng bào", "cùng lĩnh vực",
                  "dùng ", "được dùng ở", "câu chuyện này dùng", "cùng dùng", "Chưa có câu chuyện")


def _phrase_counts(reason: str) -> dict[str, int]:
    return {p: len(re.findall(rf"(?:^|, ){re.escape(p)}", reason)) for p in _PHRASE_STARTS}


REQUESTS = [
    {"item_id": "postmart"}, {"item_id": "quang-ngai-vifish-theo-doi-tau"}, {"item_id": "vifish-18"},
    {"text": "người già không biết dùng điện thoại"}, {"text": "muốn bán nông sản qua mạng"},
    {"profile": Profile(province="Cà Mau", terrain=["ven biển"], sectors=["thủy sản"])},
    {"text": "bán nông sản qua mạng", "profile": Profile(province="Lai Châu", terrain=["miền núi"])},
]


@pytest.mark.parametrize("request_", REQUESTS, ids=lambda r: str(r)[:40])
def test_reasons_never_repeat_a_phrase_or_a_platform(small_engine: Engine, request_: dict) -> None:
    rec = recommend(small_engine, k=5, **request_)
    titles = [p.name for p in small_engine.corpus.platforms]
    for hit in rec.stories + rec.platforms:
        reason = hit.explain["reason"]
        assert all(n <= 1 for n in _phrase_counts(reason).values()), reason
        outside_quotes = re.sub(r"“[^”]*”", "", reason)
        assert all(outside_quotes.count(t) <= 1 for t in titles), reason


def test_province_region_and_people_appear_in_the_reason(small_engine: Engine) -> None:
    rec = recommend(small_engine, profile=Profile(province="Lai Châu", ethnic_groups=["Sán Chỉ"], terrain=["miền núi"]),
                    k=5)
    reasons = {h.item.id: h.explain["reason"] for h in rec.stories}
    assert "cùng tỉnh Lai Châu" in reasons["lai-chau-mien-dong-tiktok"]
    assert "cũng là đồng bào Sán Chỉ" in reasons["quang-ninh-to-cong-nghe-so-san-chi"]
    # the province's region, from the corpus, for stories of other Tây Bắc provinces
    assert any("cùng vùng Tây Bắc" in r for i, r in reasons.items() if i != "lai-chau-mien-dong-tiktok")


def test_profile_only_platforms_come_from_the_fitting_stories(small_engine: Engine) -> None:
    profile = Profile(terrain=["ven biển"], sectors=["thủy sản"])
    rec = recommend(small_engine, profile=profile, k=5)
    fitting = {s.id for s in small_engine.corpus.stories
               if set(s.location.terrain) & set(profile.terrain) or set(s.sectors) & set(profile.sectors)}
    assert rec.platforms
    for hit in rec.platforms:
        users = {s.id for s in small_engine.corpus.stories_using(hit.item.id)}
        assert users & fitting, hit.item.id
        assert "câu chuyện giống xã bạn" in hit.explain["reason"]
        assert "đã được dùng trong" not in hit.explain["reason"]


def test_no_local_story_is_said_once(small_engine: Engine) -> None:
    rec = recommend(small_engine, profile=Profile(region="Tây Nguyên", sectors=["y tế"]), k=3)
    assert rec.note == "Chưa có câu chuyện ở Tây Nguyên; đây là những nơi có hoàn cảnh gần nhất"
    said = [h.explain["reason"].count("Chưa có câu chuyện") for h in rec.stories + rec.platforms]
    assert sum(said) == 1 and said[0] == 1
    local = recommend(small_engine, profile=Profile(province="Cà Mau", terrain=["ven biển"]), k=3)
    assert local.note is None
    # the region has stories, none about education: say that, not "no story in the region"
    other = recommend(small_engine, profile=Profile(province="Cà Mau", sectors=["giáo dục"]), k=2)
    if any(h.item.location.region == "Đồng bằng sông Cửu Long" for h in other.stories):
        assert other.note is None
    else:
        assert other.note == ("Chưa có câu chuyện về giáo dục ở Đồng bằng sông Cửu Long; "
                              "đây là những nơi có hoàn cảnh gần nhất")
    assert "Chưa có câu chuyện ở Đồng bằng sông Cửu Long" not in str(other.note)


@pytest.mark.parametrize("text", ["tàu ra khơi mất liên lạc với gia đình", "không có tài khoản ngân hàng mà cần chuyển tiền",
                                  "ngư dân sợ lấn sang vùng biển nước ngoài", "người già không biết làm giấy tờ"])
def test_same_problem_quotes_a_problem_statement(small_engine: Engine, text: str) -> None:
    from langso_search.reasons import problem_statements

    rec = recommend(small_engine, text=text, k=5)
    claims = 0
    for hit in rec.stories + rec.platforms:
        found = re.search(r"cùng bài toán “([^”]*)”", hit.explain["reason"])
        if not found:
            continue
        claims += 1
        quoted = found.group(1).rstrip("…")
        assert any(quoted in st for st in problem_statements(hit.item)), (quoted, hit.item.id)
        assert not re.search(r"\d", re.sub(r"\b(19|20)\d\d\b", "", quoted)), quoted
    assert claims >= 1, text


def test_a_fact_or_a_figure_is_not_a_problem_statement(small_engine: Engine) -> None:
    from langso_search.reasons import problem_statements

    story = small_engine.corpus.get("lai-chau-mien-dong-tiktok")
    assert problem_statements(story) == []  # both its sentences carry figures (16.000 đồng/kg, 10–20kg)
    mixed = story.model_copy(update={"problem": "Thôn 9 có 85 hộ, hơn 300 nhân khẩu, là thôn thuần nông. "
                                                "Năm 2019 bà con còn ít được tiếp cận công nghệ số."})
    assert problem_statements(mixed) == ["Năm 2019 bà con còn ít được tiếp cận công nghệ số"]


def test_a_statement_presupposing_what_the_asker_lacks_is_not_the_same_problem() -> None:
    from langso_search.reasons import content_words, lacked_words

    asker = lacked_words("không có tài khoản ngân hàng mà cần chuyển tiền cho con")
    assert {"tai", "khoan", "ngan", "hang"} & asker
    presupposes = "tự chuyển tiền cho con cháu mà sợ bấm nhầm số tài khoản"
    assert asker & (content_words(presupposes) - lacked_words(presupposes))  # rejected: it has an account
    shares_the_lack = "không có tài khoản ngân hàng nên nhờ hàng xóm chuyển tiền"
    assert not asker & (content_words(shares_the_lack) - lacked_words(shares_the_lack))  # kept
    assert lacked_words("người già không biết dùng điện thoại") == frozenset()  # not knowing how is not lacking
