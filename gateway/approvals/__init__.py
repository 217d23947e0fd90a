"""The approval lifecycle: escalated tool calls waiting for a human (DESIGN.md, "Approvals")."""

from __future__ import annotations

from gateway.approvals.base import (
    FINAL,
    Approval,
    ApprovalEvent,
    ApprovalStore,
    Status,
    Transition,
    binding,
)
from gateway.approvals.memory import MemoryApprovals

__all__ = [
    "FINAL",
    "Approval",
    "ApprovalEvent",
    "ApprovalStore",
    "MemoryApprovals",
    "Status",
    "Transition",
    "binding",
    "open_approvals",
]


def open_approvals(redis_url: str | None) -> ApprovalStore:
    """Approvals in Redis when a URL is given (shared by replicas), else in this process."""
    if redis_url is None:
        return MemoryApprovals()
    from gateway.approvals.redis import RedisApprovals

    return RedisApprovals(redis_url)
