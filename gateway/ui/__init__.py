"""The approver page at `/ui`: hand-written static files, no build step, no CDN.

The page talks only to its own origin's approver API and keeps the approver token in
sessionStorage. It is served under a strict Content-Security-Policy (no inline script or
style), so everything it runs is in the `*.js` modules and its looks are in `app.css`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response

ASSETS = Path(__file__).resolve().parent
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}
# An allowlist, not a directory: nothing else under gateway/ui/ is ever served.
JS = "text/javascript; charset=utf-8"
FILES = {
    "index.html": "text/html; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
    # ES modules: app.js imports the others.
    "app.js": JS,
    "api.js": JS,
    "cards.js": JS,
    "dom.js": JS,
    "queue.js": JS,
    "stream.js": JS,
    "view.js": JS,
}


@dataclass(frozen=True, slots=True)
class _Asset:
    body: bytes
    media_type: str
    etag: str
    cache_control: str

    def respond(self, request: Request) -> Response:
        headers = {**SECURITY_HEADERS, "cache-control": self.cache_control, "etag": self.etag}
        if request.headers.get("if-none-match") == self.etag:
            return Response(status_code=304, headers=headers)
        body = b"" if request.method == "HEAD" else self.body
        headers["content-length"] = str(len(self.body))
        return Response(body, 200, headers, media_type=self.media_type)


def _load(name: str) -> _Asset:
    body = (ASSETS / name).read_bytes()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    # The page itself is never cached: it is where a changed asset is picked up.
    cache = "no-store" if name == "index.html" else "no-cache"
    return _Asset(body, FILES[name], etag, cache)


def install(app: FastAPI) -> None:
    """Serve the page at `/ui` and `/ui/`, and its assets at `/ui/<name>`."""
    assets = {name: _load(name) for name in FILES}

    async def page(request: Request) -> Response:
        return assets["index.html"].respond(request)

    async def asset(request: Request) -> Response:
        found = assets.get(request.path_params["name"])
        if found is None:
            return Response(b"not found", 404, SECURITY_HEADERS, media_type="text/plain")
        return found.respond(request)

    for path in ("/ui", "/ui/"):
        app.add_api_route(path, page, methods=["GET", "HEAD"], include_in_schema=False)
    app.add_api_route("/ui/{name}", asset, methods=["GET", "HEAD"], include_in_schema=False)
