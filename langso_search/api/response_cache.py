"""Repeated searches answered from cached response bytes, before FastAPI parses anything.

A citizen's page, a shared link or the widget repeat the same ``/api/search?…`` many times. The
engine already caches results, but FastAPI still parses and validates the parameters and
serialises the answer again (≈ 1–3 ms). This ASGI middleware keeps the bytes of successful answers,
keyed on the served index build and the exact query string, and replays them as they are: the same
body, including the ``took_ms`` of the first computation, with ``x-langso-cache: hit``. A new build
(another engine) never sees the old bytes.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from cachetools import LRUCache

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

CACHED_PATHS = frozenset({"/api/search"})


class ResponseCache:
    """ASGI middleware; ``engine_key()`` names the engine serving now (answers are cached per engine)."""

    def __init__(
        self, app: Any, engine_key: Callable[[], object], size: int = 2048,
        on_hit: Callable[[Scope, object], None] | None = None,
    ) -> None:
        self.app = app
        self.engine_key = engine_key
        self.on_hit = on_hit  # e.g. analytics: a replayed answer is still a search someone made
        self._cache: LRUCache[tuple[object, bytes], tuple[list[tuple[bytes, bytes]], bytes, object]] = LRUCache(size)
        self._lock = threading.Lock()
        self.hits = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"] not in CACHED_PATHS:
            await self.app(scope, receive, send)
            return
        key = (self.engine_key(), scope.get("query_string", b""))
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None:
            self.hits += 1
            headers, body, context = cached
            await send({"type": "http.response.start", "status": 200,
                        "headers": [*headers, (b"x-langso-cache", b"hit")]})
            await send({"type": "http.response.body", "body": body})
            if self.on_hit is not None:
                self.on_hit(scope, context)
            return
        await self.app(scope, receive, self._recorder(key, scope, send))

    def _recorder(self, key: tuple[object, bytes], scope: Scope, send: Send) -> Send:
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body") and start.get("status") == 200 and key[0] is not None:
                    context = scope.get("state", {}).get("cache_context")  # what the route left for on_hit
                    with self._lock:
                        self._cache[key] = (list(start.get("headers", [])), b"".join(chunks), context)
            await send(message)

        return wrapped
