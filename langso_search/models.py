"""Models: the schema of platforms and stories, each field validated, and what each type says about itself
(its summary, facets, name forms, linked items). :mod:`langso_search.corpus` loads them from ``data/``.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .text import fold, syllables
from .vocab import AUDIENCES, REGIONS, SECTORS, TERRAINS

if TYPE_CHECKING:
    from .corpus import Corpus

ItemType = Literal["story", "platform"]
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*\.[^\s]+$")


# ---------------------------------------------------------------------------- controlled values


@lru_cache(maxsize=1)
def province_names() -> dict[str, str]:
    """Map every accepted spelling of a post-2025 province to its short canonical name.

    The 34 provinces come from the ``vietnam-provinces`` package; "Thành phố Hà Nội" and "Hà Nội" are
    both accepted and stored as "Hà Nội".
    """
    from vietnam_provinces import Province

    names: dict[str, str] = {}
    for province in Province.iter_all():
        full = unicodedata.normalize("NFC", province.name)
        short = re.sub(r"^(Thành phố|Tỉnh)\s+", "", full)
        names[full] = short
        names[short] = short
    return names


def _check_nfc(value: Any) -> Any:
    """Refuse text that is not NFC: the same word typed two ways would not match itself."""
    if isinstance(value, str) and unicodedata.normalize("NFC", value) != value:
        raise ValueError("text is not NFC-normalised (run `langso data fix-nfc` or save as NFC)")
    return value


def _in_vocab(values: list[str], vocab: tuple[str, ...], what: str) -> list[str]:
    bad = [v for v in values if v not in vocab]
    if bad:
        raise ValueError(f"unknown {what} {bad!r}; allowed: {', '.join(vocab)}")
    return values


def _urls(values: list[str]) -> list[str]:
    bad = [v for v in values if not _URL.match(v)]
    if bad:
        raise ValueError(f"not an http(s) URL: {bad!r}")
    return values


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    @field_validator("*", mode="before")
    @classmethod
    def _nfc(cls, value: Any) -> Any:
        if isinstance(value, list):
            for v in value:
                _check_nfc(v)
            return value
        return _check_nfc(value)


# ---------------------------------------------------------------------------- schema


class Check(_Strict):
    """What an audit's reading of the sources confirmed, so the next audit can start from there."""

    on: str = Field(pattern=r"^20\d\d-(0[1-9]|1[0-2])$", description="Month of the reading, YYYY-MM")
    read: list[str] = Field(min_length=1, description="URLs actually read")
    claims: list[str] = Field(min_length=1, description="Claims the reading confirmed (short phrases)")
    unreadable: list[str] = Field(default_factory=list, description="Sources that could not be read")
    note: str = ""

    _read = field_validator("read", "unreadable")(lambda cls, v: _urls(v))

    @model_validator(mode="before")
    @classmethod
    def _yaml_on(cls, value: Any) -> Any:
        """YAML 1.1 reads a bare ``on:`` key as the boolean true; accept it as the ``on`` field."""
        if isinstance(value, dict) and True in value and "on" not in value:
            value = {("on" if k is True else k): v for k, v in value.items()}
        return value


class Person(_Strict):
    name: str = Field(min_length=1, description="Name as the source gives it")
    role: str = Field("", description="Role as the source gives it (nông dân, giám đốc HTX …)")


class Location(_Strict):
    province: str = Field(description="Province after the 2025 merger")
    former_province: str | None = Field(None, description="Province before the merger, as the source says")
    district: str | None = None
    commune: str | None = None
    region: str
    terrain: list[str] = Field(min_length=1)

    @field_validator("province")
    @classmethod
    def _province(cls, value: str) -> str:
        names = province_names()
        if value not in names:
            raise ValueError(
                f"{value!r} is not a province after the 2025 merger; allowed: "
                + ", ".join(sorted(set(names.values())))
            )
        return names[value]

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        return _in_vocab([value], REGIONS, "region")[0]

    @field_validator("terrain")
    @classmethod
    def _terrain(cls, value: list[str]) -> list[str]:
        return _in_vocab(value, TERRAINS, "terrain")


class Platform(_Strict):
    id: str
    name: str = Field(min_length=2)
    aliases: list[str] = Field(default_factory=list)
    operator: str = Field(min_length=2)
    sectors: list[str] = Field(min_length=1)
    audiences: list[str] = Field(min_length=1)
    summary: str = Field(min_length=40)
    problems: list[str] = Field(min_length=3, max_length=8)
    how_to_start: list[str] = Field(min_length=1)
    url: str | None = None
    cost: str | None = None
    make_in_vietnam: bool
    sources: list[str] = Field(min_length=1)
    stories: Literal["none yet"] | None = Field(
        None, description="'none yet': no story links this platform yet, on purpose (kept for its own value)"
    )
    checked: Check | None = None

    @property
    def type(self) -> ItemType:
        return "platform"

    @property
    def title(self) -> str:
        return self.name

    @property
    def summary_text(self) -> str:
        """The one paragraph that presents the platform."""
        return self.summary

    def name_forms(self) -> list[tuple[str, ...]]:
        """The name and aliases as folded word tuples ("vo", "so") of 3+ letters, sorted."""
        forms = {tuple(fold(w) for w in syllables(n)) for n in [self.name, *self.aliases]}
        return sorted(f for f in forms if f and len("".join(f)) >= 3)

    def facets(self) -> dict[str, list[str]]:
        """Facet values (a platform has no place)."""
        return {"type": ["platform"], "sector": list(self.sectors), "region": [], "province": [],
                "terrain": [], "audience": list(self.audiences)}

    def linked_ids(self, corpus: Corpus) -> list[str]:
        """Ids of the stories that used this platform."""
        return [s.id for s in corpus.stories_using(self.id)]

    @property
    def used_platform_ids(self) -> list[str] | None:
        """A platform uses no other platform: None (not an empty list)."""
        return None

    @property
    def province(self) -> str | None:
        """A platform has no place."""
        return None

    def howto_platforms(self, corpus: Corpus) -> list[Platform]:
        """The platforms whose first steps tell how to follow this item: the platform itself."""
        return [self]

    _slug = field_validator("id")(lambda cls, v: _slug_check(v))
    _sectors = field_validator("sectors")(lambda cls, v: _in_vocab(v, SECTORS, "sector"))
    _aud = field_validator("audiences")(lambda cls, v: _in_vocab(v, AUDIENCES, "audience"))
    _src = field_validator("sources")(lambda cls, v: _urls(v))

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return None if value is None else _urls([value])[0]


class Story(_Strict):
    id: str
    title: str = Field(min_length=10)
    people: list[Person] = Field(min_length=1)
    location: Location
    ethnic_groups: list[str] = Field(default_factory=list)
    sectors: list[str] = Field(min_length=1)
    audiences: list[str] = Field(default_factory=list)
    year: int | None = Field(None, ge=2000, le=2030, description="Year of the events or of the source")
    problem: str = Field(min_length=20)
    approach: str = Field(min_length=20)
    platform_ids: list[str] = Field(default_factory=list)
    tools: list[str] = Field(default_factory=list)
    result: str = Field(min_length=10)
    lessons: list[str] = Field(min_length=1)
    sources: list[str] = Field(min_length=1)
    checked: Check | None = None

    @property
    def type(self) -> ItemType:
        return "story"

    @property
    def url(self) -> str:
        return self.sources[0]

    @property
    def summary_text(self) -> str:
        """The one paragraph that presents the story: its problem."""
        return self.problem

    def name_forms(self) -> list[tuple[str, ...]]:
        """Stories have no name to match."""
        return []

    def facets(self) -> dict[str, list[str]]:
        """Facet values of the story's place and fields."""
        loc = self.location
        return {"type": ["story"], "sector": list(self.sectors), "region": [loc.region],
                "province": [loc.province], "terrain": list(loc.terrain), "audience": list(self.audiences)}

    def linked_ids(self, corpus: Corpus) -> list[str]:
        """Ids of the platforms the story used."""
        return list(self.platform_ids)

    @property
    def used_platform_ids(self) -> list[str] | None:
        """Ids of the platforms the story used (possibly none)."""
        return list(self.platform_ids)

    @property
    def province(self) -> str | None:
        """The province where the story happened."""
        return self.location.province

    def howto_platforms(self, corpus: Corpus) -> list[Platform]:
        """The platforms whose first steps tell how to follow this item: those the story used that the
        corpus has (empty when it used none)."""
        return [p for p in (corpus.platform(pid) for pid in self.platform_ids) if p is not None]

    _slug = field_validator("id")(lambda cls, v: _slug_check(v))
    _sectors = field_validator("sectors")(lambda cls, v: _in_vocab(v, SECTORS, "sector"))
    _aud = field_validator("audiences")(lambda cls, v: _in_vocab(v, AUDIENCES, "audience"))
    _src = field_validator("sources")(lambda cls, v: _urls(v))


Item = Platform | Story


def item_summary(item: Item) -> str:
    """The one paragraph that presents an item: a platform's summary, a story's problem."""
    return item.summary_text


def _slug_check(value: str) -> str:
    if not _SLUG.match(value):
        raise ValueError(f"id {value!r} must be a lowercase ASCII slug like 'postmart' or 'ban-cam-qua-mang'")
    return value
