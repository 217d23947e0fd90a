"""URLs as facts: scheme, lower-cased host without credentials, path, query and the port
the text names (none when it relies on the scheme's default)."""

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
# A network target as scanners and socket tools take it: a name, an IPv4 address or range
# (`10.0.0.0/24`, `10.0.0.1-20`), or an IPv6 literal.
_TARGET = re.compile(
    r"(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_-]{1,63})*\.?"
    r"|\d{1,3}(?:\.[\d*-]{1,7}){3}(?:/\d{1,2})?"
    r"|\[?[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*\]?(?:/\d{1,3})?)"
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


def port_number(text: str) -> int | None:
    """`4444` → 4444; anything that is not one port (`80,443`, `1-1024`, `http`) → None."""
    text = text.strip()
    if not text.isdigit() or len(text) > 5:
        return None
    port = int(text)
    return port if 0 < port < 65536 else None


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
    try:
        port = parts.port
    except ValueError:  # `:99999` or `:http`: the host is still named
        port = None
    return Url(
        method=method.upper(),
        scheme=parts.scheme.lower(),
        host=host.rstrip("."),
        path=parts.path or "/",
        query=parts.query,
        port=port or None,
    )


def target(text: str, scheme: str = "", port: int | None = None) -> Url | None:
    """A host a socket or scanner tool connects to (`10.0.0.1`, `db.internal:5432`,
    `192.168.0.0/24`), as a URL fact without method or path; None if `text` names no host."""
    text = text.strip().lower()
    if has_scheme(text):
        url = parse_url(text, method="")
        if url is not None and port is not None and url.port is None:
            url.port = port
        return url
    host, colon, rest = text.rpartition(":") if text.count(":") == 1 else ("", "", "")
    if colon and port_number(rest) is not None:
        text, port = host, port_number(rest)
    if not text or len(text) > 253 or _TARGET.fullmatch(text) is None:
        return None
    if not any(c.isalpha() or c.isdigit() for c in text):
        return None
    return Url(method="", scheme=scheme, host=text.strip("[]").rstrip("."), path="", port=port)
