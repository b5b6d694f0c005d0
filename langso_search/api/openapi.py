"""The OpenAPI description, completed with what only the loaded engine knows: the item ids an analytics
event or feedback may name (any other id is refused with 422 ``unknown_item``)."""

from __future__ import annotations

import copy
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

ITEM_ID_FIELDS = (("EventIn", False), ("FeedbackIn", True))


def install_openapi(app: FastAPI) -> None:
    """``app.openapi()`` answers the static description plus the ids of the engine serving now."""
    cache: dict[str, Any] = {}

    def openapi() -> dict[str, Any]:
        if "base" not in cache:
            cache["base"] = get_openapi(title=app.title, version=app.version, description=app.description,
                                        routes=app.routes)
        engine = app.state.holder.engine
        key = None if engine is None else id(engine)
        if cache.get("key") != key or "spec" not in cache:
            cache["key"], cache["spec"] = key, _with_item_ids(cache["base"], engine)
        return cache["spec"]

    app.openapi = openapi  # type: ignore[method-assign]


def _with_item_ids(base: dict[str, Any], engine: Any) -> dict[str, Any]:
    if engine is None:
        return base
    spec = copy.deepcopy(base)
    ids = sorted(engine.corpus.ids)
    schemas = spec.get("components", {}).get("schemas", {})
    for name, nullable in ITEM_ID_FIELDS:
        field = schemas.get(name, {}).get("properties", {}).get("item_id")
        if field is None:
            continue
        described = {"type": "string", "enum": ids}
        schemas[name]["properties"]["item_id"] = (
            {"anyOf": [described, {"type": "null"}], "title": field.get("title")} if nullable
            else {**described, "title": field.get("title")})
    return spec
