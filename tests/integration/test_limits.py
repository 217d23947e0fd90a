"""Rate limits, budgets and runtime keys across real gateway replicas sharing one Redis."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests.conftest import ROOT
from tests.integration.harness import AGENT_KEY, Gateway, config, running_gateway
from tests.integration.redis_fixture import RedisServer, start_redis
from tests.integration.redis_fixture import own_redis as own_redis  # a fixture

ADMIN_TOKEN = "admin-token-for-tests-0123456789"
PRICE = 1e-5  # USD per token, in and out: the `text` answer (28 tokens) costs $0.00028
TEXT_COST = 28 * PRICE


@pytest.fixture(scope="module")
def redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = start_redis(tmp_path_factory.mktemp("limits-redis"))
    try:
        yield server
    finally:
        server.stop()


def limited(
    upstream: str,
    redis_url: str | None,
    *,
    limits: dict[str, Any] | None = None,
    budget: dict[str, Any] | None = None,
    agent: str = "limited-agent",
) -> dict[str, Any]:
    settings = config(upstream, state={"redis_url": redis_url})
    settings["admin_token"] = ADMIN_TOKEN
    settings["model_list"][0]["model_info"] = {
        "input_cost_per_token": PRICE,
        "output_cost_per_token": PRICE,
    }
    settings["keys"] = [
        {
            "key": AGENT_KEY,
            "agent": agent,
            "team": "t",
            "limits": limits or {},
            "budget": budget or {},
        }
    ]
    return settings


def body(scenario: str = "text", **extra: Any) -> dict[str, Any]:
    return {
        "model": "gpt-test",
        "messages": [{"role": "user", "content": f"scenario:{scenario}"}],
        **extra,
    }


async def burst(urls: list[str], count: int, key: str = AGENT_KEY) -> list[httpx.Response]:
    headers = {"authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(timeout=30) as client:
        return list(
            await asyncio.gather(
                *(
                    client.post(
                        urls[i % len(urls)] + "/v1/chat/completions", json=body(), headers=headers
                    )
                    for i in range(count)
                )
            )
        )


def post(
    gw: Gateway, payload: dict[str, Any] | None = None, key: str = AGENT_KEY
) -> httpx.Response:
    return httpx.post(
        gw.base_url + "/chat/completions",
        json=payload or body(),
        headers={"authorization": f"Bearer {key}"},
        timeout=30,
    )


@pytest.fixture
def replicas(
    scripted_upstream: str, redis: RedisServer, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[list[Gateway]]:
    """Three gateways on one Redis, with the settings the test's `replica_settings` mark gives."""
    redis_client_flush(redis.url)
    marker = request.node.get_closest_marker("replica_settings")
    kwargs = marker.kwargs if marker else {}
    settings = limited(scripted_upstream, redis.url, **kwargs)
    with ExitStack() as stack:
        yield [stack.enter_context(running_gateway(tmp_path / f"r{i}", settings)) for i in range(3)]


def redis_client_flush(url: str) -> None:
    import redis as redis_sync

    client = redis_sync.Redis.from_url(url)
    client.flushall()
    client.close()


@pytest.mark.replica_settings(limits={"requests_per_minute": 7})
def test_rate_limit_is_exact_across_replicas(replicas: list[Gateway]) -> None:
    responses = asyncio.run(burst([g.url for g in replicas], 30))
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(200) == 7 and statuses.count(429) == 23
    refused = next(r for r in responses if r.status_code == 429)
    assert refused.json()["error"]["type"] == "rate_limit_exceeded"
    assert int(refused.headers["retry-after"]) >= 1
    ok = next(r for r in responses if r.status_code == 200)
    assert ok.headers["x-ratelimit-limit-requests"] == "7"
    assert int(ok.headers["x-ratelimit-remaining-requests"]) < 7
    assert ok.headers["x-ratelimit-reset-requests"].endswith("s")


def test_rate_limit_is_exact_in_memory(scripted_upstream: str, tmp_path: Path) -> None:
    settings = limited(scripted_upstream, None, limits={"requests_per_minute": 7})
    with running_gateway(tmp_path, settings) as gw:
        statuses = [r.status_code for r in asyncio.run(burst([gw.url], 30))]
    assert statuses.count(200) == 7 and statuses.count(429) == 23


@pytest.mark.parametrize("backend", ["redis", "memory"])
def test_budget_allows_exactly_n_sequential_requests(
    scripted_upstream: str, redis: RedisServer, tmp_path: Path, backend: str
) -> None:
    redis_client_flush(redis.url)
    url = redis.url if backend == "redis" else None
    settings = limited(scripted_upstream, url, budget={"usd_per_day": 4 * TEXT_COST})
    with running_gateway(tmp_path, settings) as gw:
        statuses = [post(gw, body(max_tokens=20)).status_code for _ in range(6)]
        assert statuses == [200, 200, 200, 200, 429, 429]
        refused = post(gw).json()["error"]
        assert refused["code"] == "budget_exceeded" and refused["type"] == "rate_limit_exceeded"


@pytest.mark.replica_settings(budget={"usd_per_day": 5 * TEXT_COST})
def test_concurrent_requests_never_overspend(replicas: list[Gateway]) -> None:
    headers = {"authorization": f"Bearer {AGENT_KEY}"}

    async def run() -> list[httpx.Response]:
        async with httpx.AsyncClient(timeout=30) as client:
            return list(
                await asyncio.gather(
                    *(
                        client.post(
                            replicas[i % 3].base_url + "/chat/completions",
                            json=body(max_tokens=16),
                            headers=headers,
                        )
                        for i in range(20)
                    )
                )
            )

    served = sum(r.status_code == 200 for r in asyncio.run(run()))
    # Each admission reserves an estimate; spend may pass the budget by at most one request.
    assert 1 <= served <= 6
    assert served * TEXT_COST <= 5 * TEXT_COST + TEXT_COST


def test_redis_down_fails_closed_then_recovers(
    scripted_upstream: str, own_redis: RedisServer, tmp_path: Path
) -> None:
    with running_gateway(tmp_path / "gw", limited(scripted_upstream, own_redis.url)) as gw:
        assert post(gw).status_code == 200
        own_redis.stop()
        down = post(gw)
        assert down.status_code == 503
        error = down.json()["error"]
        assert error["type"] == "service_unavailable" and error["code"] == "state_unavailable"
        assert httpx.get(gw.url + "/readyz").status_code == 503
        own_redis.start()
        assert post(gw).status_code == 200  # no restart of the gateway
        assert httpx.get(gw.url + "/readyz").status_code == 200


def airlock(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=30,
        env={"PATH": "/usr/bin:/bin", "AIRLOCK_ADMIN_TOKEN": ADMIN_TOKEN},
    )


def test_runtime_keys_created_used_and_revoked_everywhere(replicas: list[Gateway]) -> None:
    a, b, _ = replicas
    created = airlock(
        "keys", "--url", a.url, "create", "--agent", "new-bot", "--requests-per-minute", "100"
    )
    assert created.returncode == 0, created.stderr
    record = orjson.loads(created.stdout)
    key = record["key"]
    assert key.startswith("sk-airlock-") and "shown" not in created.stdout
    assert post(a, key=key).status_code == 200
    assert post(b, key=key).status_code == 200
    listed = orjson.loads(airlock("keys", "--url", b.url, "list").stdout)
    assert [k["id"] for k in listed["data"]] == [record["id"]]
    assert "key" not in listed["data"][0]  # a key is shown once, at creation
    revoked = airlock("keys", "--url", b.url, "revoke", record["id"])
    assert revoked.returncode == 0, revoked.stderr
    for gw in replicas:
        assert post(gw, key=key).status_code == 401


def test_admin_api_refuses_agents_and_strangers(replicas: list[Gateway]) -> None:
    url = replicas[0].url + "/admin/keys"
    assert httpx.get(url).status_code == 401
    assert httpx.get(url, headers={"authorization": f"Bearer {AGENT_KEY}"}).status_code == 403
    assert httpx.get(url, headers={"authorization": f"Bearer {ADMIN_TOKEN}"}).status_code == 200
