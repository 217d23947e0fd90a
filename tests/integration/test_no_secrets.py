"""No secret in clear anywhere: plant secrets of known random values, drive every path that
could echo one, then scan every output of the gateway for every planted value.

Planted: the provider keys, the agent key, an approver token, the admin token, the webhook
secret and the Redis password (configured), and an AWS key pair, a GitHub token, a private
key, a database password and the provider key inside tool-call arguments (the transcript
`planted_secrets`), and an agent key minted at runtime, which the gateway holds only as a
digest, used both to authenticate and inside a call. Outputs: the audit file, the gateway's
log (stdout and stderr), every HTTP response body, the approvals API and the webhook bodies.
"""

from __future__ import annotations

import base64
import secrets
import string
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import orjson
import pytest

from tests.conftest import ROOT
from tests.integration.harness import Gateway, running_gateway
from tests.integration.redis_fixture import RedisServer, start_redis


def _random(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


UPPER_DIGITS = string.ascii_uppercase + string.digits
ALNUM = string.ascii_letters + string.digits


@dataclass
class Planted:
    """Fresh random values for every run, so that no fixed string can pass by luck."""

    provider_key: str = field(default_factory=lambda: "sk-proj-" + _random(ALNUM, 40))
    # Shaped like no known key (an Azure key is 32 hex digits): only configuration knows it.
    quoted_provider_key: str = field(default_factory=lambda: secrets.token_hex(16))
    agent_key: str = field(default_factory=lambda: "agent-" + secrets.token_hex(20))
    bad_agent_key: str = field(default_factory=lambda: "agent-" + secrets.token_hex(20))
    approver_token: str = field(default_factory=lambda: "appr-" + secrets.token_hex(20))
    admin_token: str = field(default_factory=lambda: "admin-" + secrets.token_hex(20))
    webhook_secret: str = field(default_factory=lambda: "hook-" + secrets.token_hex(20))
    redis_password: str = field(default_factory=lambda: secrets.token_hex(16))
    aws_key_id: str = field(default_factory=lambda: "AKIA" + _random(UPPER_DIGITS, 16))
    aws_secret: str = field(default_factory=lambda: _random(ALNUM + "/+", 40))
    github_token: str = field(default_factory=lambda: "ghp_" + _random(ALNUM, 36))
    private_key: str = field(
        default_factory=lambda: base64.b64encode(secrets.token_bytes(48)).decode()
    )
    db_password: str = field(default_factory=lambda: _random(ALNUM, 20))
    runtime_key: str = ""  # minted by the admin API during the run

    def values(self) -> dict[str, str]:
        return dict(vars(self))

    def directive(self) -> str:
        """The scripted upstream's directive: the values go into the transcript's calls."""
        values = {
            "AWS_ACCESS_KEY_ID": self.aws_key_id,
            "AWS_SECRET_ACCESS_KEY": self.aws_secret,
            "GITHUB_TOKEN": self.github_token,
            "PRIVATE_KEY": self.private_key,
            "DB_PASSWORD": self.db_password,
            "OPENAI_API_KEY": self.provider_key,
            "ADMIN_TOKEN": self.admin_token,
            "APPROVER_TOKEN": self.approver_token,
            "WEBHOOK_SECRET": self.webhook_secret,
            "AGENT_KEY": self.agent_key,
        }
        return "scenario:planted_secrets " + " ".join(f"{k}={v}" for k, v in values.items())


class Outside(BaseHTTPRequestHandler):
    """The world around the gateway: a webhook receiver, and a provider that quotes the key
    it was sent in its error message (as real providers do, in part)."""

    hooks: ClassVar[list[bytes]] = []
    quoted: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        if self.path == "/hook":
            self.hooks.append(body)
            self._send(200, b"{}")
            return
        key = self.headers.get("authorization", "").removeprefix("Bearer ")
        self.quoted.append(key)
        message = f"Invalid request: the key {key} has no access to this model"
        self._send(400, orjson.dumps({"error": {"message": message, "type": "invalid"}}))

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: Any) -> None:
        return None


@pytest.fixture
def outside() -> Iterator[str]:
    Outside.hooks.clear()
    Outside.quoted.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Outside)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def planted() -> Planted:
    return Planted()


@pytest.fixture
def redis(tmp_path: Path, planted: Planted) -> Iterator[RedisServer]:
    server = start_redis(tmp_path / "redis", extra_args=["--requirepass", planted.redis_password])
    try:
        yield server
    finally:
        server.stop()


def settings(planted: Planted, upstream: str, outside: str, redis: RedisServer) -> dict[str, Any]:
    def model(name: str, api_base: str, key: str) -> dict[str, Any]:
        params = {"model": "openai/gpt-4o", "api_base": api_base, "api_key": key}
        return {"model_name": name, "litellm_params": params}

    return {
        "model_list": [
            model("gpt-test", upstream, planted.provider_key),
            model("gpt-quoting", outside + "/v1", planted.quoted_provider_key),
        ],
        "keys": [{"key": planted.agent_key, "agent": "planter", "team": "red"}],
        "approvers": [{"name": "alice", "token": planted.approver_token}],
        "admin_token": planted.admin_token,
        "policy": {"engine": "embedded", "paths": [str(ROOT / "rego")]},
        "state": {"redis_url": f"redis://:{planted.redis_password}@127.0.0.1:{redis.port}/0"},
        "approvals": {
            "mode": "async",
            "webhook_url": outside + "/hook",
            "webhook_secret": planted.webhook_secret,
        },
    }


class Driver:
    """Sends requests to the gateway and keeps every response body it receives."""

    def __init__(self, gw: Gateway, planted: Planted) -> None:
        self.client = httpx.Client(base_url=gw.url, timeout=60)
        self.planted = planted
        self.bodies: list[bytes] = []

    def send(self, method: str, path: str, token: str, body: Any = None) -> httpx.Response:
        headers = {"authorization": f"Bearer {token}"}
        response = self.client.request(method, path, json=body, headers=headers)
        self.bodies.append(response.content)
        return response

    def chat(
        self, model: str, text: str, stream: bool = False, key: str | None = None
    ) -> httpx.Response:
        body = {"model": model, "stream": stream, "messages": [{"role": "user", "content": text}]}
        return self.send("POST", "/v1/chat/completions", key or self.planted.agent_key, body)

    def mint(self) -> str:
        """A runtime agent key; its one response, meant to show it, is not kept."""
        response = self.client.post(
            "/admin/keys",
            json={"agent": "minted", "team": "red"},
            headers={"authorization": f"Bearer {self.planted.admin_token}"},
        )
        assert response.status_code == 201
        key: str = response.json()["key"]
        return key


def drive(d: Driver, planted: Planted, redis: RedisServer) -> None:
    for stream in (False, True):
        answer = d.chat("gpt-test", planted.directive(), stream=stream)
        assert answer.status_code == 200
        assert answer.headers["x-airlock-decision"] in ("deny", "deferred")
    assert d.chat("gpt-test", "scenario:upstream_401").status_code == 502
    quoted = d.chat("gpt-quoting", "anything")
    assert quoted.status_code == 400 and Outside.quoted == [planted.quoted_provider_key]
    assert "[REDACTED:configured]" in quoted.json()["error"]["message"]  # quoted, then masked
    bad = d.send("GET", "/v1/models", planted.bad_agent_key)
    assert bad.status_code == 401
    pending = d.send("GET", "/approvals?status=pending", planted.approver_token)
    assert pending.status_code == 200 and len(pending.json()["data"]) == 1
    assert d.send("GET", "/admin/keys", planted.admin_token).status_code == 200
    planted.runtime_key = d.mint()
    minted = d.chat("gpt-test", f"scenario:one_tool_call nonce={planted.runtime_key}",
                    key=planted.runtime_key)  # fmt: skip
    assert minted.status_code == 200 and minted.headers["x-airlock-decision"] == "deny"
    deadline = time.monotonic() + 15
    while not Outside.hooks and time.monotonic() < deadline:
        time.sleep(0.05)
    assert Outside.hooks, "the webhook was not called"
    redis.stop()  # errors from a Redis that went away must not quote its URL either
    assert d.send("GET", "/readyz", planted.agent_key).status_code == 503
    assert d.chat("gpt-test", "scenario:text").status_code == 503


def test_no_planted_secret_reaches_any_output(
    scripted_upstream: str, outside: str, redis: RedisServer, planted: Planted, tmp_path: Path
) -> None:
    with running_gateway(tmp_path, settings(planted, scripted_upstream, outside, redis)) as gw:
        driver = Driver(gw, planted)
        with driver.client:
            drive(driver, planted, redis)
    audit = gw.audit_path.read_bytes()
    outputs = {
        "audit file": audit,
        "gateway log": gw.log_path.read_bytes(),
        "webhook bodies": b"\n".join(Outside.hooks),
        **{f"response {i}": body for i, body in enumerate(driver.bodies)},
    }
    leaks = [
        f"{name} in {where}"
        for where, text in outputs.items()
        for name, value in planted.values().items()
        if value.encode() in text or orjson.dumps(value)[1:-1] in text
    ]
    assert leaks == []

    # The scan saw the secrets' places, masked: each call was recorded with its secret's type.
    records = [orjson.loads(line) for line in audit.splitlines()]
    assert len(records) == 13 and all(r["enforced"] == "block" for r in records)
    for marker in (
        b"[REDACTED:airlock_agent_key]",
        b"[REDACTED:aws_access_key_id]",
        b"[REDACTED:aws_secret_access_key]",
        b"[REDACTED:github_token]",
        b"[REDACTED:private_key]",
        b"[REDACTED:password]",
        b"[REDACTED:configured]",
    ):
        assert marker in audit, marker
    approval = orjson.loads(driver.bodies[5])["data"][0]
    assert "[REDACTED:configured]" in orjson.dumps(approval["arguments"]).decode()
    assert b"[REDACTED:configured]" in Outside.hooks[0]
    verified = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "audit", "verify", str(gw.audit_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert verified.returncode == 0, verified.stdout
