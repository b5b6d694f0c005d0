"""The web page and the files of ``static/`` (last: ``/{filename}`` catches every other one-segment path)."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ...corpus import province_names
from ...settings import Settings
from ...vocab import AUDIENCES, REGIONS, SECTORS, TERRAINS
from ...webassets import StaticAssets
from ..errors import not_found

STATIC = Path(__file__).parents[2] / "static"


def router(settings: Settings) -> APIRouter:
    api = APIRouter(include_in_schema=False)
    # the controlled values the page's selects offer, placed in index.html (no request for them on load)
    vocab = {"sector": SECTORS, "region": REGIONS, "terrain": TERRAINS, "audience": AUDIENCES,
             "province": sorted(set(province_names().values()))}
    assets = StaticAssets(STATIC, json.dumps(vocab, ensure_ascii=False, separators=(",", ":")))

    @api.get("/")
    def index_page(request: Request) -> Response:
        response = assets.response("index.html", request)
        if response is None:
            raise not_found()
        return response

    @api.get("/{filename}")
    def static_file(filename: str, request: Request) -> Response:
        """Files of ``static/`` by bare name only: no folder, no way out of it."""
        response = assets.response(filename, request)
        if response is None:
            raise not_found()
        return response

    return api
