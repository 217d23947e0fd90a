"""The gateway in a browser's world: no CORS unless configured, and no CSRF, because every
credential travels in the Authorization header (never a cookie a browser would attach)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.harness import AGENT_KEY, Gateway, config, running_gateway

APPROVER = "approver-token-for-tests-0123456789"
EVIL = "https://evil.example"


@pytest.fixture(scope="module")
def gateway(scripted_upstream: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    settings = config(scripted_upstream)
    settings["approvers"] = [{"name": "alice", "token": APPROVER}]
    with running_gateway(tmp_path_factory.mktemp("browser"), settings) as gw:
        yield gw


@pytest.mark.parametrize("path", ["/v1/chat/completions", "/approvals", "/admin/keys"])
def test_no_cors_headers_unless_configured(gateway: Gateway, path: str) -> None:
    preflight = httpx.options(
        gateway.url + path,
        headers={
            "origin": EVIL,
            "access-control-request-method": "POST",
            "access-control-request-headers": "authorization",
        },
    )
    assert "access-control-allow-origin" not in preflight.headers
    plain = httpx.get(gateway.url + path, headers={"origin": EVIL})
    assert "access-control-allow-origin" not in plain.headers


def test_configured_origin_only(scripted_upstream: str, tmp_path: Path) -> None:
    settings = config(scripted_upstream, server={"cors_origins": ["https://console.example"]})
    with running_gateway(tmp_path, settings) as gw:
        allowed = httpx.options(
            gw.base_url + "/chat/completions",
            headers={"origin": "https://console.example", "access-control-request-method": "POST"},
        )
        assert allowed.headers["access-control-allow-origin"] == "https://console.example"
        other = httpx.options(
            gw.base_url + "/chat/completions",
            headers={"origin": EVIL, "access-control-request-method": "POST"},
        )
        assert other.headers.get("access-control-allow-origin") != EVIL


@pytest.mark.parametrize(
    ("content_type", "content"),
    [("application/x-www-form-urlencoded", b"reason=x"), ("text/plain", b'{"reason":"x"}')],
)
def test_cross_site_form_posts_carry_no_credential(
    gateway: Gateway, content_type: str, content: bytes
) -> None:
    # What a hostile page can make a signed-in approver's browser send: a simple POST with
    # cookies, but never an Authorization header. It is refused before anything is decided.
    r = httpx.post(
        gateway.url + "/approvals/apr_0000000000000000/approve",
        content=content,
        headers={
            "content-type": content_type,
            "origin": EVIL,
            "cookie": f"token={APPROVER}; session={AGENT_KEY}",
        },
    )
    assert r.status_code == 401
    admin = httpx.post(
        gateway.url + "/admin/keys",
        content=content,
        headers={"content-type": content_type, "cookie": f"token={APPROVER}"},
    )
    assert admin.status_code == 401
