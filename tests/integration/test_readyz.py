"""`/readyz`: 503 with the reason while Redis (state, approvals) or the OPA server is away,
ready again once they are back, without a restart. Real gateway, redis-server and OPA."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ROOT, free_port, stop, wait_for_http
from tests.integration.harness import Gateway, config, running_gateway
from tests.integration.redis_fixture import RedisServer
from tests.integration.redis_fixture import own_redis as own_redis  # the fixture

POLICY = ROOT / "rego"


def readiness(gw: Gateway) -> tuple[int, dict[str, Any]]:
    r = httpx.get(gw.url + "/readyz", timeout=10)
    return r.status_code, r.json()


def wait_for_status(gw: Gateway, status: int, timeout: float = 15) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code, body = readiness(gw)
        if code == status:
            return body
        time.sleep(0.1)
    raise AssertionError(f"/readyz did not answer {status} within {timeout}s: {body}")


def test_readyz_follows_redis(
    scripted_upstream: str, own_redis: RedisServer, tmp_path: Path
) -> None:
    values = config(scripted_upstream, state={"redis_url": own_redis.url})
    with running_gateway(tmp_path / "gw", values) as gw:
        code, body = readiness(gw)
        assert code == 200 and body["status"] == "ready" and body["state"] == "redis"
        own_redis.stop()
        body = wait_for_status(gw, 503)
        assert body["status"] == "unavailable" and body["policy_revision"]
        assert "state: redis unavailable" in body["reason"]
        assert "approvals: redis failed" in body["reason"]
        assert "redis://" not in body["reason"]  # never the URL (it may hold a password)
        own_redis.start()
        assert wait_for_status(gw, 200)["status"] == "ready"


class OpaProcess:
    """`opa run --server` on rego/, on a port that stays the same across restarts."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        address = f"127.0.0.1:{self.port}"
        command = [self.binary, "run", "--server", "--addr", address, "--log-level", "error"]
        self.proc = subprocess.Popen([*command, str(POLICY)], stdout=subprocess.DEVNULL)
        wait_for_http(self.url + "/health", self.proc)

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)
            self.proc = None


@pytest.fixture
def opa(opa_bin: str) -> Iterator[OpaProcess]:
    server = OpaProcess(opa_bin)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_readyz_follows_the_opa_server(
    scripted_upstream: str, opa: OpaProcess, tmp_path: Path
) -> None:
    values = config(
        scripted_upstream,
        policy={"engine": "opa", "opa_url": opa.url, "timeout_seconds": 1},
    )
    with running_gateway(tmp_path / "gw", values) as gw:
        code, body = readiness(gw)
        assert code == 200 and body["engine"] == "opa"
        opa.stop()
        started = time.monotonic()
        body = wait_for_status(gw, 503)
        assert time.monotonic() - started < 5  # a short health check, not the policy timeout
        assert body["reason"].startswith("policy: OPA server unreachable")
        # Meanwhile tool calls are denied, with the reason (fail closed).
        r = gw.chat("scenario:one_tool_call")
        assert r.status_code == 200 and r.headers["x-airlock-decision"] == "deny"
        assert "policy could not be evaluated" in r.json()["choices"][0]["message"]["content"]
        opa.start()
        assert wait_for_status(gw, 200)["status"] == "ready"
