"""Repeated /api/search requests are replayed from cached bytes; other engines never see them."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient


def test_repeat_is_replayed_byte_for_byte(app: FastAPI) -> None:
    with TestClient(app) as client:
        params = {"q": "bán bắp cải qua mạng bị ép giá", "k": 3}
        first = client.get("/api/search", params=params)
        second = client.get("/api/search", params=params)
        assert first.status_code == second.status_code == 200
        assert "x-langso-cache" not in first.headers and second.headers["x-langso-cache"] == "hit"
        assert second.content == first.content  # the same body (took_ms of the first computation)
        other = client.get("/api/search", params={**params, "k": 4})  # another query string: computed
        assert "x-langso-cache" not in other.headers and len(other.json()["results"]) >= len(first.json()["results"])


def test_errors_and_other_engines_are_not_replayed(app: FastAPI) -> None:
    with TestClient(app) as client:
        for _ in range(2):
            bad = client.get("/api/search", params={"q": "vneid", "k": 0})
            assert bad.status_code == 422 and "x-langso-cache" not in bad.headers
        params = {"q": "tàu cá ra khơi theo dõi vị trí", "k": 2}
        client.get("/api/search", params=params)
        holder = app.state.holder
        serving = holder.engine
        try:
            holder.engine = type(serving)(serving.corpus, serving.built, serving.embedder, serving.settings)
            fresh = client.get("/api/search", params=params)  # a swapped engine (new build): computed again
            assert "x-langso-cache" not in fresh.headers
        finally:
            holder.engine = serving
