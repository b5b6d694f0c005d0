"""The privacy scrubber on realistic Vietnamese text: personal numbers and addresses become placeholders;
prices, years, quantities and hotlines that editors need to read a query stay."""

from __future__ import annotations

import pytest

from langso_search.analytics.scrub import scrub
from langso_search.text import normalize

REPLACED = [
    # phones: mobile with spaces, dots, dashes, +84, 84; landline; the normaliser's padded form
    ("gọi cho tôi 0912 345 678 nhé", "gọi cho tôi [phone] nhé"),
    ("sdt +84 912345678 bị khóa zalo", "sdt [phone] bị khóa zalo"),
    ("0912.345.678 là số của mẹ em", "[phone] là số của mẹ em"),
    ("liên hệ 0912-345-678 hoặc 84 987 654 321", "liên hệ [phone] hoặc [phone]"),
    ("số bàn ubnd xã 024 3825 1234", "số bàn ubnd xã [phone]"),
    ("nhắn vào 0987 . 654 . 321 giúp", "nhắn vào [phone] giúp"),
    # identity numbers: CCCD (12 digits), CMND (9 digits), with or without spaces
    ("số cccd 001203004567 bị sai ngày sinh", "số cccd [id] bị sai ngày sinh"),
    ("cccd: 001 203 004 567 mất rồi", "cccd: [id] mất rồi"),
    ("cmnd cũ 123456789 có dùng được không", "cmnd cũ [id] có dùng được không"),
    # e-mails
    ("email nguyenvanan.1985@gmail.com quên mật khẩu", "email [email] quên mật khẩu"),
    ("gửi về hoa_lan+hs@ubnd.laocai.gov.vn", "gửi về [email]"),
    # bank accounts: long runs, or shorter ones right after "stk" / "tài khoản"
    ("chuyển khoản vào 0071000123456 vietcombank", "chuyển khoản vào [account] vietcombank"),
    ("stk 1903 5678 9012 techcombank", "stk [account] techcombank"),
    ("số tài khoản: 0912345678 mb bank", "số tài khoản: [account] mb bank"),
    ("stk agribank 12345", "stk agribank 12345"),  # a word between: not taken as the account (short number)
    ("stk 12345 agribank", "stk [account] agribank"),
    # licence plates
    ("xe 29A-123.45 bị phạt nguội", "xe [plate] bị phạt nguội"),
    ("tra biển số 51F12345", "tra biển số [plate]"),
    ("xe máy 59-X1 123.45 mất đăng ký", "xe máy [plate] mất đăng ký"),
    ("ô tô 30E-1234 cũ", "ô tô [plate] cũ"),
]

KEPT = [
    "vay 15.000.000 đồng mua máy bơm",
    "bán 500 kg cam giá 20.000 đ/kg",
    "năm 2024 xã có 1500 hộ nghèo",
    "tổng đài 1900 1234 không ai nghe",
    "đổi cccd 12 số ở đâu",
    "mạng 4G yếu không xem được video",
    "tiêm vaccine covid-19 năm 2021",
    "bà tôi 65 tuổi không biết dùng điện thoại",
    "ban cam qua mang",
]


@pytest.mark.parametrize(("text", "expected"), REPLACED, ids=[t for t, _ in REPLACED])
def test_personal_values_are_replaced(text: str, expected: str) -> None:
    assert scrub(text) == expected


@pytest.mark.parametrize("text", KEPT)
def test_ordinary_numbers_are_kept(text: str) -> None:
    assert scrub(text) == text


@pytest.mark.parametrize(("text", "_"), REPLACED, ids=[t for t, _ in REPLACED])
def test_the_normalised_form_is_scrubbed_too(text: str, _: str) -> None:
    """The restored query is stored as well; the normaliser pads punctuation ("29A-123 . 45")."""
    digits = [c for c in scrub(normalize(text)) or "" if c.isdigit()]
    original = [c for c in scrub(text) or "" if c.isdigit()]
    assert digits == original


def test_empty_and_none() -> None:
    assert scrub("") == "" and scrub(None) is None
