"""Diacritic restoration: unaccented queries get their marks back; accented text is left alone."""

from __future__ import annotations

import json

import pytest

from langso_search.restore import Restorer, bundled_word_list, syllable_accuracy
from langso_search.search import Engine
from langso_search.text import accent_ratio

from .conftest import DATA


@pytest.fixture(scope="module")
def restorer(full_engine: Engine) -> Restorer:
    return full_engine.built.restorer


@pytest.mark.parametrize(
    ("typed", "restored"),
    [
        ("toi muon ban cam qua mang", "tôi muốn bán cam qua mạng"),
        ("khong co tai khoan ngan hang", "không có tài khoản ngân hàng"),
        ("nguoi gia khong biet lam dich vu cong", "người già không biết làm dịch vụ công"),
        ("tau ca mat lien lac", "tàu cá mất liên lạc"),
    ],
)
def test_restores_common_queries(restorer: Restorer, typed: str, restored: str) -> None:
    assert restorer.restore(typed) == restored


def test_accented_text_is_unchanged(restorer: Restorer) -> None:
    text = "Tôi muốn bán cam qua mạng"
    assert restorer.restore(text) == text


def test_marked_syllables_are_kept_and_unknown_words_too(restorer: Restorer) -> None:
    out = restorer.restore("ban hàng tren Postmart xyzzy")
    assert "hàng" in out and "Postmart" in out and "xyzzy" in out


def test_capitalised_words_keep_their_capital(restorer: Restorer) -> None:
    assert restorer.restore("Nguoi dan Lai Chau").split()[0] == "Người"


def test_syllable_accuracy_on_the_eval_queries(restorer: Restorer) -> None:
    queries = [json.loads(line)["query"] for line in (DATA / "eval" / "queries.jsonl").open(encoding="utf-8")]
    accented = [q for q in queries if accent_ratio(q) >= 0.5]
    accuracy, n = syllable_accuracy(restorer, accented)
    assert n > 2000
    assert accuracy >= 0.85, accuracy


def test_a_model_trained_on_nothing_returns_the_input() -> None:
    empty = Restorer.train([])
    assert empty.restore("toi muon") == "toi muon"


def test_word_list_ships_with_underthesea() -> None:
    assert len(bundled_word_list()) > 30_000
