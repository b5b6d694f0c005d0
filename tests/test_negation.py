"""Negated needs: what a query says is missing, and which items say they work without it."""

from __future__ import annotations

import json

import numpy as np

from langso_search.documents import item_document
from langso_search.negation import LackIndex, lacked_phrases, lacked_words, same_lack
from langso_search.search import Engine
from langso_search.settings import ROOT
from langso_search.text import expand_abbreviations, normalize


def _lacks(text: str) -> tuple[tuple[str, ...], ...]:
    return lacked_phrases(normalize(expand_abbreviations(normalize(text))))


def test_negated_needs_are_found_up_to_the_clause_or_a_function_word() -> None:
    assert _lacks("ko co tk ngan hang thi chuyen tien cho con kieu gi") == (("tai", "khoan", "ngan", "hang"),)
    assert _lacks("chưa mở tài khoản ngân hàng, trả tiền điện") == (("tai", "khoan", "ngan", "hang"),)
    assert _lacks("không bắt buộc có điện thoại thông minh nên hợp") == (("dien", "thoai", "thong", "minh"),)
    assert _lacks("hông có tài khoản ngân hàng") == (("tai", "khoan", "ngan", "hang"),)  # Southern "hông"
    assert _lacks("đi chợ không mang tiền mặt, cũng không có app ngân hàng") == (
        ("tien", "mat"), ("ung", "dung", "ngan", "hang"))


def test_what_is_not_a_negated_need() -> None:
    assert _lacks("đồng bào dân tộc thiểu số") == ()  # "thiểu", not "thiếu"
    assert _lacks("vải thiều Thanh Hà") == ()
    assert _lacks("ruộng thiếu nước, lúa yếu") == (("nuoc",),)
    assert _lacks("mổ lợn xong không có ai mua") == ()  # nobody is not a thing one lacks
    assert _lacks("cài VNeID rồi mà không biết dùng") == ()  # not knowing how is not lacking
    # marks decide the boundary: "mã" (code) is the need, "mà" (but) ends it
    assert _lacks("vườn chưa có mã số vùng trồng thì xuất khẩu sao được") == (("ma", "so", "vung", "trong"),)
    assert _lacks("không có ví mà vẫn muốn nhận tiền") == (("vi",),)
    assert lacked_words("không có tài khoản ngân hàng mà cần chuyển tiền") == {"tai", "khoan", "ngan", "hang"}


def test_an_item_states_the_same_lack_with_its_head_and_most_of_its_words() -> None:
    need = ("tai", "khoan", "ngan", "hang")
    assert same_lack(need, ("mo", "tai", "khoan", "ngan", "hang"))  # "không cần mở tài khoản ngân hàng"
    assert not same_lack(need, ("tai", "khoan", "dinh", "danh"))  # "không có tài khoản định danh"
    assert not same_lack(need, ("ngan", "hang", "gan", "nha"))  # "không có ngân hàng gần nhà": no head


def test_mobile_money_items_state_that_they_need_no_bank_account(small_engine: Engine) -> None:
    index = LackIndex.of([item_document(item) for item in small_engine.items])
    states = index.states((("tai", "khoan", "ngan", "hang"),))
    stating = {small_engine.items[i].id for i in np.flatnonzero(states)}
    assert {"viettel-money", "vnpt-money"} <= stating
    assert not stating & {"postmart", "vneid", "dichvucong", "zalo"}
    assert not index.states(()).any()
    assert set(index.stating) == {row for row, lacks in enumerate(index.stated) if lacks}


def test_an_analysed_query_carries_its_lacked_words(small_engine: Engine) -> None:
    q = small_engine.analyse("ko co tk ngan hang thi chuyen tien cho con kieu gi")
    assert q.lacked_words == lacked_words(q.restored) == {"tai", "khoan", "ngan", "hang"}


def test_states_equal_the_same_lack_loop_on_the_real_corpus(full_engine: Engine) -> None:
    """The postings in LackIndex.states give what checking same_lack on every stated phrase gives."""
    index = LackIndex.of([item_document(item) for item in full_engine.items])
    queries = [json.loads(line)["query"] for line in (ROOT / "data/eval/negation.jsonl").read_text(encoding="utf-8").splitlines()]
    needs_seen = 0
    for text in [*queries, "ko co tk ngan hang", "không cần điện thoại thông minh", "thiếu nước tưới"]:
        needs = full_engine.analyse(text).lacks
        expected = np.array([any(same_lack(n, s) for n in needs for s in stated) for stated in index.stated])
        assert np.array_equal(index.states(needs), expected), text
        needs_seen += bool(needs) and expected.any()
    assert needs_seen >= 10


def test_the_build_stores_what_each_item_negates(small_engine: Engine) -> None:
    """Found once at build time (lexical.json "lacks"), loaded as it was found."""
    assert small_engine.built.lacks == LackIndex.of([item_document(item) for item in small_engine.items])
    assert small_engine.built.lacks.stating
