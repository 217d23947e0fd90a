"""Escalated calls: queue them for a human, then wait (hold) or answer at once (async).

An approval is bound to one exact call (agent + tool + canonical arguments), single-use, and
expires. A retry of the same call joins the pending approval, and once approved receives the
call once. Whatever the approval store cannot answer is denied (fail closed).

When the gateway shuts down (`drain`), held requests are answered at once, their calls denied
with "retry the same request", and their approvals stay pending in the store: a held request
must not hold up a shutdown for minutes, and the agent's retry joins the same approval on
whichever replica serves it.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable, Sequence
from typing import Any, Literal

import orjson

from gateway import metrics
from gateway.approvals.base import Approval, ApprovalStore, binding
from gateway.errors import StateError
from gateway.firewall.masking import masked, secret_values
from gateway.firewall.normalize import mask_secrets
from gateway.models import PolicyInput, Reason
from gateway.redact import Redactor

log = logging.getLogger("airlock.approvals")

EXCERPT_MESSAGES = 4
EXCERPT_CHARS = 600
SHUTTING_DOWN = "gateway shutting down; retry the same request"


def excerpt(messages: Sequence[Any]) -> list[dict[str, str]]:
    """The last few messages of the conversation, short and masked, for the approver."""
    out = []
    for message in list(messages)[-EXCERPT_MESSAGES:]:
        if not isinstance(message, dict):
            continue
        content = message.get("content")
        if not isinstance(content, str):
            content = orjson.dumps(content).decode() if content is not None else ""
        if len(content) > EXCERPT_CHARS:
            content = content[:EXCERPT_CHARS] + "…"
        out.append({"role": str(message.get("role", "")), "content": mask_secrets(content)})
    return out


class Outcome:
    """How one escalation ended, for the verdict."""

    __slots__ = ("allowed", "approval_id", "reason")

    def __init__(self, allowed: bool, reason: Reason, approval_id: str | None) -> None:
        self.allowed = allowed
        self.reason = reason
        self.approval_id = approval_id


def _reason(rule: str, message: str) -> Reason:
    return Reason(f"airlock.approval.{rule}", "approval", message)


class Escalations:
    def __init__(
        self,
        store: ApprovalStore,
        *,
        mode: Literal["hold", "async"],
        timeout_seconds: float,
        notify: Callable[[Approval], None] | None = None,
        redactor: Redactor | None = None,
    ) -> None:
        self.store = store
        self.mode = mode
        self.timeout = timeout_seconds
        self._notify = notify
        self._redactor = redactor or Redactor()
        self._closing = asyncio.Event()

    def drain(self) -> None:
        """Answer every held request now, and hold none from here on (see the module docstring)."""
        self._closing.set()

    async def resolve(
        self,
        request_id: str,
        model: str,
        messages: Sequence[Any],
        inputs: Sequence[PolicyInput],
        reasons: Sequence[list[Reason]],
    ) -> list[Outcome]:
        """One outcome per escalated input; the calls of one answer wait together."""
        return list(
            await asyncio.gather(
                *(
                    self._one(request_id, model, messages, i, r)
                    for i, r in zip(inputs, reasons, strict=True)
                )
            )
        )

    async def _one(
        self,
        request_id: str,
        model: str,
        messages: Sequence[Any],
        policy_input: PolicyInput,
        reasons: list[Reason],
    ) -> Outcome:
        call = policy_input.tool_call
        bound = binding(policy_input.agent.id, call.name, call.arguments)
        try:
            granted = await self.store.consume(bound)
            if granted is not None:
                return self._granted(granted)
            now = time.time()
            # The configured secrets, and the call's own secrets wherever else they appear.
            exact = self._redactor.extended(secret_values(call.arguments))
            approval, new = await self.store.open(
                Approval(
                    id="apr_" + secrets.token_hex(8),
                    binding=bound,
                    agent=policy_input.agent.id,
                    team=policy_input.agent.team,
                    request_id=request_id,
                    model=model,
                    tool_name=call.name,
                    arguments=masked(call.arguments, exact),
                    facts=masked(orjson.loads(orjson.dumps(policy_input.action)), exact),
                    reasons=[Reason(r.rule, r.category, masked(r.message, exact)) for r in reasons],
                    excerpt=exact.data(excerpt(messages)),
                    created=now,
                    expires=now + self.timeout,
                )
            )
            if new and self._notify is not None:
                self._notify(approval)
            if self.mode == "async":
                message = (
                    f"approval pending ({approval.id}): a human must approve this exact call; "
                    "retry the same request later to receive it once approved"
                )
                return Outcome(False, _reason("pending", message), approval.id)
            final = await self._hold(approval)
            if final is None:
                message = f"{SHUTTING_DOWN} (approval {approval.id} is still pending)"
                return Outcome(False, _reason("shutdown", message), approval.id)
            if final.status == "approved":
                granted = await self.store.consume(bound)
                if granted is not None:
                    return self._granted(granted)
                return Outcome(False, _reason("used", "the approval was already used"), final.id)
            if final.status == "denied":
                last = final.history[-1] if final.history else None
                who = f" by {last.by}" if last else ""
                why = f": {last.reason}" if last and last.reason else ""
                return Outcome(False, _reason("denied", f"denied{who}{why}"), final.id)
            return Outcome(False, _reason("timeout", "approval timed out"), final.id)
        except StateError as exc:
            metrics.state_error("approvals")
            log.error("approval store unavailable for %s: %s", request_id, exc)
            return Outcome(
                False, _reason("unavailable", f"approval store unavailable: {exc}"), None
            )

    async def _hold(self, approval: Approval) -> Approval | None:
        """The approval once decided or expired; None if the gateway began to shut down first."""
        if self._closing.is_set():
            return None
        timeout = max(0.0, approval.expires - time.time())
        waiting = asyncio.ensure_future(self.store.wait(approval.id, timeout))
        closing = asyncio.ensure_future(self._closing.wait())
        metrics.APPROVALS_HELD.inc()
        try:
            await asyncio.wait((waiting, closing), return_when=asyncio.FIRST_COMPLETED)
        finally:
            metrics.APPROVALS_HELD.dec()
            closing.cancel()
            if not waiting.done():
                waiting.cancel()  # the approval itself stays pending, for the agent's retry
                await asyncio.gather(waiting, return_exceptions=True)
        return waiting.result() if waiting.done() and not waiting.cancelled() else None

    @staticmethod
    def _granted(approval: Approval) -> Outcome:
        last = approval.history[-1] if approval.history else None
        who = f" by {last.by}" if last else ""
        return Outcome(True, _reason("granted", f"approved{who} ({approval.id})"), approval.id)
