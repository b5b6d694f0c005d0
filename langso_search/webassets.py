"""The page's static files: content-hash ETags, 304s, and fingerprinted script/style references.

``index.html`` is served with its ``app.js`` / ``style.css`` / ``feedback.js`` references rewritten to
``app.js?v=<hash>``; a request carrying the current hash is cached for a year (``immutable``), the page
itself is revalidated on every visit (``no-cache`` + ETag → a 304 of a few bytes on a slow line).
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
from dataclasses import dataclass
from pathlib import Path

from fastapi import Request
from fastapi.responses import Response

STATIC = Path(__file__).parent / "static"
_REF = re.compile(r'(src|href)="/?([\w-]+\.(?:js|css))"')
YEAR = "public, max-age=31536000, immutable"
SHORT = "public, max-age=300"
TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
         ".html": "text/html; charset=utf-8", ".png": "image/png", ".svg": "image/svg+xml"}


@dataclass(frozen=True)
class Asset:
    body: bytes
    etag: str
    media_type: str
    mtime: float


def _media_type(path: Path) -> str:
    return TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


class StaticAssets:
    """Files of one folder, by bare name only (no sub-folder, no way out), re-read when they change."""

    def __init__(self, folder: Path = STATIC, page_data: str = "{}") -> None:
        self.folder = folder
        self.page_data = page_data.replace("</", "<\\/")  # JSON placed in index.html (never closes its <script>)
        self._cache: dict[str, Asset] = {}

    def names(self) -> dict[str, Path]:
        return {p.name: p for p in self.folder.iterdir() if p.is_file()} if self.folder.is_dir() else {}

    def get(self, name: str) -> Asset | None:
        names = self.names()
        path = names.get(name)
        if path is None:
            return None
        # the page embeds the other files' hashes: it changes when any of them does
        mtime = max(p.stat().st_mtime for p in names.values()) if name == "index.html" else path.stat().st_mtime
        cached = self._cache.get(name)
        if cached is not None and cached.mtime == mtime:
            return cached
        body = path.read_bytes()
        if name == "index.html":
            html = self._fingerprint(body.decode("utf-8")).replace("{/*PAGE_DATA*/}", self.page_data)
            body = html.encode("utf-8")
        asset = Asset(body, '"' + hashlib.sha256(body).hexdigest()[:16] + '"', _media_type(path), mtime)
        self._cache[name] = asset
        return asset

    def version(self, name: str) -> str | None:
        asset = None if name == "index.html" else self.get(name)
        return asset.etag.strip('"')[:10] if asset else None

    def _fingerprint(self, html: str) -> str:
        def ref(m: re.Match[str]) -> str:
            version = self.version(m.group(2))
            return f'{m.group(1)}="/{m.group(2)}?v={version}"' if version else m.group(0)

        return _REF.sub(ref, html)

    def response(self, name: str, request: Request) -> Response | None:
        """The file (or a 304 when the client's copy is current), with its cache policy."""
        asset = self.get(name)
        if asset is None:
            return None
        if name == "index.html":
            # the page names fingerprinted assets: re-check it each visit, but the 304 costs a few bytes
            cache = "no-cache"
        else:
            cache = YEAR if request.query_params.get("v") == self.version(name) else SHORT
        headers = {"ETag": asset.etag, "Cache-Control": cache}
        if asset.etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        return Response(asset.body, media_type=asset.media_type, headers=headers)
