"""Documents: the item → text templates (passages to embed, the lexical document, the title text).

One template per item type, chosen by ``item.type``; the index and the snippets read items only
through these functions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .corpus import Item, Platform, Story
from .text import nfc, normalize


@dataclass(frozen=True, slots=True)
class Passage:
    """A piece of an item that is embedded on its own (a title, a summary, one problem line …)."""

    item_id: str
    kind: str
    text: str


def _platform_passages(item: Platform) -> list[Passage]:
    return [
        Passage(item.id, "title", f"{item.name}. {'; '.join(item.aliases)}"),
        Passage(item.id, "summary", f"{item.name}: {item.summary}"),
        *(Passage(item.id, "problem", f"{item.name} giúp khi {p}") for p in item.problems),
        Passage(item.id, "steps", f"Cách bắt đầu dùng {item.name}: " + " ".join(item.how_to_start)),
    ]


def _story_passages(item: Story) -> list[Passage]:
    loc = item.location
    where = ", ".join(x for x in (loc.commune, loc.district, loc.former_province, loc.province) if x)
    profile = (
        f"{item.title}. Địa bàn: {where}, vùng {loc.region}, {', '.join(loc.terrain)}."
        + (f" Đồng bào {', '.join(item.ethnic_groups)}." if item.ethnic_groups else "")
        + f" Lĩnh vực: {', '.join(item.sectors)}."
    )
    return [
        Passage(item.id, "title", item.title),
        Passage(item.id, "profile", profile),
        Passage(item.id, "problem", item.problem),
        Passage(item.id, "approach", item.approach),
        Passage(item.id, "result", item.result),
        Passage(item.id, "lessons", " ".join(item.lessons)),
    ]


def _platform_parts(item: Platform) -> list[str]:
    return [item.name, *item.aliases, item.operator, item.summary, *item.problems, *item.how_to_start,
            *item.sectors, *item.audiences]


def _story_parts(item: Story) -> list[str]:
    loc = item.location
    return [item.title, item.problem, item.approach, item.result, *item.lessons, *item.tools,
            *(p.name for p in item.people), *(p.role for p in item.people),
            *(x for x in (loc.commune, loc.district, loc.former_province, loc.province, loc.region) if x),
            *loc.terrain, *item.ethnic_groups, *item.sectors, *item.audiences]


_TITLES: dict[str, Callable[[Any], str]] = {"platform": lambda p: " ".join([p.name, *p.aliases]),
                                             "story": lambda s: s.title}
_PASSAGES: dict[str, Callable[[Any], list[Passage]]] = {"platform": _platform_passages, "story": _story_passages}
_PARTS: dict[str, Callable[[Any], list[str]]] = {"platform": _platform_parts, "story": _story_parts}


def item_passages(item: Item) -> list[Passage]:
    """The passages of one item; problem lines carry the item's name so they read on their own."""
    return [Passage(p.item_id, p.kind, normalize(p.text)) for p in _PASSAGES[item.type](item)]


def item_document(item: Item, display: bool = False) -> str:
    """All searchable text of an item in one string.

    Normalised (tone placement, padded punctuation) for matching; with ``display`` only NFC, so
    snippets read exactly as the item was written.
    """
    parts = _PARTS[item.type](item)
    if display:
        return nfc(". ".join(p.rstrip(". ") for p in parts if p))
    return normalize(" . ".join(parts))


def title_text(item: Item) -> str:
    """The title and aliases: what the title boost of the lexical retriever matches."""
    return _TITLES[item.type](item)
