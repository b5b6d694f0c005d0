"""Dependencies of the routes: the settings and engine the app was made with (both on ``app.state``).

They are ``async``: plain attribute reads, so FastAPI calls them on the event loop instead of sending
each one to its thread pool (three thread hops per search before).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ..pipeline import EngineHolder
from ..search import Engine
from ..settings import Settings
from .errors import ApiError


async def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_holder(request: Request) -> EngineHolder:
    return request.app.state.holder


async def get_engine(holder: Annotated[EngineHolder, Depends(get_holder)]) -> Engine:
    engine = holder.engine
    if engine is None:
        raise ApiError(503, "not_ready", "Chỉ mục chưa sẵn sàng, vui lòng thử lại sau ít phút.",
                       f"The index is not ready: {holder.error or 'still loading'}")
    return engine


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
HolderDep = Annotated[EngineHolder, Depends(get_holder)]
EngineDep = Annotated[Engine, Depends(get_engine)]
