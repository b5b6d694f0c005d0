"""``POST /api/recommend``: related stories and platforms for a problem, an item and/or a commune profile."""

from __future__ import annotations

from fastapi import APIRouter, Request

from ...recommend import Profile, UnknownItem, recommend
from ...settings import Settings
from ...vocab import AUDIENCES, REGIONS, SECTORS, TERRAINS
from ..checks import check_choice, check_province, check_text
from ..convert import recommend_response
from ..deps import EngineDep, SettingsDep
from ..errors import ERRORS, ApiError, unknown_item
from ..schemas import ProfileIn, RecommendRequest, RecommendResponse
from .analytics import record_recommend


def profile_of(p: ProfileIn | None) -> Profile:
    """The engine's profile, every controlled value checked (any accent/case spelling)."""
    if p is None:
        return Profile()
    for values, vocab, name in ((p.terrain, TERRAINS, "terrain"), (p.sectors, SECTORS, "sectors"),
                                (p.audiences, AUDIENCES, "audiences")):
        for v in values:
            check_choice(v, vocab, name)
    return Profile(
        province=check_province(p.province), region=check_choice(p.region, REGIONS, "region"),
        terrain=p.terrain, ethnic_groups=[e.strip() for e in p.ethnic_groups if e.strip()][:20],
        sectors=p.sectors, audiences=p.audiences,
    )


def router(settings: Settings) -> APIRouter:
    api = APIRouter()

    @api.post("/api/recommend", response_model=RecommendResponse, responses=ERRORS, tags=["recommend"])
    def recommend_route(
        body: RecommendRequest, engine: EngineDep, settings: SettingsDep, request: Request
    ) -> RecommendResponse:
        """Related stories and platforms for an item, a problem and/or a commune profile, with reasons."""
        profile = profile_of(body.profile)
        text = body.text if body.text and body.text.strip() else None
        if text is not None:
            check_text(text, settings, "text")
        if text is None and body.item_id is None and profile.is_empty():
            raise ApiError(422, "nothing_to_recommend", "Hãy nhập vấn đề, chọn một mục hoặc mô tả xã của bạn.",
                           "Give a text, an item_id or a profile.")
        try:
            rec = recommend(engine, text=text, item_id=body.item_id, profile=profile, k=body.k)
        except UnknownItem:
            raise unknown_item(body.item_id) from None
        response = recommend_response(rec, engine)
        record_recommend(request, body, response)
        return response

    return api
