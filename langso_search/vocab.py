"""Controlled vocabularies of the corpus: sectors, audiences, regions, terrains, query styles.

The values are Vietnamese labels as they are shown to users. `data check` refuses any value that is
not listed here, so filters and facets always group the same thing under one spelling.
"""

from __future__ import annotations

SECTORS: tuple[str, ...] = (
    "nông nghiệp",
    "chăn nuôi",
    "thủy sản",
    "thương mại điện tử",
    "logistics",
    "thanh toán",
    "tài chính",
    "thuế",
    "dịch vụ công",
    "y tế",
    "bảo hiểm",
    "giáo dục",
    "kỹ năng số",
    "du lịch",
    "làng nghề",
    "văn hóa",
    "truyền thông",
    "quản lý xã",
    "an ninh",
    "truy xuất nguồn gốc",
    "phòng chống thiên tai",
    "chống lừa đảo",
    "môi trường",
)

AUDIENCES: tuple[str, ...] = (
    "người dân",
    "nông dân",
    "HTX",
    "hộ kinh doanh",
    "tiểu thương",
    "doanh nghiệp",
    "người cao tuổi",
    "phụ nữ",
    "thanh niên",
    "học sinh",
    "phụ huynh",
    "giáo viên",
    "người bệnh",
    "nhân viên y tế",
    "cán bộ xã",
    "cán bộ thôn",
    "đảng viên",
    "ngư dân",
    "đồng bào dân tộc thiểu số",
    "du khách",
)

REGIONS: tuple[str, ...] = (
    "Tây Bắc",
    "Đông Bắc",
    "Đồng bằng sông Hồng",
    "Bắc Trung Bộ",
    "Duyên hải Nam Trung Bộ",
    "Tây Nguyên",
    "Đông Nam Bộ",
    "Đồng bằng sông Cửu Long",
)

TERRAINS: tuple[str, ...] = (
    "miền núi",
    "trung du",
    "đồng bằng",
    "ven biển",
    "hải đảo",
    "đô thị",
)

QUERY_STYLES: tuple[str, ...] = (
    "accented",  # full Vietnamese with diacritics
    "unaccented",  # typed without diacritics
    "colloquial",  # teencode, abbreviations, typos
    "long",  # long rambling description
    "official",  # commune-official profile
    "name",  # a platform name, often misspelled
    "dialect",  # Southern / Central / Northern everyday speech (data/eval/dialect.jsonl)
    "out_of_scope",  # nothing in the corpus fits (data/eval/out_of_scope.jsonl): relevant is empty
)

ITEM_TYPES: tuple[str, ...] = ("story", "platform")
