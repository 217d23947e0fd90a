"""The approval lifecycle, written once and run against every store.

A `Replicas` holds two stores that share one backend (two Redis clients = two gateway
replicas; the memory backend has only one process, so both are the same store) and the
clock both run on: real time plus an offset that `advance` moves instantly.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from gateway.approvals import Approval, ApprovalEvent, ApprovalStore, Transition, binding
from gateway.errors import ConflictError, NotFoundError
from gateway.models import Reason

FAST = 0.25  # seconds: "within milliseconds", with room for a loaded CI machine


class Clock:
    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@dataclass
class Replicas:
    first: ApprovalStore
    second: ApprovalStore
    clock: Clock
    listening: Callable[[ApprovalStore], Awaitable[None]]

    def approval(
        self,
        arguments: Any = None,
        *,
        agent: str = "build-bot",
        tool: str = "bash",
        ttl: float = 300,
    ) -> Approval:
        arguments = {"command": "aws ec2 run-instances"} if arguments is None else arguments
        now = self.clock()
        return Approval(
            id="apr_" + secrets.token_hex(8),
            binding=binding(agent, tool, arguments),
            agent=agent,
            team="platform",
            request_id="req_1",
            model="gpt-4o",
            tool_name=tool,
            arguments=arguments,
            facts={"commands": [{"program": "aws", "argv": ["aws", "ec2", "run-instances"]}]},
            reasons=[Reason("airlock.instance_creation.cloud_cli", "instance_creation", "creates")],
            excerpt=[{"role": "user", "content": "start a server"}],
            created=now,
            expires=now + ttl,
        )

    async def opened(self, approval: Approval | None = None) -> Approval:
        got, new = await self.first.open(approval or self.approval())
        assert new
        return got


Scenario = Callable[[Replicas], Awaitable[None]]


async def next_event(subscription: AsyncIterator[ApprovalEvent]) -> ApprovalEvent:
    return await asyncio.wait_for(anext(subscription), 2)


async def open_queues_a_pending_approval(r: Replicas) -> None:
    asked = r.approval({"command": "x", "args": [], "deep": {"n": 12345678901234567890}})
    got = await r.opened(asked)
    assert got == asked
    assert got.status == "pending" and not got.used
    assert await r.second.get(asked.id) == asked
    # Tool arguments survive storage exactly (empty arrays, large integers).
    stored = await r.second.get(asked.id)
    assert stored is not None and stored.arguments == asked.arguments


async def same_call_joins_and_other_calls_do_not(r: Replicas) -> None:
    first = await r.opened()
    retry = r.approval()
    joined, new = await r.second.open(retry)
    assert not new and joined.id == first.id
    other_args, new = await r.second.open(r.approval({"command": "aws ec2 run-instances --x"}))
    assert new and other_args.id != first.id
    other_agent, new = await r.first.open(r.approval(agent="other-bot"))
    assert new and other_agent.id not in (first.id, other_args.id)
    assert {a.id for a in await r.first.list("pending")} >= {first.id, other_args.id}


async def approve_records_who_when_why(r: Replicas) -> None:
    asked = await r.opened()
    before = r.clock()
    approved = await r.second.decide(asked.id, True, "alice", "looks fine")
    assert approved.status == "approved" and not approved.used
    last = approved.history[-1]
    assert (last.status, last.by, last.reason) == ("approved", "alice", "looks fine")
    assert before <= last.at <= r.clock()
    # The approved call stays usable for as long as the approvers had to decide.
    assert approved.expires == pytest.approx(last.at + (asked.expires - asked.created), abs=1e-3)
    assert await r.first.get(asked.id) == approved
    assert [a.id for a in await r.first.list("approved")] == [asked.id]
    assert asked.id not in [a.id for a in await r.first.list("pending")]


async def deny_records_who_when_why(r: Replicas) -> None:
    asked = await r.opened()
    denied = await r.second.decide(asked.id, False, "bob", "no new instances")
    assert denied.status == "denied"
    assert denied.history[-1] == Transition(
        "denied", "bob", denied.history[-1].at, "no new instances"
    )
    assert denied.expires == asked.expires
    assert await r.first.consume(asked.binding) is None
    assert [a.id for a in await r.second.list("denied")] == [asked.id]
    # A denied call asked again is a new question, not the old answer.
    again, new = await r.first.open(r.approval())
    assert new and again.id != asked.id


async def second_decision_conflicts(r: Replicas) -> None:
    asked = await r.opened()
    await r.first.decide(asked.id, True, "alice", "")
    with pytest.raises(ConflictError, match="already approved by alice"):
        await r.second.decide(asked.id, False, "bob", "too late")
    with pytest.raises(ConflictError):
        await r.first.decide(asked.id, True, "alice", "again")
    got = await r.first.get(asked.id)
    assert got is not None and got.status == "approved" and len(got.history) == 1


async def concurrent_decisions_have_one_winner(r: Replicas) -> None:
    asked = await r.opened()
    results = await asyncio.gather(
        r.first.decide(asked.id, True, "alice", ""),
        r.second.decide(asked.id, False, "bob", "no"),
        return_exceptions=True,
    )
    won = [x for x in results if isinstance(x, Approval)]
    lost = [x for x in results if isinstance(x, ConflictError)]
    assert len(won) == 1 and len(lost) == 1
    got = await r.first.get(asked.id)
    assert got is not None and got.status == won[0].status and len(got.history) == 1


async def concurrent_opens_queue_one_approval(r: Replicas) -> None:
    results = await asyncio.gather(
        *(store.open(r.approval()) for store in (r.first, r.second, r.first, r.second))
    )
    assert sum(new for _, new in results) == 1
    assert len({a.id for a, _ in results}) == 1


async def unknown_ids_are_not_found(r: Replicas) -> None:
    assert await r.first.get("apr_missing") is None
    with pytest.raises(NotFoundError):
        await r.first.decide("apr_missing", True, "alice", "")
    with pytest.raises(NotFoundError):
        await r.second.wait("apr_missing", 1)
    assert await r.first.consume(binding("nobody", "bash", {})) is None


async def wait_is_woken_by_a_decision_on_another_replica(r: Replicas) -> None:
    asked = await r.opened()
    await r.listening(r.first)
    waiting = asyncio.create_task(r.first.wait(asked.id, 30))
    await asyncio.sleep(0.2)
    assert not waiting.done()
    start = time.monotonic()
    await r.second.decide(asked.id, True, "alice", "go")
    final = await asyncio.wait_for(waiting, 5)
    assert time.monotonic() - start < FAST
    assert final.status == "approved" and final.history[-1].by == "alice"


async def wait_sees_a_denial(r: Replicas) -> None:
    asked = await r.opened()
    waiting = asyncio.create_task(r.first.wait(asked.id, 30))
    await asyncio.sleep(0.1)
    await r.second.decide(asked.id, False, "bob", "no")
    final = await asyncio.wait_for(waiting, 5)
    assert final.status == "denied" and final.history[-1].reason == "no"


async def wait_on_a_decided_approval_returns_at_once(r: Replicas) -> None:
    asked = await r.opened()
    await r.second.decide(asked.id, False, "bob", "no")
    start = time.monotonic()
    final = await r.first.wait(asked.id, 30)
    assert final.status == "denied" and time.monotonic() - start < FAST


async def wait_timeout_expires_the_approval(r: Replicas) -> None:
    asked = await r.opened()
    start = time.monotonic()
    final = await r.first.wait(asked.id, 0.3)
    assert 0.29 <= time.monotonic() - start < 0.3 + FAST
    assert final.status == "expired"
    last = final.history[-1]
    assert (last.status, last.by, last.reason) == ("expired", "airlock", "approval timed out")
    with pytest.raises(ConflictError, match="already expired"):
        await r.second.decide(asked.id, True, "alice", "late")
    got = await r.second.get(asked.id)
    assert got is not None and got.status == "expired"
    assert [a.id for a in await r.second.list("expired")] == [asked.id]


async def wait_ends_at_the_approvals_expiry(r: Replicas) -> None:
    asked = await r.opened(r.approval(ttl=0.3))
    start = time.monotonic()
    final = await r.first.wait(asked.id, 30)
    assert time.monotonic() - start < 0.3 + FAST
    assert final.status == "expired"


async def consume_is_single_use(r: Replicas) -> None:
    asked = await r.opened()
    assert await r.first.consume(asked.binding) is None  # pending: nothing to take yet
    await r.second.decide(asked.id, True, "alice", "")
    joined, new = await r.first.open(r.approval())
    assert not new and joined.id == asked.id and joined.status == "approved"
    taken = await r.first.consume(asked.binding)
    assert taken is not None and taken.id == asked.id and taken.used
    assert await r.second.consume(asked.binding) is None
    assert await r.first.consume(asked.binding) is None
    used = await r.second.get(asked.id)
    assert used is not None and used.used and used.status == "approved"
    # Once used, the same call asks again.
    again, new = await r.second.open(r.approval())
    assert new and again.id != asked.id and again.status == "pending"


async def concurrent_consumes_have_one_winner(r: Replicas) -> None:
    asked = await r.opened()
    await r.first.decide(asked.id, True, "alice", "")
    taken = await asyncio.gather(*(s.consume(asked.binding) for s in [r.first, r.second] * 3))
    assert sum(t is not None for t in taken) == 1


async def consume_takes_only_its_own_binding(r: Replicas) -> None:
    asked = await r.opened()
    await r.first.decide(asked.id, True, "alice", "")
    other = binding("build-bot", "bash", {"command": "aws ec2 run-instances --count 9"})
    assert await r.first.consume(other) is None
    assert await r.first.consume(binding("other-bot", "bash", asked.arguments)) is None
    assert await r.first.consume(asked.binding) is not None


async def pending_past_expiry_reads_as_expired(r: Replicas) -> None:
    asked = await r.opened(r.approval(ttl=60))
    r.clock.advance(61)
    got = await r.second.get(asked.id)
    assert got is not None and got.status == "expired"
    assert got.history[-1].reason == "approval timed out"
    assert asked.id not in [a.id for a in await r.first.list("pending")]
    assert asked.id in [a.id for a in await r.first.list("expired")]
    with pytest.raises(ConflictError):
        await r.first.decide(asked.id, True, "alice", "")
    again, new = await r.first.open(r.approval())
    assert new and again.id != asked.id


async def listing_sweeps_expired_pending(r: Replicas) -> None:
    asked = await r.opened(r.approval(ttl=60))
    r.clock.advance(61)
    # Never read one by one: listing alone must report it expired, in every view.
    assert [a.status for a in await r.second.list()] == ["expired"]
    assert [a.id for a in await r.first.list("expired")] == [asked.id]
    assert await r.first.list("pending") == []


async def approved_call_expires_unused(r: Replicas) -> None:
    asked = await r.opened(r.approval(ttl=60))
    await r.first.decide(asked.id, True, "alice", "")
    r.clock.advance(61)
    assert await r.second.consume(asked.binding) is None
    again, new = await r.second.open(r.approval())
    assert new and again.id != asked.id
    got = await r.first.get(asked.id)
    assert got is not None and got.status == "approved" and not got.used


async def list_is_newest_first_and_limited(r: Replicas) -> None:
    ids = []
    for n in range(5):
        ids.append((await r.opened(r.approval({"n": n}))).id)
        r.clock.advance(1)
    await r.first.decide(ids[1], False, "bob", "no")
    assert [a.id for a in await r.second.list()] == ids[::-1]
    assert [a.id for a in await r.second.list(limit=2)] == ids[:2:-1]
    assert [a.id for a in await r.second.list("pending")] == [ids[4], ids[3], ids[2], ids[0]]
    assert await r.second.list("approved") == []


async def events_reach_every_replica(r: Replicas) -> None:
    events = r.second.events()
    await r.listening(r.second)
    asked = await r.opened()
    created = await next_event(events)
    assert (created.kind, created.approval) == ("created", asked)
    await r.first.decide(asked.id, False, "bob", "no")
    denied = await next_event(events)
    assert denied.kind == "denied" and denied.approval.history[-1].by == "bob"
    expiring = await r.opened(r.approval({"other": True}))
    assert (await next_event(events)).approval.id == expiring.id
    await r.first.wait(expiring.id, 0.05)
    expired = await next_event(events)
    assert (expired.kind, expired.approval.id) == ("expired", expiring.id)
    stale = await r.opened(r.approval({"stale": True}, ttl=10))
    assert (await next_event(events)).approval.id == stale.id
    r.clock.advance(11)
    await r.first.list()
    assert (await next_event(events)).kind == "expired"


async def stored_approvals_are_copies(r: Replicas) -> None:
    asked = await r.opened()
    got = await r.first.get(asked.id)
    assert got is not None
    got.status = "approved"
    got.history.append(Transition("approved", "mallory", 0.0))
    again = await r.first.get(asked.id)
    assert again is not None and again.status == "pending" and again.history == []


SCENARIOS: list[Scenario] = [
    open_queues_a_pending_approval,
    same_call_joins_and_other_calls_do_not,
    approve_records_who_when_why,
    deny_records_who_when_why,
    second_decision_conflicts,
    concurrent_decisions_have_one_winner,
    concurrent_opens_queue_one_approval,
    unknown_ids_are_not_found,
    wait_is_woken_by_a_decision_on_another_replica,
    wait_sees_a_denial,
    wait_on_a_decided_approval_returns_at_once,
    wait_timeout_expires_the_approval,
    wait_ends_at_the_approvals_expiry,
    consume_is_single_use,
    concurrent_consumes_have_one_winner,
    consume_takes_only_its_own_binding,
    pending_past_expiry_reads_as_expired,
    listing_sweeps_expired_pending,
    approved_call_expires_unused,
    list_is_newest_first_and_limited,
    events_reach_every_replica,
    stored_approvals_are_copies,
]
