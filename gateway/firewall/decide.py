"""From tool calls to enforced verdicts: facts, policy, fail-closed handling, audit."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from gateway import metrics
from gateway.audit import AuditRecord, AuditSink
from gateway.errors import PolicyError, StateError
from gateway.firewall.escalate import Escalations
from gateway.firewall.masking import masked, secret_values
from gateway.firewall.normalize import normalize, parse_arguments
from gateway.models import (
    Agent,
    Decision,
    PolicyInput,
    Reason,
    RequestInfo,
    ToolCall,
    ToolCallInput,
    Usage,
)
from gateway.policy import PolicyEngine
from gateway.redact import Redactor
from gateway.state.base import Quota, StateStore

log = logging.getLogger("airlock.firewall")

APPROVAL_REQUIRED = Reason("airlock.approval_required", "approval", "approval required")
RATE_LIMITED = Reason(
    "airlock.rate.tool_calls", "rate_limit", "the agent's tool-call rate limit is exhausted"
)
# Reasons the gateway gives itself when it refuses a call for a fault or a limit.
_NOT_POLICY = frozenset({"error", "rate_limit"})


@dataclass(slots=True)
class RequestContext:
    request_id: str
    agent: Agent
    model: str
    endpoint: str
    stream: bool
    quotas: tuple[Quota, ...] = ()
    messages: Sequence[Any] = ()  # the conversation, for an approver's excerpt


@dataclass(slots=True)
class Verdict:
    call: ToolCall
    decision: Decision  # what the policy said, or the fail-closed decision
    allowed: bool  # what is enforced: in monitor mode every call is allowed
    approval_id: str | None = None


def denied_by_policy(decision: Decision) -> bool:
    """What an agent's quarantine counts: a call the policy denied. A refusal for a fault (a
    malformed answer, the engine or the state store down) or for the rate limit alone is not
    the agent reaching for something forbidden."""
    return decision.action == "deny" and any(
        r.category not in _NOT_POLICY for r in decision.reasons
    )


class Firewall:
    """Decides every tool call of one answer together, and records each decision."""

    def __init__(
        self,
        engine: PolicyEngine,
        audit: AuditSink,
        *,
        state: StateStore | None = None,
        escalations: Escalations | None = None,
        monitor: bool = False,
        fail_open: bool = False,
        state_fail_open: bool = False,
    ) -> None:
        self.engine = engine
        self.audit = audit
        self.state = state
        self.escalations = escalations
        self.monitor = monitor
        self.fail_open = fail_open
        self.state_fail_open = state_fail_open

    async def decide(self, ctx: RequestContext, calls: Sequence[ToolCall]) -> list[Verdict]:
        if not calls:
            return []
        started = time.perf_counter()
        try:
            usage, granted = await self._usage(ctx, len(calls))
        except StateError as exc:
            return self.refuse(ctx, calls, f"the state store is unavailable: {exc}")
        inputs = self._inputs(ctx, calls, usage)
        engine = self.engine  # the answer is decided and recorded on one engine across reloads
        evaluating = time.perf_counter()
        try:
            decisions = await engine.evaluate(inputs)
        except PolicyError as exc:
            log.error("policy evaluation failed for %s: %s", ctx.request_id, exc)
            decisions = [self._on_error(str(exc)) for _ in calls]
        metrics.policy_latency(engine.name, time.perf_counter() - evaluating)
        decisions[granted:] = [
            Decision("deny", [*d.reasons, RATE_LIMITED]) for d in decisions[granted:]
        ]
        verdicts = [self._enforce(call, d) for call, d in zip(calls, decisions, strict=True)]
        await self._escalate(ctx, inputs, verdicts)
        return self._conclude(ctx, inputs, verdicts, started, engine)

    async def _escalate(
        self, ctx: RequestContext, inputs: list[PolicyInput], verdicts: list[Verdict]
    ) -> None:
        """Escalated calls go to a human (or, without an approval store, are denied)."""
        waiting = [i for i, v in enumerate(verdicts) if v.decision.action == "escalate"]
        if not waiting or self.monitor:
            return
        if self.escalations is None:
            for i in waiting:
                verdicts[i].decision.reasons.append(APPROVAL_REQUIRED)
            return
        outcomes = await self.escalations.resolve(
            ctx.request_id,
            ctx.model,
            ctx.messages,
            [inputs[i] for i in waiting],
            [verdicts[i].decision.reasons for i in waiting],
        )
        for i, outcome in zip(waiting, outcomes, strict=True):
            verdicts[i].allowed = outcome.allowed
            verdicts[i].approval_id = outcome.approval_id
            verdicts[i].decision.reasons.append(outcome.reason)

    async def _usage(self, ctx: RequestContext, count: int) -> tuple[Usage, int]:
        """The agent's usage for policy, and how many calls fit its tool-call rate."""
        if self.state is None:
            return Usage(), count
        try:
            grant = await self.state.tool_calls(ctx.agent.id, ctx.quotas, count)
        except StateError:
            if not self.state_fail_open:
                raise
            log.warning("state store unavailable: deciding without usage (on_error=allow)")
            return Usage(), count
        return grant.usage, grant.granted

    def refuse(self, ctx: RequestContext, calls: Sequence[ToolCall], cause: str) -> list[Verdict]:
        """Deny calls that cannot be decided faithfully (e.g. a malformed stream), and record it."""
        started = time.perf_counter()
        reason = Reason("airlock.malformed_answer", "error", cause)
        verdicts = [Verdict(call, Decision("deny", [reason]), self.monitor) for call in calls]
        return self._conclude(ctx, self._inputs(ctx, calls), verdicts, started)

    def _conclude(
        self,
        ctx: RequestContext,
        inputs: list[PolicyInput],
        verdicts: list[Verdict],
        started: float,
        engine: PolicyEngine | None = None,
    ) -> list[Verdict]:
        latency_ms = (time.perf_counter() - started) * 1000
        engine = engine or self.engine
        for policy_input, verdict in zip(inputs, verdicts, strict=True):
            record = self._record(ctx.request_id, policy_input, verdict, latency_ms, engine)
            self.audit.write(record)
            metrics.decided(verdict.decision.action, record.rules, verdict.allowed)
        return verdicts

    @staticmethod
    def _inputs(
        ctx: RequestContext, calls: Sequence[ToolCall], usage: Usage | None = None
    ) -> list[PolicyInput]:
        request = RequestInfo(ctx.request_id, ctx.model, ctx.endpoint, ctx.stream)
        return [policy_input(ctx.agent, request, call, usage or Usage()) for call in calls]

    def _on_error(self, cause: str) -> Decision:
        reason = Reason("airlock.policy_error", "error", f"policy could not be evaluated: {cause}")
        return Decision("allow" if self.fail_open else "deny", [reason])

    def _record(
        self,
        request_id: str,
        policy_input: PolicyInput,
        verdict: Verdict,
        latency_ms: float,
        engine: PolicyEngine,
    ) -> AuditRecord:
        call = policy_input.tool_call
        reasons = verdict.decision.reasons
        exact = Redactor(secret_values(call.arguments))  # also where facts split them apart
        return AuditRecord(
            request_id=request_id,
            agent=policy_input.agent.id,
            team=policy_input.agent.team,
            tool_call_id=call.id,
            tool_name=call.name,
            arguments=masked(call.arguments, exact),
            arguments_error=call.arguments_error,
            facts=masked(orjson.loads(orjson.dumps(policy_input.action)), exact),
            decision=verdict.decision.action,
            enforced="allow" if verdict.allowed else "block",
            rules=[r.rule for r in reasons],
            reasons=[
                {"rule": r.rule, "category": r.category, "message": masked(r.message, exact)}
                for r in reasons
            ],
            engine=engine.name,
            policy_revision=engine.revision,
            latency_ms=round(latency_ms, 3),
            mode="monitor" if self.monitor else "enforce",
            approval_id=verdict.approval_id,
        )

    def _enforce(self, call: ToolCall, decision: Decision) -> Verdict:
        # A copy: engines may hand out shared decisions, and approvals append reasons.
        decision = Decision(decision.action, list(decision.reasons))
        return Verdict(call, decision, self.monitor or decision.action == "allow")


def policy_input(
    agent: Agent, request: RequestInfo, call: ToolCall, usage: Usage | None = None
) -> PolicyInput:
    """The Rego `input` for one call: its arguments parsed (or flagged) and its facts."""
    arguments, error = parse_arguments(call.arguments)
    return PolicyInput(
        agent=agent,
        request=request,
        tool_call=ToolCallInput(call.id, call.name, arguments, error),
        action=normalize(call.name, arguments, error),
        usage=usage or Usage(),
    )


def strongest(verdicts: Sequence[Verdict]) -> str:
    """The `x-airlock-decision` header: deny outranks escalate outranks allow."""
    if not verdicts:
        return "none"
    actions = {v.decision.action for v in verdicts}
    for action in ("deny", "escalate"):
        if action in actions:
            return action
    return "allow"
