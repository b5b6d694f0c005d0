"""Checks of user input the engine needs beyond the schema, each with a bilingual error."""

from __future__ import annotations

from ..corpus import province_names
from ..facets import match_value, value_key
from ..settings import Settings
from ..text import normalize, syllables
from .errors import ApiError


def check_text(text: str, settings: Settings, field: str = "q") -> str:
    """Refuse empty, too long, undecodable or wordless text with a clear bilingual message."""
    if "\ufffd" in text:
        raise ApiError(400, "invalid_encoding", f"Tham số {field} không phải UTF-8 hợp lệ.",
                       f"Parameter {field} is not valid UTF-8.")
    if len(text) > settings.max_query_chars:
        raise ApiError(413, "query_too_long",
                       f"Câu hỏi quá dài (tối đa {settings.max_query_chars} ký tự).",
                       f"The query is too long (at most {settings.max_query_chars} characters).")
    clean = normalize(text)
    if not clean:
        raise ApiError(422, "empty_query", "Vui lòng nhập nội dung cần tìm.", "Please type something to search for.")
    if not syllables(clean):
        raise ApiError(422, "no_words", "Câu hỏi chưa có chữ nào để tìm (chỉ có ký hiệu hoặc biểu tượng).",
                       "The query has no words to search for (only symbols or emoji).")
    if sum(ch.isalpha() for ch in clean) < 2:
        raise ApiError(422, "query_too_short", "Câu hỏi quá ngắn: hãy gõ ít nhất một từ (2 chữ cái trở lên).",
                       "The query is too short: type at least one word (2 letters or more).")
    return text


def check_choice(value: str | None, allowed: tuple[str, ...] | list[str], name: str) -> str | None:
    """The allowed spelling of ``value``, matched accent- and case-insensitively ("Tay Bac" = "Tây Bắc")."""
    if value is None or value.strip() == "":
        return None
    found = match_value(value, allowed)
    if found is None:
        raise ApiError(422, "unknown_filter", f"Giá trị “{value}” của bộ lọc {name} không có trong danh mục.",
                       f"Unknown value {value!r} for filter {name}; allowed: {', '.join(allowed)}")
    return found


def check_province(value: str | None) -> str | None:
    if not value:
        return None
    names = province_names()
    folded = {value_key(k): v for k, v in names.items()}
    if value not in names and value_key(value) not in folded:
        raise ApiError(422, "unknown_filter", f"Không có tỉnh/thành “{value}” (34 tỉnh/thành sau sáp nhập 2025).",
                       f"Unknown province {value!r} (one of the 34 provinces after the 2025 merger).")
    return names.get(value) or folded[value_key(value)]


def check_k(k: int, settings: Settings) -> int:
    if not 1 <= k <= settings.max_k:
        raise ApiError(422, "bad_k", f"k phải từ 1 đến {settings.max_k}.", f"k must be between 1 and {settings.max_k}.")
    return k
