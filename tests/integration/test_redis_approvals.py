"""`RedisApprovals` against a real redis-server: the shared lifecycle scenarios on two replicas,
a restarted gateway, a restarted Redis, and Redis going away."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from gateway.approvals import ApprovalStore, open_approvals
from gateway.approvals.redis import RedisApprovals
from gateway.errors import StateError
from tests.conftest import free_port
from tests.integration.redis_fixture import RedisServer
from tests.integration.redis_fixture import own_redis as own_redis  # a fixture
from tests.integration.redis_fixture import redis_server as redis_server  # the fixture
from tests.unit.approvals.scenarios import FAST, SCENARIOS, Clock, Replicas, Scenario

pytestmark = pytest.mark.redis


async def listening(store: ApprovalStore) -> None:
    assert isinstance(store, RedisApprovals)
    await store.listening()


@pytest.fixture
def prefix() -> str:
    return f"test-{uuid.uuid4().hex[:12]}:approvals:"


@pytest.fixture
async def replicas(redis_server: str, prefix: str) -> AsyncIterator[Replicas]:
    clock = Clock()
    first = RedisApprovals(redis_server, prefix=prefix, clock=clock)
    second = RedisApprovals(redis_server, prefix=prefix, clock=clock)
    yield Replicas(first, second, clock, listening)
    await first.aclose()
    await second.aclose()


@pytest.mark.parametrize("case", SCENARIOS, ids=lambda c: c.__name__)
async def test_lifecycle(case: Scenario, replicas: Replicas) -> None:
    await case(replicas)


async def test_open_approvals_with_a_url_is_redis(redis_server: str) -> None:
    store = open_approvals(redis_server)
    try:
        assert isinstance(store, RedisApprovals)
        assert await store.list(limit=1) is not None
    finally:
        await store.aclose()


async def test_a_restarted_gateway_still_has_the_pending_approval(
    redis_server: str, prefix: str
) -> None:
    clock = Clock()
    before = RedisApprovals(redis_server, prefix=prefix, clock=clock)
    r = Replicas(before, before, clock, listening)
    asked = await r.opened()
    await before.aclose()

    after = RedisApprovals(redis_server, prefix=prefix, clock=clock)
    try:
        assert await after.get(asked.id) == asked
        assert [a.id for a in await after.list("pending")] == [asked.id]
        joined, new = await after.open(r.approval())
        assert not new and joined.id == asked.id
        await after.decide(asked.id, True, "alice", "")
        taken = await after.consume(asked.binding)
        assert taken is not None and taken.id == asked.id
    finally:
        await after.aclose()


async def test_final_approvals_are_kept_for_the_retention(redis_server: str, prefix: str) -> None:
    clock = Clock()
    store = RedisApprovals(redis_server, prefix=prefix, clock=clock, retention_seconds=3600)
    r = Replicas(store, store, clock, listening)
    client = aioredis.Redis.from_url(redis_server)
    try:
        asked = await r.opened(r.approval(ttl=100))
        ttl = await client.ttl(f"{prefix}a:{asked.id}")
        assert 3600 + 99 <= ttl <= 3600 + 100
        assert 3600 + 99 <= await client.ttl(f"{prefix}binding:{asked.binding}") <= 3600 + 100
        await store.decide(asked.id, False, "bob", "no")
        assert 3600 + 99 <= await client.ttl(f"{prefix}a:{asked.id}") <= 3600 + 100
        await client.delete(f"{prefix}a:{asked.id}")  # as if its TTL had run out
        assert await store.list() == []
        assert await client.zcard(f"{prefix}status:denied") == 0
    finally:
        await store.aclose()
        await client.aclose()


async def test_a_decision_made_while_the_subscription_is_down_still_wakes_the_waiter(
    own_redis: RedisServer,
) -> None:
    clock = Clock()
    waiter = RedisApprovals(own_redis.url, clock=clock)
    approver = RedisApprovals(own_redis.url, clock=clock)
    admin = aioredis.Redis.from_url(own_redis.url)
    r = Replicas(waiter, approver, clock, listening)
    try:
        asked = await r.opened()
        events = waiter.events()
        waiting = asyncio.create_task(waiter.wait(asked.id, 30))
        await asyncio.sleep(0.2)
        await admin.execute_command("CLIENT", "KILL", "TYPE", "pubsub")
        # Published while the waiter's replica is not subscribed: pub/sub drops it.
        await approver.decide(asked.id, True, "alice", "")
        final = await asyncio.wait_for(waiting, 5)
        assert final.status == "approved"
        # The stream ends rather than silently missing what was published meanwhile.
        with pytest.raises(StopAsyncIteration):
            await asyncio.wait_for(anext(events), 5)
    finally:
        await waiter.aclose()
        await approver.aclose()
        await admin.aclose()


async def test_events_resume_after_redis_restarts(own_redis: RedisServer) -> None:
    clock = Clock()
    waiter = RedisApprovals(own_redis.url, clock=clock)
    approver = RedisApprovals(own_redis.url, clock=clock)
    r = Replicas(waiter, approver, clock, listening)
    try:
        before = waiter.events()
        await waiter.listening()
        own_redis.stop()
        with pytest.raises(StateError):
            await approver.open(r.approval())
        with pytest.raises(StopAsyncIteration):  # the listener has seen Redis go
            await asyncio.wait_for(anext(before), 5)
        own_redis.start()
        deadline = time.monotonic() + 10
        while True:  # the listener's own reconnect is what is under test, not ours
            try:
                await waiter.listening(0.5)
                break
            except StateError:
                assert time.monotonic() < deadline
        events = waiter.events()
        asked = await r.opened()
        assert (await asyncio.wait_for(anext(events), 5)).approval.id == asked.id
        waiting = asyncio.create_task(waiter.wait(asked.id, 30))
        await asyncio.sleep(0.1)
        start = time.monotonic()
        await approver.decide(asked.id, True, "alice", "")
        assert (await asyncio.wait_for(waiting, 5)).status == "approved"
        assert time.monotonic() - start < FAST
    finally:
        await waiter.aclose()
        await approver.aclose()


async def test_redis_down_is_a_state_error_without_the_password() -> None:
    url = f"redis://:hunter2-secret@127.0.0.1:{free_port()}/0"
    store = RedisApprovals(url, timeout_seconds=0.2)
    r = Replicas(store, store, Clock(), listening)
    try:
        for attempt in (
            store.open(r.approval()),
            store.get("apr_x"),
            store.list(),
            store.decide("apr_x", True, "alice", ""),
            store.consume("b"),
            store.wait("apr_x", 0.5),
        ):
            with pytest.raises(StateError) as caught:
                await attempt
            assert "hunter2" not in str(caught.value)
    finally:
        await store.aclose()


async def test_no_call_meets_a_dead_connection_after_redis_is_back(
    own_redis: RedisServer,
) -> None:
    # Calls that fail while Redis is down leave pooled connections behind that are dead
    # but look idle; each used to fail one call after Redis was back.
    store = RedisApprovals(own_redis.url, timeout_seconds=0.5)
    try:
        await asyncio.gather(*(store.get("apr_none") for _ in range(8)))  # eight in the pool
        own_redis.stop()
        for _ in range(3):
            with pytest.raises(StateError):
                await store.get("apr_none")
        own_redis.start()
        for _ in range(16):
            await asyncio.gather(*(store.get("apr_none") for _ in range(4)))
            await asyncio.sleep(0.01)  # calls do not all arrive in one turn of the loop
    finally:
        await store.aclose()
