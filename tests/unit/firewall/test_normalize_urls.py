"""gateway/firewall/normalize/urls.py: URL facts."""

from __future__ import annotations

import pytest

from gateway.firewall.normalize.urls import looks_like_url, parse_url
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
            Url("GET", "https", "api.example.com", "/a", "b=1"),
        ),
        ("https://user:pw@host.io/x", "GET", Url("GET", "https", "host.io", "/x")),
        ("http://[::1]:8080/", "GET", Url("GET", "http", "::1", "/")),
        ("example.com", "GET", Url("GET", "http", "example.com", "/")),
        ("localhost:3000/x", "GET", Url("GET", "http", "localhost", "/x")),
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
