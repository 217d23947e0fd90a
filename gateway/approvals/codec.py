"""Approvals to and from JSON (orjson), the one format both stores and the API use."""

from __future__ import annotations

from typing import Any

import orjson

from gateway.approvals.base import Approval, ApprovalEvent, Transition
from gateway.models import Reason

EXPIRED_REASON = "approval timed out"
EXPIRED_BY = "airlock"


def dumps(value: Approval | Transition) -> bytes:
    return orjson.dumps(value)


def from_data(data: dict[str, Any]) -> Approval:
    """An `Approval` from its JSON data (dataclass fields, as `dumps` wrote them)."""
    fields = dict(data)
    fields["reasons"] = [Reason(**r) for r in fields["reasons"]]
    fields["history"] = [Transition(**t) for t in fields["history"]]
    return Approval(**fields)


def from_snapshot(data: dict[str, Any]) -> Approval:
    """The Redis scripts' snapshot: the body written at creation plus the mutable fields."""
    body = dict(data["body"])
    for name in ("status", "used", "expires", "history"):
        body[name] = data[name]
    return from_data(body)


def event_from_json(raw: bytes) -> ApprovalEvent:
    data = orjson.loads(raw)
    return ApprovalEvent(kind=data["kind"], approval=from_snapshot(data["approval"]))


def expiry(now: float) -> Transition:
    return Transition(status="expired", by=EXPIRED_BY, at=now, reason=EXPIRED_REASON)


def is_live(approval: Approval, now: float) -> bool:
    """Whether a new call with the same binding joins this approval instead of opening one."""
    if approval.status == "pending":
        return now < approval.expires
    return approval.status == "approved" and not approval.used and now < approval.expires


def settled(approval: Approval) -> str:
    """Why a decision is refused: the approval already has its final status."""
    last = approval.history[-1] if approval.history else None
    by = f" by {last.by}" if last is not None and last.status == approval.status else ""
    return f"Approval {approval.id} is already {approval.status}{by}."
