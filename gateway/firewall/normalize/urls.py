"""URLs as facts: scheme, lower-cased host without port or credentials, path, query."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from gateway.models import Url

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]{0,30}://")
# A bare host as curl and httpie accept it: `example.com/x`, `localhost:8080`, `10.0.0.1`.
_BARE_HOST = re.compile(
    r"(?:[A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,63}\.?(?::\d{1,5})?(?:[/?#]\S*)?"
    r"|localhost(?::\d{1,5})?(?:[/?#]\S*)?"
    r"|\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?(?:[/?#]\S*)?"
)
HTTP_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"}
)


def has_scheme(text: str) -> bool:
    return _SCHEME.match(text) is not None


def looks_like_url(text: str) -> bool:
    """A whole word that is a URL with a scheme, or a bare host a fetcher would accept."""
    if not text or any(c.isspace() for c in text):
        return False
    return has_scheme(text) or _BARE_HOST.fullmatch(text) is not None


def parse_url(text: str, method: str = "GET", default_scheme: str = "http") -> Url | None:
    """The URL fact for `text`, or None when it names no host."""
    text = text.strip()
    if not text or len(text) > 8192:
        return None
    if not has_scheme(text):
        if text.startswith("//"):
            text = f"{default_scheme}:{text}"
        elif _BARE_HOST.fullmatch(text):
            text = f"{default_scheme}://{text}"
        else:
            return None
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
    except ValueError:
        return None
    if not host:
        return None
    return Url(
        method=method.upper(),
        scheme=parts.scheme.lower(),
        host=host.rstrip("."),
        path=parts.path or "/",
        query=parts.query,
    )
