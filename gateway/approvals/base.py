"""The approval lifecycle's types and store interface (DESIGN.md, "Approvals").

An approval covers exactly one call: the sha256 of agent id + tool name + canonical JSON
arguments (`binding`). It is single-use and expires. States: pending → approved | denied |
expired; every transition is recorded with who, when and why. A retry of the same call by the
same agent joins the pending approval instead of queueing a duplicate.

Everything stored here is already masked by the firewall: no secret reaches an approval.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import orjson

from gateway.models import Reason

Status = Literal["pending", "approved", "denied", "expired"]
FINAL: frozenset[str] = frozenset({"approved", "denied", "expired"})


def binding(agent: str, tool_name: str, arguments: Any) -> str:
    """sha256 over agent id, tool name and the arguments as canonical JSON (sorted keys)."""
    canonical = orjson.dumps(arguments, option=orjson.OPT_SORT_KEYS)
    material = orjson.dumps([agent, tool_name]) + b"\n" + canonical
    return hashlib.sha256(material).hexdigest()


@dataclass(slots=True)
class Transition:
    status: Status
    by: str  # an approver's name, "airlock" for expiry
    at: float  # unix seconds
    reason: str = ""


@dataclass(slots=True)
class Approval:
    id: str  # "apr_" + 16 hex
    binding: str
    agent: str
    team: str | None
    request_id: str
    model: str
    tool_name: str
    arguments: Any  # masked
    facts: Any  # masked ActionFacts as JSON data
    reasons: list[Reason]
    excerpt: list[dict[str, str]]  # the last few messages, {"role", "content"}, masked, short
    created: float
    expires: float
    status: Status = "pending"
    used: bool = False  # an approved call is delivered once
    history: list[Transition] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ApprovalEvent:
    """What the live stream (`GET /approvals/stream`) carries: `created` or a new status."""

    kind: Literal["created", "approved", "denied", "expired"]
    approval: Approval


class ApprovalStore(Protocol):
    """Raises `gateway.errors.StateError` when the backing store cannot answer."""

    async def open(self, approval: Approval) -> tuple[Approval, bool]:
        """Queue `approval`, or join the live one with the same binding (pending, or approved
        and not yet used). Returns the approval that now stands and whether it is new."""
        ...

    async def get(self, approval_id: str) -> Approval | None: ...

    async def list(self, status: Status | None = None, limit: int = 200) -> list[Approval]:
        """Newest first. Pending approvals past their expiry are listed as expired."""
        ...

    async def decide(self, approval_id: str, approve: bool, by: str, reason: str) -> Approval:
        """pending → approved | denied. Raises NotFoundError, or ConflictError when the
        approval is no longer pending (a second decision, or it expired)."""
        ...

    async def wait(self, approval_id: str, timeout: float) -> Approval:  # noqa: ASYNC109
        """Until the approval is decided or `timeout` passes (then it is expired). Woken by a
        decision on any replica (pub/sub or a blocking pop), never by polling in a loop."""
        ...

    async def consume(self, binding: str) -> Approval | None:
        """Atomically take the approved, unused approval for this binding (single use)."""
        ...

    def events(self) -> AsyncIterator[ApprovalEvent]:
        """Live events from every replica, until the consumer stops iterating."""
        ...

    async def aclose(self) -> None: ...
