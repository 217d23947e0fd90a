from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import pytest

from gateway.errors import PolicyError
from gateway.models import Agent, Decision, PolicyInput, Usage
from gateway.policy import EmbeddedEngine, load_policy_files
from gateway.policy.cache import CachedEngine, cached
from tests.unit.policy.samples import POLICY, policy_input, write_policy

# A quarantine that reads one usage field (its finding denies, as payment's do).
QUARANTINE = """package airlock.quarantine

findings contains {"rule": "q", "category": "payment", "message": "m"} if {
	count(input.usage.recent_denials_seconds_ago) > 2
}
"""
WITH_QUARANTINE = {
    **POLICY,
    "airlock/quarantine/quarantine.rego": QUARANTINE,
    "airlock/main.rego": POLICY["airlock/main.rego"].replace(
        "findings := data.airlock.cloud.findings | data.airlock.payment.findings",
        "findings := (data.airlock.cloud.findings | data.airlock.payment.findings)"
        " | data.airlock.quarantine.findings",
    ),
}


class Counting:
    """The real embedded engine, counting the inputs it is asked to evaluate."""

    def __init__(self, engine: EmbeddedEngine) -> None:
        self.engine = engine
        self.name = engine.name
        self.revision = engine.revision
        self.evaluated = 0

    async def evaluate(self, inputs: Sequence[PolicyInput]) -> list[Decision]:
        self.evaluated += len(inputs)
        return await self.engine.evaluate(inputs)

    async def aclose(self) -> None:
        await self.engine.aclose()


def engine_on(tmp_path: Path, files: dict[str, str], size: int = 16) -> tuple[Counting, object]:
    loaded = load_policy_files([write_policy(tmp_path, files)])
    counting = Counting(EmbeddedEngine(loaded))
    return counting, cached(counting, loaded, size)


async def test_a_repeated_call_is_evaluated_once(tmp_path: Path) -> None:
    counting, engine = engine_on(tmp_path, POLICY)
    assert isinstance(engine, CachedEngine)
    first = await engine.evaluate([policy_input("aws ec2 run-instances")])
    # the same call in another request, with another tool-call id
    again = policy_input("aws ec2 run-instances", call_id="call_2")
    again.request.id = "req_2"
    assert await engine.evaluate([again]) == first
    assert counting.evaluated == 1
    assert (engine.name, engine.revision) == (counting.name, counting.revision)
    await engine.aclose()


async def test_what_a_decision_may_depend_on_is_in_the_key(tmp_path: Path) -> None:
    counting, engine = engine_on(tmp_path, POLICY)
    base = policy_input("ls -la")
    others = [
        policy_input("ls -la /tmp"),  # arguments
        policy_input("ls -la", name="shell"),  # tool name
        dataclasses.replace(base, agent=Agent(id="other", team="policy")),
        dataclasses.replace(base, request=dataclasses.replace(base.request, model="o3")),
        dataclasses.replace(base, version=2),
    ]
    await engine.evaluate([base, *others])
    await engine.evaluate([base, *others])
    assert counting.evaluated == 1 + len(others)
    await engine.aclose()


async def test_usage_is_in_the_key_only_as_far_as_the_policy_reads_it(tmp_path: Path) -> None:
    counting, engine = engine_on(tmp_path, WITH_QUARANTINE)
    base = policy_input("ls")
    busier = dataclasses.replace(base, usage=Usage(tool_calls_last_minute=50))  # not read
    denied = dataclasses.replace(base, usage=Usage(recent_denials_seconds_ago=[1, 2, 3]))
    decisions = await engine.evaluate([base, busier, denied])
    assert counting.evaluated == 2
    assert [d.action for d in decisions] == ["allow", "allow", "deny"]
    await engine.aclose()


async def test_a_policy_reading_usage_whole_keys_on_all_of_it(tmp_path: Path) -> None:
    whole = QUARANTINE.replace(
        "count(input.usage.recent_denials_seconds_ago) > 2", "u := input.usage\n\tu.x"
    )
    files = {**WITH_QUARANTINE, "airlock/quarantine/quarantine.rego": whole}
    counting, engine = engine_on(tmp_path, files)
    base = policy_input("ls")
    await engine.evaluate([base, dataclasses.replace(base, usage=Usage(denials_last_hour=1))])
    assert counting.evaluated == 2
    await engine.aclose()


async def test_least_recently_used_decisions_go_first(tmp_path: Path) -> None:
    counting, engine = engine_on(tmp_path, POLICY, size=2)
    a, b, c = policy_input("ls a"), policy_input("ls b"), policy_input("ls c")
    await engine.evaluate([a, b])
    await engine.evaluate([a])  # a is now the most recent
    await engine.evaluate([c])  # b goes
    assert counting.evaluated == 3
    await engine.evaluate([a, c])
    assert counting.evaluated == 3
    await engine.evaluate([b])
    assert counting.evaluated == 4
    await engine.aclose()


async def test_failures_are_not_remembered(tmp_path: Path) -> None:
    failing = "package airlock\n\ndecision := 1 / count(input.tool_call.arguments.missing)\n"
    counting, engine = engine_on(tmp_path, {"airlock/main.rego": failing})
    for _ in range(2):
        with pytest.raises(PolicyError):
            await engine.evaluate([policy_input("ls")])
    assert counting.evaluated == 2
    await engine.aclose()


@pytest.mark.parametrize("size", [0, 16])
async def test_no_cache_when_off_or_when_the_policy_reads_the_clock(
    tmp_path: Path, size: int
) -> None:
    clocked = POLICY["airlock/main.rego"].replace(
        "package airlock\n", "package airlock\n\nnow := time.now_ns()\n"
    )
    counting, engine = engine_on(tmp_path, {**POLICY, "airlock/main.rego": clocked}, size)
    assert engine is counting
    await counting.aclose()
