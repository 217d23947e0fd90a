"""The state semantics, written once and run against every backend.

A `Harness` wraps a store with its clock: the memory backend runs on a fake clock that
`advance` moves instantly (so every number is exact), Redis on server time that `advance`
sleeps through (so numbers that depend on elapsed time are checked to within `SLACK`).
Limits are chosen so that real time does not matter where an exact count is asserted.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from gateway.state import Admission, Admitted, KeyRecord, Outcome, Period, Quota, StateStore
from gateway.state.budget import day_end, month_end, period_of

SLACK = 0.25  # seconds of real time a Redis scenario may spend between two observations


@dataclass
class Harness:
    store: StateStore
    advance: Callable[[float], Awaitable[None]]
    now: Callable[[], float]  # the store's clock, unix seconds
    exact: bool  # time stands still unless advanced

    def period(self) -> Period:
        return period_of(self.now())

    def near(self, got: float, want: float) -> None:
        """`got` is `want`: to the microsecond on a fake clock, within `SLACK` on a real one."""
        assert abs(got - want) <= (1e-6 if self.exact else SLACK), (got, want)

    async def admit(
        self, agent: str, *quotas: Quota, tokens: int = 0, cost: int = 0, key: str | None = None
    ) -> Admitted:
        return await self.store.admit(
            Admission(agent, quotas, tokens, cost, self.period(), key_digest=key)
        )

    async def settle(
        self,
        agent: str,
        *quotas: Quota,
        reserved: tuple[int, int] = (0, 0),
        real: tuple[int, int] = (0, 0),
        denials: int = 0,
        escalations: int = 0,
    ) -> None:
        """`reserved` and `real` are (tokens, micro-dollars)."""
        outcome = Outcome(agent, quotas, self.period(), *reserved, *real, denials, escalations)
        await self.store.settle(outcome)


Scenario = Callable[[Harness], Awaitable[None]]
SCENARIOS: list[Scenario] = []


def scenario(fn: Scenario) -> Scenario:
    SCENARIOS.append(fn)
    return fn


def agent(name: str, **limits: int | float) -> Quota:
    return Quota(f"agent:{name}", **limits)  # type: ignore[arg-type]


def team(name: str, **limits: int | float) -> Quota:
    return Quota(f"team:{name}", **limits)  # type: ignore[arg-type]


async def admitted(h: Harness, n: int, name: str, *quotas: Quota, **kw: int) -> list[Admitted]:
    return [await h.admit(name, *quotas, **kw) for _ in range(n)]


@scenario
async def exactly_limit_requests_of_more(h: Harness) -> None:
    for limit in (10, 7, 1):
        q = agent(f"a{limit}", requests_per_minute=limit)
        results = await admitted(h, limit + 5, f"a{limit}", q)
        assert [r.ok for r in results] == [True] * limit + [False] * 5
        refused = results[limit]
        assert (refused.refused, refused.scope) == ("requests", q.scope)
        h.near(refused.retry_after, math.ceil(60_000_000 / limit) / 1e6)


@scenario
async def exactly_limit_tokens_without_rounding(h: Harness) -> None:
    q = agent("a", tokens_per_minute=999_999)
    results = await admitted(h, 4, "a", q, tokens=333_333)
    assert [r.ok for r in results] == [True, True, True, False]
    third = results[2].tokens
    assert third is not None
    # Redis drains one token every 60 µs of real time; the fake clock stands still
    assert third.remaining == 0 if h.exact else third.remaining < 5_000
    assert (results[3].refused, results[3].scope) == ("tokens", q.scope)


@scenario
async def refill_after_one_interval(h: Harness) -> None:
    q = agent("a", requests_per_minute=60)  # one more every second
    await admitted(h, 60, "a", q)
    refused = await h.admit("a", q)
    assert refused.refused == "requests"
    h.near(refused.retry_after, 1.0)
    if h.exact:
        await h.advance(refused.retry_after - 1e-6)
        assert not (await h.admit("a", q)).ok
        await h.advance(1e-6)
    else:
        await h.advance(refused.retry_after)
    assert (await h.admit("a", q)).ok
    assert not (await h.admit("a", q)).ok


@scenario
async def all_or_nothing_across_scopes(h: Harness) -> None:
    a = agent("a", requests_per_minute=5, usd_per_day=10.0)
    b = agent("b", requests_per_minute=5)
    t = team("t", requests_per_minute=3)
    assert all(r.ok for r in await admitted(h, 2, "a", a, t, cost=1_000))
    assert (await h.admit("b", b, t)).ok
    refused = await h.admit("a", a, t, cost=1_000)
    assert (refused.ok, refused.refused, refused.scope) == (False, "requests", t.scope)
    # the refusal took nothing from the agent's own scope: neither a request nor money
    alone = await h.admit("a", a)
    assert alone.requests is not None and alone.requests.remaining == 5 - 3
    assert (await h.store.usage("a", a.scope)).spend_today_usd == 0.002


@scenario
async def rate_info_of_the_tightest_scope(h: Harness) -> None:
    a = agent("a", requests_per_minute=10, tokens_per_minute=1_000)
    t = team("t", requests_per_minute=4)
    ok = await h.admit("a", a, t, tokens=100)
    assert ok.requests is not None and ok.tokens is not None
    assert (ok.requests.limit, ok.requests.remaining) == (4, 3)
    h.near(ok.requests.reset_seconds, 15.0)
    assert (ok.tokens.limit, ok.tokens.remaining) == (1_000, 900)
    h.near(ok.tokens.reset_seconds, 6.0)
    bare = await h.admit("b", agent("b"))
    assert bare.ok and bare.requests is None and bare.tokens is None


@scenario
async def settle_corrects_tokens(h: Harness) -> None:
    a = agent("a", tokens_per_minute=100)  # drains one token every 0.6 s
    first = await h.admit("a", a, tokens=40)
    assert first.tokens is not None and first.tokens.remaining == 60
    await h.settle("a", a, reserved=(40, 0), real=(10, 0))
    second = await h.admit("a", a, tokens=40)
    assert second.tokens is not None and second.tokens.remaining == 50
    await h.settle("a", a, reserved=(40, 0), real=(130, 0))  # 90 more than reserved: over
    refused = await h.admit("a", a, tokens=1)
    assert (refused.refused, refused.scope) == ("tokens", a.scope)
    h.near(refused.retry_after, 24.6)  # 41 tokens over, one per 0.6 s


@scenario
async def budget_admits_exactly_n_sequential(h: Harness) -> None:
    for budget, kind in (("usd_per_day", "day"), ("usd_per_month", "month")):
        name = f"a-{kind}"
        a = agent(name, **{budget: 1.0})
        for _ in range(4):  # real cost 0.25 each: four fit exactly in 1.00
            assert (await h.admit(name, a, cost=300_000, tokens=10)).ok
            await h.settle(name, a, reserved=(10, 300_000), real=(12, 250_000))
        refused = await h.admit(name, a, cost=300_000)
        assert (refused.ok, refused.refused, refused.scope) == (False, "budget", a.scope)
        period = h.period()
        end = day_end(period.day) if kind == "day" else month_end(period.month)
        h.near(refused.retry_after, end - h.now())


@scenario
async def daily_token_budget_and_team_budget(h: Harness) -> None:
    a = agent("a", tokens_per_day=100)
    assert (await h.admit("a", a, tokens=60)).ok
    assert (await h.admit("a", a, tokens=60)).ok  # 60 < 100 when it was asked
    assert (await h.admit("a", a, tokens=1)).refused == "budget"
    await h.settle("a", a, reserved=(60, 0), real=(10, 0))  # 70 used now
    assert (await h.admit("a", a, tokens=1)).ok
    b, t = agent("b"), team("t", usd_per_day=0.5)
    assert (await h.admit("b", b, t, cost=500_000)).ok
    refused = await h.admit("b", b, t, cost=1)
    assert (refused.refused, refused.scope) == ("budget", t.scope)


@scenario
async def concurrent_budget_overspends_at_most_one_reservation(h: Harness) -> None:
    a = agent("a", usd_per_day=1.0)
    results = await asyncio.gather(*(h.admit("a", a, cost=300_000) for _ in range(20)))
    assert sum(r.ok for r in results) == 4  # reserved 0, .3, .6, .9 < 1: four, 0.2 over
    assert (await h.store.usage("a", a.scope)).spend_today_usd == 1.2


@scenario
async def concurrent_admits_grant_exactly_the_limit(h: Harness) -> None:
    a = agent("a", requests_per_minute=25)
    results = await asyncio.gather(*(h.admit("a", a) for _ in range(60)))
    assert sum(r.ok for r in results) == 25


@scenario
async def tool_call_grants(h: Harness) -> None:
    a = agent("a", tool_calls_per_minute=5)
    t = team("t", tool_calls_per_minute=3)
    assert (await h.admit("a", a, t)).ok  # admit checks but does not consume tool calls
    grants = [(await h.store.tool_calls("a", (a, t), n)).granted for n in (2, 2, 1)]
    assert grants == [2, 1, 0]
    refused = await h.admit("a", a, t)
    assert (refused.refused, refused.scope) == ("tool_calls", t.scope)
    h.near(refused.retry_after, 20.0)
    alone = await h.store.tool_calls("a", (a,), 4)  # the agent's own rate: 5 - 3 consumed
    assert alone.granted == 2
    assert alone.usage.tool_calls_last_minute == 5
    unlimited = await h.store.tool_calls("b", (agent("b"),), 7)
    assert (unlimited.granted, unlimited.usage.tool_calls_last_minute) == (7, 7)


@scenario
async def usage_counts_decisions_and_spend(h: Harness) -> None:
    a = agent("a")
    assert (await h.admit("a", a, cost=400_000)).ok
    await h.settle("a", a, reserved=(0, 400_000), real=(0, 420_000), denials=2, escalations=1)
    await h.advance(1.0)
    await h.settle("a", a, denials=1)
    await h.store.tool_calls("a", (a,), 2)
    usage = await h.store.usage("a", a.scope)
    assert usage.denials_last_hour == 3
    assert usage.escalations_last_hour == 1
    assert usage.tool_calls_last_minute == 2
    assert usage.spend_today_usd == 0.42
    assert usage.recent_denials_seconds_ago == [0, 1, 1]
    other = await h.store.usage("b", "agent:b")
    assert (other.denials_last_hour, other.spend_today_usd) == (0, 0.0)


@scenario
async def runtime_keys_and_revocation(h: Harness) -> None:
    q = agent("a", requests_per_minute=100)
    record = KeyRecord("key_00112233445566ff", "ab" * 32, "a", "t", q, created=h.now())
    await h.store.put_key(record)
    assert await h.store.get_key(record.digest) == record
    assert (await h.admit("a", q, key=record.digest)).ok
    assert (await h.admit("a", q, key="cd" * 32)).refused == "revoked"
    revoked = await h.store.revoke_key(record.id)
    assert revoked is not None and revoked.revoked is not None
    assert abs(revoked.revoked - h.now()) < 1
    refused = await h.admit("a", q, key=record.digest)
    assert (refused.ok, refused.refused, refused.scope) == (False, "revoked", q.scope)
    assert await h.store.get_key(record.digest) is None
    assert await h.store.list_keys() == [revoked]
    assert await h.store.revoke_key(record.id) == revoked  # the first revocation stands
    assert await h.store.revoke_key("key_nosuchkey00000") is None
    await h.store.put_key(record)  # putting it again does not revive it
    assert await h.store.get_key(record.digest) is None
    later = KeyRecord("key_ffeeddccbbaa9988", "ef" * 32, "b", None, agent("b"), h.now() + 1)
    await h.store.put_key(later)
    assert [r.id for r in await h.store.list_keys()] == [record.id, later.id]
