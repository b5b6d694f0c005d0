"""The public analytics endpoints: ``POST /api/events`` (a result opened, a source followed) and
``POST /api/feedback`` (👍/👎). Both answer 204 at once: the event is only queued."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from ...errors import ApiError
from .hooks import recorder_of

SESSION = r"^[A-Za-z0-9_-]{8,64}$"
ERROR_DOC = {"description": "Bad input", "content": {"application/json": {"schema": {
    "type": "object", "properties": {"error": {"type": "object", "properties": {
        "code": {"type": "string"}, "message_vi": {"type": "string"}, "message_en": {"type": "string"}}}}}}}}
ANSWERS: dict[int | str, dict[str, Any]] = {400: ERROR_DOC, 413: {**ERROR_DOC, "description": "Body too large"},
                                            422: {**ERROR_DOC, "description": "Invalid event or unknown item"}}


def _integral(value: Any) -> Any:
    """JSON Schema's "integer" includes 3.0: a float with no fraction is that integer (bool stays refused)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


class EventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["open", "source"] = Field("open", description="open: a result was opened; source: a source link")
    item_id: str = Field(min_length=1, max_length=200)
    rank: Annotated[int | None, BeforeValidator(_integral)] = Field(
        None, ge=1, le=10_000, strict=True, description="1 = first result (true/false and \"3\" are refused; 3.0 is 3)")
    query: str | None = Field(None, max_length=2000)
    session: str | None = Field(None, pattern=SESSION, description="Random id of one browser tab")


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    query: str = Field(min_length=1, max_length=2000)
    helpful: bool = Field(strict=True, description="true: it helped; false: it did not (0/1 are refused)")
    item_id: str | None = Field(None, max_length=200)
    comment: str | None = Field(None, max_length=500)
    session: str | None = Field(None, pattern=SESSION)


def _check_item(request: Request, item_id: str | None) -> None:
    holder = getattr(request.app.state, "holder", None)
    engine = getattr(holder, "engine", None)
    if item_id is not None and engine is not None and engine.corpus.get(item_id) is None:
        raise ApiError(422, "unknown_item", f"Không có mục “{item_id}”.", f"Unknown item id {item_id!r}.")


router = APIRouter()


@router.post("/api/events", status_code=204, response_class=Response, responses=ANSWERS, tags=["analytics"])
def post_event(event: EventIn, request: Request) -> Response:
    """A result opened or a source link followed on the page (no IP, no cookie: only a random tab id)."""
    _check_item(request, event.item_id)
    rec = recorder_of(request)
    if rec is not None:
        rec.record("click", {"kind": event.type, "item_id": event.item_id, "rank": event.rank,
                             "query": event.query, "session": event.session})
    return Response(status_code=204)


@router.post("/api/feedback", status_code=204, response_class=Response, responses=ANSWERS, tags=["analytics"])
def post_feedback(feedback: FeedbackIn, request: Request) -> Response:
    """“Câu trả lời này có giúp được bạn không?” 👍/👎 with an optional comment (≤ 500 characters)."""
    _check_item(request, feedback.item_id)
    rec = recorder_of(request)
    if rec is not None:
        rec.record("feedback", feedback.model_dump())
    return Response(status_code=204)
