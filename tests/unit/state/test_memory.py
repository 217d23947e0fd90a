"""`MemoryStore` on a fake clock: the shared scenarios, exact, and what needs hours to pass."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gateway.state import MemoryStore, Outcome, open_store
from gateway.state.budget import day_end, month_end, period_of
from tests.unit.state.scenarios import SCENARIOS, Harness, Scenario, agent

START = datetime(2026, 11, 27, 12, 0, tzinfo=UTC).timestamp()


class FakeClock:
    def __init__(self, start: float = START) -> None:
        self.t = start

    def __call__(self) -> float:
        return self.t

    async def advance(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def harness(clock: FakeClock) -> Harness:
    return Harness(MemoryStore(clock), clock.advance, clock, exact=True)


@pytest.mark.parametrize("case", SCENARIOS, ids=lambda c: c.__name__)
async def test_semantics(case: Scenario, harness: Harness) -> None:
    await case(harness)


async def test_open_store_without_url_is_memory() -> None:
    store = open_store(None)
    assert isinstance(store, MemoryStore) and store.name == "memory"
    await store.ping()
    await store.aclose()


async def test_periods() -> None:
    assert period_of(START).day == "20261127" and period_of(START).month == "202611"
    assert day_end("20261127") == datetime(2026, 11, 28, tzinfo=UTC).timestamp()
    assert month_end("202612") == datetime(2027, 1, 1, tzinfo=UTC).timestamp()


async def test_events_leave_their_windows(harness: Harness, clock: FakeClock) -> None:
    a = agent("a")
    await harness.settle("a", a, denials=1, escalations=2)
    await harness.store.tool_calls("a", (a,), 3)
    await clock.advance(60)
    usage = await harness.store.usage("a", a.scope)
    assert usage.tool_calls_last_minute == 0  # exactly 60 s old: out of the last minute
    assert (usage.denials_last_hour, usage.escalations_last_hour) == (1, 2)
    assert usage.recent_denials_seconds_ago == [60]
    await clock.advance(3600 - 60 - 1e-6)
    assert (await harness.store.usage("a", a.scope)).denials_last_hour == 1
    await clock.advance(1e-6)
    usage = await harness.store.usage("a", a.scope)
    assert (usage.denials_last_hour, usage.escalations_last_hour) == (0, 0)
    assert usage.recent_denials_seconds_ago == []


async def test_recent_denials_keep_the_newest_hundred(harness: Harness, clock: FakeClock) -> None:
    a = agent("a")
    await harness.settle("a", a, denials=80)
    await clock.advance(5)
    await harness.settle("a", a, denials=30)
    usage = await harness.store.usage("a", a.scope)
    assert usage.denials_last_hour == 110
    assert usage.recent_denials_seconds_ago == [0] * 30 + [5] * 70


async def test_spend_today_starts_again_the_next_day(harness: Harness, clock: FakeClock) -> None:
    a = agent("a", usd_per_day=1.0, usd_per_month=1.5)
    assert (await harness.admit("a", a, cost=1_000_000)).refused is None
    assert (await harness.admit("a", a, cost=1)).refused == "budget"
    assert (await harness.store.usage("a", a.scope)).spend_today_usd == 1.0
    await clock.advance(day_end(harness.period().day) - clock())
    assert (await harness.store.usage("a", a.scope)).spend_today_usd == 0.0
    assert (await harness.admit("a", a, cost=600_000)).ok  # 1.0 of 1.5 this month
    refused = await harness.admit("a", a, cost=1)
    assert refused.refused == "budget"  # the month is spent: wait for December
    harness.near(refused.retry_after, month_end("202611") - clock())


async def test_settlement_lands_in_the_reserved_period(harness: Harness, clock: FakeClock) -> None:
    a = agent("a")
    period = harness.period()
    assert (await harness.admit("a", a, cost=100)).ok
    await clock.advance(day_end(period.day) - clock() + 10)  # the answer arrives after midnight
    await harness.store.settle(Outcome("a", (a,), period, 0, 100, 0, 300))
    assert (await harness.store.usage("a", a.scope)).spend_today_usd == 0.0
    await clock.advance(-20)
    assert (await harness.store.usage("a", a.scope)).spend_today_usd == 0.0003


async def test_old_state_is_forgotten(harness: Harness, clock: FakeClock) -> None:
    store = harness.store
    assert isinstance(store, MemoryStore)
    a = agent("a", requests_per_minute=2, tokens_per_minute=10)
    assert (await harness.admit("a", a, tokens=5)).ok
    await harness.settle("a", a, reserved=(5, 0), real=(200, 0), denials=1)  # a long debt
    await clock.advance(120)
    assert (await harness.admit("b", agent("b"))).ok  # anything that reads the clock sweeps
    assert (a.scope, "tokens") in store._buckets  # still in debt after two minutes
    assert (a.scope, "requests") not in store._buckets
    await clock.advance(2 * 86_400)
    await store.usage("a", a.scope)
    assert store._buckets == {} and store._events == {}
    assert set(store._counters) == {(a.scope, "m202611"), ("agent:b", "m202611")}
