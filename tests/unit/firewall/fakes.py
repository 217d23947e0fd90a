"""Small fakes we own: a policy engine that decides by tool name, an in-memory audit sink."""

from __future__ import annotations

from collections.abc import Sequence

from gateway.audit import AuditRecord, AuditSink
from gateway.errors import PolicyError
from gateway.firewall.decide import Firewall, RequestContext
from gateway.models import Agent, Decision, PolicyInput, Reason


class NameEngine:
    """Denies tools named `deny_*`, escalates `ask_*`, allows the rest; can be told to fail."""

    name = "fake"
    revision = "rev-test"

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.seen: list[PolicyInput] = []

    async def evaluate(self, inputs: Sequence[PolicyInput]) -> list[Decision]:
        if self.fail:
            raise PolicyError("engine exploded")
        self.seen.extend(inputs)
        return [self._decide(i) for i in inputs]

    @staticmethod
    def _decide(policy_input: PolicyInput) -> Decision:
        name = policy_input.tool_call.name
        if name.startswith("deny_"):
            return Decision("deny", [Reason("test.deny", "test", f"{name} is forbidden")])
        if name.startswith("ask_"):
            return Decision("escalate", [Reason("test.ask", "test", f"{name} needs a human")])
        return Decision("allow")

    async def aclose(self) -> None:
        return None


class MemoryAudit(AuditSink):
    def __init__(self) -> None:
        self.records: list[AuditRecord] = []

    def write(self, record: AuditRecord) -> None:
        self.records.append(record)

    def close(self) -> None:
        return None


def firewall(**kwargs: bool) -> tuple[Firewall, NameEngine, MemoryAudit]:
    engine = NameEngine(fail=kwargs.pop("fail", False))
    audit = MemoryAudit()
    return Firewall(engine, audit, **kwargs), engine, audit


def context(stream: bool = False) -> RequestContext:
    return RequestContext(
        "req_test", Agent("agent-1", "team-1"), "gpt-test", "chat.completions", stream
    )
