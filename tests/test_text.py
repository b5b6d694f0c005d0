"""Text: folding, đ, NFC/NFD, tone placement, teencode, and no syllable lost in tokenisation."""

from __future__ import annotations

import unicodedata

import pytest

from langso_search.corpus import load_corpus
from langso_search.index import item_document
from langso_search.text import (
    Tokenizer,
    abbreviations,
    accent_ratio,
    expand_abbreviations,
    fold,
    has_marks,
    learn_compounds,
    nfc,
    normalize,
    syllables,
    word_tokenize,
)

from .conftest import DATA


def test_fold_strips_every_mark_and_maps_d_stroke() -> None:
    assert fold("Đường đến Điện Biên") == "duong den dien bien"
    assert fold("tôi muốn bán cam qua mạng") == "toi muon ban cam qua mang"
    assert fold("ỨNG DỤNG") == "ung dung"


def test_d_stroke_is_not_split_by_unicode_decomposition() -> None:
    # the trap: NFD leaves đ whole, so "strip combining marks" alone would keep it
    assert unicodedata.decomposition("đ") == ""
    assert "đ" not in fold("đ")


def test_nfd_and_nfc_fold_and_normalise_the_same() -> None:
    composed = "Hệ thống tiêm chủng"
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    assert nfc(decomposed) == composed
    assert fold(decomposed) == fold(composed)
    assert normalize(decomposed) == normalize(composed)


@pytest.mark.parametrize(("old", "new"), [("hoà", "hòa"), ("thuỷ", "thủy"), ("khoẻ", "khỏe"), ("Hoá", "Hóa")])
def test_tone_placement_is_normalised(old: str, new: str) -> None:
    assert old != new
    assert normalize(old) == new


def test_normalise_removes_control_characters_and_collapses_spaces() -> None:
    assert normalize("  bán\x00cam \t qua   mạng ") == "bán cam qua mạng"
    assert normalize("\x00\x01  ") == ""


def test_has_marks_and_accent_ratio() -> None:
    assert has_marks("đi") and has_marks("bán") and not has_marks("ban")
    assert accent_ratio("toi muon ban cam") == 0.0
    assert accent_ratio("tôi muốn bán cam") == pytest.approx(0.75)
    assert accent_ratio("😀") == 0.0


@pytest.mark.parametrize(
    ("typed", "expanded"),
    [
        ("ko có tk ngân hàng", "không có tài khoản ngân hàng"),
        ("mk muốn bán hàng dc ko", "mình muốn bán hàng được không"),
        ("e ko bt dùng đt", "em không biết dùng điện thoại"),
        ("ib mình nhé", "nhắn tin mình nhé"),
        ("Ko có TK", "không có tài khoản"),
    ],
)
def test_teencode_expansion(typed: str, expanded: str) -> None:
    assert expand_abbreviations(typed) == expanded


def test_teencode_only_replaces_whole_tokens() -> None:
    assert expand_abbreviations("kokoro khoai") == "kokoro khoai"
    assert abbreviations()["đc"] == "được"


def test_underthesea_tokeniser_keeps_every_syllable_of_the_corpus() -> None:
    corpus = load_corpus(DATA)
    checked = 0
    for item in corpus.items:
        text = item_document(item)
        words = word_tokenize(text)
        assert [s for w in words for s in syllables(w)] == syllables(text), item.id
        checked += len(syllables(text))
    assert checked > 10_000


def test_lexical_tokens_keep_every_syllable_and_add_compounds() -> None:
    tokenizer = Tokenizer(learn_compounds(["Bà con bán hàng qua sàn thương mại điện tử."]))
    tokens = tokenizer.tokens("bà con muốn bán hàng trên sàn thương mại điện tử")
    assert tokens[:11] == ["ba", "con", "muon", "ban", "hang", "tren", "san", "thuong", "mai", "dien", "tu"]
    assert "ba_con" in tokens and "thuong_mai_dien_tu" in tokens
    # the same words typed without marks or in capitals give the same folded tokens
    assert tokenizer.tokens("BA CON MUON BAN HANG TREN SAN THUONG MAI DIEN TU") == tokenizer.tokens(
        "bà con muốn bán hàng trên sàn thương mại điện tử", accented=False
    )
    # and the accented view keeps the marked syllables apart
    assert "~bán" in tokens and "~bạn" not in tokens and "~con" not in tokens


def test_syllables_drop_punctuation_and_emoji() -> None:
    assert syllables("Bán cam 🍊, giá 20.000đ!") == ["bán", "cam", "giá", "20", "000đ"]
