"""gateway/firewall/normalize/urls.py: URL facts."""

from __future__ import annotations

import pytest

from gateway.firewall.normalize.urls import looks_like_url, parse_url, port_number, target
from gateway.models import Url


@pytest.mark.parametrize(
    ("text", "method", "expected"),
    [
        (
            "https://api.stripe.com/v1/customers",
            "POST",
            Url("POST", "https", "api.stripe.com", "/v1/customers"),
        ),
        (
            "HTTPS://API.Example.COM:8443/a?b=1#frag",
            "get",
            Url("GET", "https", "api.example.com", "/a", "b=1", 8443),
        ),
        ("https://user:pw@host.io/x", "GET", Url("GET", "https", "host.io", "/x")),
        ("http://[::1]:8080/", "GET", Url("GET", "http", "::1", "/", port=8080)),
        ("example.com", "GET", Url("GET", "http", "example.com", "/")),
        ("localhost:3000/x", "GET", Url("GET", "http", "localhost", "/x", port=3000)),
        ("https://a.io:99999/x", "GET", Url("GET", "https", "a.io", "/x")),
        ("10.0.0.1/admin", "GET", Url("GET", "http", "10.0.0.1", "/admin")),
        ("//cdn.io/lib.js", "GET", Url("GET", "http", "cdn.io", "/lib.js")),
        ("s3://bucket/key", "", Url("", "s3", "bucket", "/key")),
        ("example.com.", "GET", Url("GET", "http", "example.com", "/")),
        ("not a url", "GET", None),
        ("/just/a/path", "GET", None),
        ("file:///etc/passwd", "GET", None),
        ("http://[bad", "GET", None),
        ("", "GET", None),
    ],
)
def test_parse_url(text: str, method: str, expected: Url | None) -> None:
    assert parse_url(text, method) == expected


@pytest.mark.parametrize(
    ("text", "scheme", "port", "expected"),
    [
        ("10.0.0.1", "tcp", 4444, Url("", "tcp", "10.0.0.1", "", port=4444)),
        ("DB.Internal:5432", "", None, Url("", "", "db.internal", "", port=5432)),
        ("192.168.0.0/24", "", None, Url("", "", "192.168.0.0/24", "")),
        ("10.0.0.1-20", "", None, Url("", "", "10.0.0.1-20", "")),
        ("[::1]", "tcp", 22, Url("", "tcp", "::1", "", port=22)),
        ("fe80::1", "", None, Url("", "", "fe80::1", "")),
        ("https://a.io:8443/x", "tcp", None, Url("", "https", "a.io", "/x", port=8443)),
        ("example.com.", "dns", None, Url("", "dns", "example.com", "")),
        ("not a host", "", None, None),
        ("$(id)", "", None, None),
        ("-", "", None, None),
        ("", "", None, None),
    ],
)
def test_target(text: str, scheme: str, port: int | None, expected: Url | None) -> None:
    assert target(text, scheme, port) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("4444", 4444), (" 22 ", 22), ("0", None), ("65536", None), ("80,443", None), ("x", None)],
)
def test_port_number(text: str, expected: int | None) -> None:
    assert port_number(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://a.io", True),
        ("a.io/x", True),
        ("localhost", True),
        ("1.2.3.4:80", True),
        ("a b.io", False),
        ("README.md", True),
        ("file", False),
        ("", False),
    ],
)
def test_looks_like_url(text: str, expected: bool) -> None:
    assert looks_like_url(text) is expected
