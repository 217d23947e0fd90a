from __future__ import annotations

import pytest

from gateway.firewall.decide import RATE_LIMITED, denied_by_policy
from gateway.models import Decision, Reason, ToolCall
from tests.unit.firewall.fakes import context, firewall

CALLS = [
    ToolCall("call_1", "read_file", '{"path": "README.md"}'),
    ToolCall("call_2", "deny_transfer", '{"amount": 5}'),
    ToolCall("call_3", "ask_launch", '{"size": "xl"}'),
]


@pytest.mark.parametrize(
    ("options", "allowed", "actions"),
    [
        ({}, [True, False, False], ["allow", "deny", "escalate"]),
        ({"monitor": True}, [True, True, True], ["allow", "deny", "escalate"]),
        ({"fail": True}, [False, False, False], ["deny", "deny", "deny"]),
        ({"fail": True, "fail_open": True}, [True, True, True], ["allow", "allow", "allow"]),
    ],
)
async def test_decide_enforces_each_mode(
    options: dict[str, bool], allowed: list[bool], actions: list[str]
) -> None:
    fw, _, audit = firewall(**options)
    verdicts = await fw.decide(context(), CALLS)
    assert [v.allowed for v in verdicts] == allowed
    assert [v.decision.action for v in verdicts] == actions
    assert [r.tool_call_id for r in audit.records] == ["call_1", "call_2", "call_3"]
    assert [r.enforced for r in audit.records] == ["allow" if a else "block" for a in allowed]


async def test_escalation_without_approvals_is_denied_with_reason() -> None:
    fw, _, _ = firewall()
    [verdict] = await fw.decide(context(), [CALLS[2]])
    assert not verdict.allowed
    assert verdict.decision.reasons[-1].message == "approval required"


async def test_policy_error_reason_names_the_cause() -> None:
    fw, _, audit = firewall(fail=True)
    [verdict] = await fw.decide(context(), [CALLS[0]])
    assert verdict.decision.reasons[0].rule == "airlock.policy_error"
    assert "engine exploded" in verdict.decision.reasons[0].message
    assert audit.records[0].rules == ["airlock.policy_error"]


async def test_broken_arguments_are_decided_and_flagged() -> None:
    fw, engine, _ = firewall()
    [verdict] = await fw.decide(context(), [ToolCall("c", "bash", '{"command": "aws ec2 run-inst')])
    assert verdict.allowed
    assert engine.seen[0].tool_call.arguments_error


async def test_audit_masks_secrets_in_arguments() -> None:
    fw, _, audit = firewall()
    key = "AKIA" + "IOSFODNN7EXAMPLE"
    await fw.decide(context(), [ToolCall("c", "bash", f'{{"command": "export K={key}"}}')])
    record = audit.records[0]
    assert key not in str(record.arguments)
    assert key not in str(record.facts)


async def test_no_calls_means_no_policy_work() -> None:
    fw, engine, audit = firewall()
    assert await fw.decide(context(), []) == []
    assert engine.seen == [] and audit.records == []


POLICY = Reason("airlock.credential_use.credential_file", "credential_use", "reads a key")
FAULT = Reason("airlock.policy_error", "error", "policy could not be evaluated")


@pytest.mark.parametrize(
    ("decision", "counted"),
    [
        (Decision("deny", [POLICY]), True),
        (Decision("deny", [POLICY, RATE_LIMITED]), True),
        (Decision("deny", [RATE_LIMITED]), False),
        (Decision("deny", [FAULT]), False),
        (Decision("escalate", [POLICY]), False),
        (Decision("allow"), False),
    ],
)
def test_quarantine_counts_what_the_policy_denied(decision: Decision, counted: bool) -> None:
    assert denied_by_policy(decision) is counted
