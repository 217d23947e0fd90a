"""Escalated calls: queue them for a human, then wait (hold) or answer at once (async).

An approval is bound to one exact call (agent + tool + canonical arguments), single-use, and
expires. A retry of the same call joins the pending approval, and once approved receives the
call once. Whatever the approval store cannot answer is denied (fail closed).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable, Sequence
from typing import Any, Literal

import orjson

from gateway.approvals.base import Approval, ApprovalStore, binding
from gateway.errors import StateError
from gateway.firewall.masking import masked
from gateway.firewall.normalize import mask_secrets
from gateway.models import PolicyInput, Reason

log = logging.getLogger("airlock.approvals")

EXCERPT_MESSAGES = 4
EXCERPT_CHARS = 600


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
    ) -> None:
        self.store = store
        self.mode = mode
        self.timeout = timeout_seconds
        self._notify = notify

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
            approval, new = await self.store.open(
                Approval(
                    id="apr_" + secrets.token_hex(8),
                    binding=bound,
                    agent=policy_input.agent.id,
                    team=policy_input.agent.team,
                    request_id=request_id,
                    model=model,
                    tool_name=call.name,
                    arguments=masked(call.arguments),
                    facts=masked(orjson.loads(orjson.dumps(policy_input.action))),
                    reasons=list(reasons),
                    excerpt=excerpt(messages),
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
            final = await self.store.wait(approval.id, max(0.0, approval.expires - time.time()))
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
            log.error("approval store unavailable for %s: %s", request_id, exc)
            return Outcome(
                False, _reason("unavailable", f"approval store unavailable: {exc}"), None
            )

    @staticmethod
    def _granted(approval: Approval) -> Outcome:
        last = approval.history[-1] if approval.history else None
        who = f" by {last.by}" if last else ""
        return Outcome(True, _reason("granted", f"approved{who} ({approval.id})"), approval.id)
