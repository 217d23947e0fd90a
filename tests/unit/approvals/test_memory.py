"""`MemoryApprovals`: the shared lifecycle scenarios, plus what only one process can show."""

from __future__ import annotations

import asyncio

import pytest

from gateway.approvals import ApprovalStore, MemoryApprovals, open_approvals
from tests.unit.approvals.scenarios import SCENARIOS, Clock, Replicas, Scenario


async def listening(store: ApprovalStore) -> None:
    assert isinstance(store, MemoryApprovals)
    await store.listening()


@pytest.fixture
def replicas() -> Replicas:
    clock = Clock()
    store = MemoryApprovals(clock)
    return Replicas(store, store, clock, listening)


@pytest.mark.parametrize("case", SCENARIOS, ids=lambda c: c.__name__)
async def test_lifecycle(case: Scenario, replicas: Replicas) -> None:
    await case(replicas)


def test_open_approvals_without_redis_is_in_memory() -> None:
    assert isinstance(open_approvals(None), MemoryApprovals)


async def test_approvals_are_forgotten_after_retention(replicas: Replicas) -> None:
    store = MemoryApprovals(replicas.clock, retention_seconds=100)
    replicas.first = replicas.second = store
    asked = await replicas.opened(replicas.approval(ttl=10))
    await store.decide(asked.id, False, "bob", "no")
    # Kept for the retention after its last change, counted from its expiry if that is later.
    replicas.clock.advance(109)
    await store.open(replicas.approval({"later": 1}))
    assert await store.get(asked.id) is not None
    replicas.clock.advance(61)
    await store.open(replicas.approval({"later": 2}))
    assert await store.get(asked.id) is None
    assert [a.tool_name for a in await store.list()] == ["bash", "bash"]


async def test_closing_ends_streams(replicas: Replicas) -> None:
    events = replicas.first.events()
    pending = asyncio.ensure_future(anext(events))
    await asyncio.sleep(0)
    await replicas.first.aclose()
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(pending, 1)


async def test_a_stream_that_falls_behind_is_ended(replicas: Replicas) -> None:
    events = replicas.first.events()
    for n in range(1001):
        await replicas.first.open(replicas.approval({"n": n}))
    with pytest.raises(StopAsyncIteration):
        await anext(events)
    live = replicas.first.events()
    asked = await replicas.opened(replicas.approval({"n": "new"}))
    assert (await anext(live)).approval.id == asked.id


async def test_an_abandoned_stream_is_dropped(replicas: Replicas) -> None:
    store = replicas.first
    assert isinstance(store, MemoryApprovals)
    events = store.events()
    await events.aclose()
    with pytest.raises(StopAsyncIteration):
        await anext(events)
    del events
    assert not store._fanout._subscriptions
