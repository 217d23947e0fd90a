"""`RedisStore` against a real redis-server: the shared scenarios, replicas, outages."""

from __future__ import annotations

import asyncio
import os
import signal
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from gateway.errors import StateError
from gateway.state import Admission, Outcome, Quota, RedisStore, open_store
from gateway.state.budget import MARGIN_S, day_end, period_of
from tests.integration.redis_fixture import RedisServer, start_redis
from tests.integration.redis_fixture import own_redis as own_redis  # a fixture
from tests.integration.redis_fixture import redis_server as redis_server  # the fixture
from tests.unit.state.scenarios import SCENARIOS, Harness, Scenario, agent, team

pytestmark = pytest.mark.redis


def store_on(url: str, prefix: str, timeout: float = 0.5) -> RedisStore:
    return RedisStore(url, timeout_seconds=timeout, prefix=prefix)


async def sleep(seconds: float) -> None:
    await asyncio.sleep(seconds + 0.005)  # the event loop may wake a hair early


@pytest.fixture
def prefix() -> str:
    return f"test-{uuid.uuid4().hex[:12]}:"


@pytest.fixture
async def harness(redis_server: str, prefix: str) -> AsyncIterator[Harness]:
    store = store_on(redis_server, prefix)
    await store.ping()
    yield Harness(store, sleep, time.time, exact=False)
    await store.aclose()


@pytest.mark.parametrize("case", SCENARIOS, ids=lambda c: c.__name__)
async def test_semantics(case: Scenario, harness: Harness) -> None:
    await case(harness)


def admission(name: str, *quotas: Quota, cost: int = 0) -> Admission:
    return Admission(name, quotas, 0, cost, period_of(time.time()))


async def test_replicas_share_one_limit(redis_server: str, prefix: str) -> None:
    stores = [store_on(redis_server, prefix) for _ in range(3)]
    a, t = agent("a", requests_per_minute=40), team("t", usd_per_day=1.0)
    try:
        results = await asyncio.gather(
            *(stores[i % 3].admit(admission("a", a)) for i in range(120))
        )
        assert sum(r.ok for r in results) == 40
        spent = await asyncio.gather(
            *(stores[i % 3].admit(admission("b", agent("b"), t, cost=300_000)) for i in range(30))
        )
        assert sum(r.ok for r in spent) == 4
        grants = await asyncio.gather(
            *(
                stores[i % 3].tool_calls("c", (agent("c", tool_calls_per_minute=50),), 3)
                for i in range(30)
            )
        )
        assert sum(g.granted for g in grants) == 50
    finally:
        for s in stores:
            await s.aclose()


async def test_keys_carry_the_prefix_and_expire(redis_server: str, prefix: str) -> None:
    store = store_on(redis_server, prefix)
    raw = aioredis.Redis.from_url(redis_server)
    a = agent("a", requests_per_minute=10, usd_per_day=5.0)
    try:
        assert (await store.admit(admission("a", a, cost=10))).ok
        await store.tool_calls("a", (a,), 1)
        p = period_of(time.time())
        day = f"{prefix}spend:day:{p.day}:{a.scope}"
        await store.settle(Outcome("a", (a,), p, 0, 10, 0, 12, denials=1))
        keys = {k.decode() for k in await raw.keys(f"{prefix}*")}
        assert keys == {
            f"{prefix}rate:{a.scope}",
            day,
            f"{prefix}spend:month:{p.month}:{a.scope}",
            f"{prefix}usage:tool_calls:a",
            f"{prefix}usage:denials:a",
            f"{prefix}usage:totals:a",
        }
        assert 119_000 < await raw.pttl(f"{prefix}rate:{a.scope}") <= 120_000
        assert abs(await raw.ttl(day) - (day_end(p.day) + MARGIN_S - time.time())) < 5
        for usage_key in ("tool_calls:a", "denials:a", "totals:a"):
            assert 3590 < await raw.ttl(f"{prefix}usage:{usage_key}") <= 3600
        assert await raw.hget(day, "micro") == b"12"
        totals = await raw.hgetall(f"{prefix}usage:totals:a")
        assert totals == {b"tool_calls": b"1", b"denials": b"1"}
        # an event set that expired on its own takes its stale total with it
        await raw.delete(f"{prefix}usage:denials:a")
        assert (await store.usage("a", a.scope)).denials_last_hour == 0
        assert not await raw.hexists(f"{prefix}usage:totals:a", "denials")
    finally:
        await store.aclose()
        await raw.aclose()


async def test_outage_fails_fast_and_recovers(own_redis: RedisServer) -> None:
    store = store_on(own_redis.url, "outage:", timeout=0.5)
    a = agent("a", requests_per_minute=100)
    try:
        await store.ping()
        assert (await store.admit(admission("a", a))).ok
        own_redis.stop()
        calls = (
            lambda: store.admit(admission("a", a)),
            lambda: store.tool_calls("a", (a,), 1),
            lambda: store.settle(Outcome("a", (a,), period_of(time.time()), 0, 0, 0, 0)),
            store.ping,
        )
        for call in calls:
            started = time.monotonic()
            with pytest.raises(StateError, match="redis unavailable"):
                await call()
            assert time.monotonic() - started < 1.0
        own_redis.start()  # same port, empty: its script cache is empty too
        assert (await store.admit(admission("a", a))).ok
        assert (await store.tool_calls("a", (a,), 2)).granted == 2
    finally:
        await store.aclose()


async def test_frozen_server_times_out(own_redis: RedisServer) -> None:
    store = store_on(own_redis.url, "frozen:", timeout=0.3)
    try:
        await store.ping()
        assert own_redis.proc is not None
        os.kill(own_redis.proc.pid, signal.SIGSTOP)
        try:
            started = time.monotonic()
            with pytest.raises(StateError, match="Timeout"):
                await store.admit(admission("a", agent("a", requests_per_minute=5)))
            assert 0.25 < time.monotonic() - started < 1.5  # 0.3 s and a loaded machine
        finally:
            os.kill(own_redis.proc.pid, signal.SIGCONT)
        assert (await store.admit(admission("a", agent("a", requests_per_minute=5)))).ok
    finally:
        await store.aclose()


async def test_errors_never_show_the_password(tmp_path: Path) -> None:
    server = start_redis(tmp_path / "redis", extra_args=["--requirepass", "s3cret-pass"])
    try:
        store = open_store(f"redis://:wrong-pass-123@127.0.0.1:{server.port}/0")
        with pytest.raises(StateError) as failed:
            await store.ping()
        assert "wrong-pass-123" not in str(failed.value)
        assert "s3cret" not in str(failed.value)
        await store.aclose()
        good = open_store(f"redis://:s3cret-pass@127.0.0.1:{server.port}/0")
        await good.ping()
        assert (await good.admit(admission("a", agent("a")))).ok
        await good.aclose()
    finally:
        server.stop()


async def test_script_errors_become_state_errors(redis_server: str, prefix: str) -> None:
    store = store_on(redis_server, prefix)
    raw = aioredis.Redis.from_url(redis_server)
    a = agent("a", requests_per_minute=5)
    try:
        await raw.set(f"{prefix}rate:{a.scope}", "not a hash")
        with pytest.raises(StateError, match="redis failed: ResponseError"):
            await store.admit(admission("a", a))
    finally:
        await store.aclose()
        await raw.aclose()


async def test_no_call_meets_a_dead_connection_after_redis_is_back(
    own_redis: RedisServer,
) -> None:
    # Calls that fail while Redis is down leave pooled connections behind that are dead
    # but look idle; each used to fail one call after Redis was back.
    store = store_on(own_redis.url, "stale:", timeout=0.5)
    try:
        await asyncio.gather(*(store.ping() for _ in range(8)))  # eight in the pool
        own_redis.stop()
        for _ in range(3):
            with pytest.raises(StateError):
                await store.ping()
        own_redis.start()
        for _ in range(16):
            await asyncio.gather(*(store.ping() for _ in range(4)))
            await asyncio.sleep(0.01)  # calls do not all arrive in one turn of the loop
    finally:
        await store.aclose()
