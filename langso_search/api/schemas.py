"""Request and response models of the API, and the OpenAPI facts of its query parameters.

Limits come from :class:`~langso_search.settings.Settings` and the controlled vocabularies of
:mod:`langso_search.vocab`, never typed by hand. Filters accept any accent/case spelling of a value
("Tay Bac" = "Tây Bắc"); the schema lists the canonical spellings (and the empty string: no filter).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..corpus import province_names
from ..settings import Settings
from ..vocab import AUDIENCES, REGIONS, SECTORS, TERRAINS

ITEM_TYPES: tuple[str, ...] = ("story", "platform")
MAX_QUERY_CHARS: int = Settings.model_fields["max_query_chars"].default
MAX_K: int = Settings.model_fields["max_k"].default
# A text the engine can search: at least two letters (``check_text``), no U+FFFD (undecodable input).
LETTERS_PATTERN = "^[^\ufffd]*[^\\W\\d_][^\ufffd]*[^\\W\\d_][^\ufffd]*$"
BLANK_PATTERN = r"^\s*$"


def provinces() -> list[str]:
    return sorted(set(province_names().values()))


def choice_schema(values: tuple[str, ...] | list[str], blank: bool = True) -> dict[str, Any]:
    """One of ``values`` (any accent/case spelling is accepted too); blank means no filter."""
    one_of: dict[str, Any] = {"type": "string", "enum": list(values)}
    return {"anyOf": [one_of, {"type": "string", "pattern": BLANK_PATTERN}]} if blank else one_of


def text_schema(max_chars: int) -> dict[str, Any]:
    return {"type": "string", "minLength": 2, "maxLength": max_chars, "pattern": LETTERS_PATTERN}


class PlatformRef(BaseModel):
    id: str
    name: str


class SearchHit(BaseModel):
    id: str
    type: Literal["story", "platform"]
    title: str
    summary: str
    score: float
    snippet: str = Field(description="HTML-escaped text; matched terms wrapped in <mark>")
    sectors: list[str]
    platform_ids: list[str] | None = None
    province: str | None = None
    url: str | None = None
    explain: dict[str, float] | None = None
    platforms: list[PlatformRef] | None = Field(None, description="A story's platforms with their names")


class Alternative(BaseModel):
    text: str = Field(description="Another reading of an unaccented query (n-best restoration)")
    probability: float


class SearchResponse(BaseModel):
    query: str
    restored_query: str
    alternatives: list[Alternative] = Field(default_factory=list)
    exact: bool = False
    no_match: bool = False
    confidence: float = 1.0
    total: int = 0
    offset: int = 0
    took_ms: float
    results: list[SearchHit]
    facets: dict[str, dict[str, int]]


class HowToPlatform(BaseModel):
    id: str
    name: str
    how_to_start: list[str]
    operator: str
    url: str | None = None
    cost: str | None = None


class HowToResponse(BaseModel):
    suggested: bool = Field(description="True when the story used no platform: the engine's closest fit")
    reason: str | None = None
    platforms: list[HowToPlatform]


class RecommendHit(SearchHit):
    reason: str


class RecommendResponse(BaseModel):
    stories: list[RecommendHit]
    platforms: list[RecommendHit]
    no_match: bool = False  # the text fits nothing in the corpus (without profile or item: no hits)
    confidence: float = 1.0  # in [0, 1]: how sure the engine is that the text has an answer here


def _vocab_list(values: tuple[str, ...]) -> Any:
    return Field(default_factory=list, max_length=len(values),
                 json_schema_extra={"items": choice_schema(values)})


def _profile_schema(schema: dict[str, Any]) -> None:
    """A profile counts when one of its fields holds a value (an empty profile is no profile)."""
    filled = {"province": {"type": "string", "enum": provinces()},
              "region": {"type": "string", "enum": list(REGIONS)},
              "ethnic_groups": {"type": "array", "contains": {"type": "string", "pattern": r"\S"}}}
    filled.update({name: {"type": "array", "minItems": 1} for name in ("terrain", "sectors", "audiences")})
    schema["x-filled"] = {"anyOf": [{"required": [k], "properties": {k: v}} for k, v in filled.items()]}


class ProfileIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=_profile_schema)
    province: str | None = Field(None, max_length=100, json_schema_extra={
        "anyOf": [{"type": "string", "enum": provinces() + [""]}, {"type": "null"}]})
    region: str | None = Field(None, max_length=100, json_schema_extra={
        "anyOf": [choice_schema(REGIONS), {"type": "null"}]})
    terrain: list[str] = _vocab_list(TERRAINS)
    ethnic_groups: list[str] = Field(default_factory=list, max_length=20)
    sectors: list[str] = _vocab_list(SECTORS)
    audiences: list[str] = _vocab_list(AUDIENCES)


def _recommend_schema(schema: dict[str, Any]) -> None:
    """At least one of ``text`` (with words), ``item_id`` or a filled ``profile``."""
    profile = ProfileIn.model_json_schema(ref_template="#/components/schemas/{model}")["x-filled"]
    schema["anyOf"] = [
        {"required": ["text"], "properties": {"text": text_schema(MAX_QUERY_CHARS)}},
        {"required": ["item_id"], "properties": {"item_id": {"type": "string"}}},
        {"required": ["profile"], "properties": {"profile": {"type": "object", **profile}}},
    ]


class RecommendRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=_recommend_schema)
    text: str | None = Field(None, max_length=MAX_QUERY_CHARS, json_schema_extra={"anyOf": [
        text_schema(MAX_QUERY_CHARS), {"type": "string", "pattern": BLANK_PATTERN}, {"type": "null"}]})
    item_id: str | None = Field(None, max_length=200)
    profile: ProfileIn | None = None
    k: int = Field(5, ge=1, le=50)


class ItemsResponse(BaseModel):
    total: int
    items: list[dict[str, Any]]


class ReadyResponse(BaseModel):
    ready: bool
    model_id: str | None = None
    corpus_hash: str | None = None
    built_at: str | None = None
    dense_kind: str | None = None
    counts: dict[str, int] = Field(default_factory=dict)
    build_id: str | None = Field(None, description="The index build served; replicas agree when they serve the same")
    pid: int | None = Field(None, description="The worker process that answered")
    encoder: dict[str, Any] = Field(default_factory=dict, description="OpenMP settings and micro-batching counters")
    analytics: dict[str, Any] | None = Field(None, description="Event log: on/off, writer state, written, dropped")
    error: str | None = None
