"""ASGI middleware of the API: the request-body limit and the response cache."""

from __future__ import annotations

from typing import Any

from .errors import error_response
from .response_cache import ResponseCache

__all__ = ["BodyLimit", "ResponseCache"]


class BodyLimit:
    """ASGI middleware: refuse request bodies over ``max_bytes`` with 413, whether the client sends a
    Content-Length or streams the body in chunks (the chunks are counted as they arrive)."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await self._refuse(scope, receive, send)
            return
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        response = error_response(413, "body_too_large", "Dữ liệu gửi lên quá lớn.",
                                  f"Request body too large (at most {self.max_bytes} bytes).")
        await response(scope, receive, send)
