"""`MemoryApprovals`: the approval lifecycle in one process, with the Redis store's semantics.

Rules both stores share (the Redis store documents its keys):

- `open` joins the live approval with the same binding: pending and not past `expires`, or
  approved, unused and not past `expires`. Otherwise the new approval is queued as pending.
- A pending approval past `expires` is expired the moment anything reads it, with the
  transition ("expired", by "airlock", reason "approval timed out"); `list` sweeps them first.
- `decide` works only on a pending approval. Approving restarts the clock: the approved call
  stays usable for as long as the approvers had to decide (`expires - created`).
- `consume` marks an approved approval used, once; a used approval is never joined again.
- `wait` returns at the decision, or expires the approval at `timeout` (or at `expires`, if
  that comes first); a decision that lands at the same moment wins.
- Approvals are forgotten `retention_seconds` after their last change or their expiry.

Nothing here awaits between a check and its update, so each operation is atomic on one loop.
"""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Callable

from gateway.approvals.base import Approval, ApprovalEvent, Status, Transition
from gateway.approvals.codec import expiry, is_live, settled
from gateway.approvals.fanout import Fanout, Subscription
from gateway.errors import ConflictError, NotFoundError

RETENTION_SECONDS = 7 * 86400
FORGET_EVERY_SECONDS = 60


class MemoryApprovals:
    """In-process approvals for a single replica (see the module docstring)."""

    name = "memory"

    def __init__(
        self, clock: Callable[[], float] = time.time, retention_seconds: float = RETENTION_SECONDS
    ) -> None:
        self._clock = clock
        self._retention = retention_seconds
        self._approvals: dict[str, Approval] = {}
        self._kept_until: dict[str, float] = {}
        self._bindings: dict[str, str] = {}
        self._fanout = Fanout()
        self._forgotten_at = 0.0

    async def open(self, approval: Approval) -> tuple[Approval, bool]:
        now = self._clock()
        self._forget(now)
        current = self._approvals.get(self._bindings.get(approval.binding, ""))
        if current is not None:
            self._expire_if_stale(current, now)
            if is_live(current, now):
                return copy.deepcopy(current), False
        if approval.id in self._approvals:
            raise ConflictError(f"Approval {approval.id} already exists.")
        stored = copy.deepcopy(approval)
        stored.status, stored.used = "pending", False
        self._approvals[stored.id] = stored
        self._bindings[stored.binding] = stored.id
        self._keep(stored, now)
        self._fanout.publish(ApprovalEvent("created", copy.deepcopy(stored)))
        return copy.deepcopy(stored), True

    async def get(self, approval_id: str) -> Approval | None:
        approval = self._approvals.get(approval_id)
        if approval is None:
            return None
        self._expire_if_stale(approval, self._clock())
        return copy.deepcopy(approval)

    async def list(self, status: Status | None = None, limit: int = 200) -> list[Approval]:
        now = self._clock()
        for approval in list(self._approvals.values()):
            self._expire_if_stale(approval, now)
        found = [a for a in self._approvals.values() if status is None or a.status == status]
        found.sort(key=lambda a: a.created, reverse=True)
        return [copy.deepcopy(a) for a in found[: max(limit, 0)]]

    async def decide(self, approval_id: str, approve: bool, by: str, reason: str) -> Approval:
        now = self._clock()
        approval = self._approvals.get(approval_id)
        if approval is None:
            raise NotFoundError(f"No approval with id {approval_id!r}.")
        self._expire_if_stale(approval, now)
        if approval.status != "pending":
            raise ConflictError(settled(approval))
        if approve:
            approval.expires = now + (approval.expires - approval.created)
        status: Status = "approved" if approve else "denied"
        self._transition(approval, Transition(status, by, now, reason), now)
        return copy.deepcopy(approval)

    async def wait(self, approval_id: str, timeout: float) -> Approval:  # noqa: ASYNC109
        loop = asyncio.get_running_loop()
        with self._fanout.waiter(approval_id) as woken:
            approval = self._approvals.get(approval_id)
            if approval is None:
                raise NotFoundError(f"No approval with id {approval_id!r}.")
            deadline = loop.time() + min(timeout, approval.expires - self._clock())
            while True:
                woken.clear()
                self._expire_if_stale(approval, self._clock())
                if approval.status != "pending":
                    return copy.deepcopy(approval)
                try:
                    await asyncio.wait_for(woken.wait(), deadline - loop.time())
                except TimeoutError:
                    break
            if approval.status == "pending":
                now = self._clock()
                self._transition(approval, expiry(now), now)
            return copy.deepcopy(approval)

    async def consume(self, binding: str) -> Approval | None:
        now = self._clock()
        approval = self._approvals.get(self._bindings.get(binding, ""))
        if approval is None or approval.status != "approved" or not is_live(approval, now):
            return None
        approval.used = True
        self._keep(approval, now)
        return copy.deepcopy(approval)

    def events(self) -> Subscription:
        return self._fanout.subscribe()

    async def listening(self) -> None:
        """Events reach `events()` and waiters from the moment they are published."""

    async def aclose(self) -> None:
        self._fanout.close()

    def _expire_if_stale(self, approval: Approval, now: float) -> None:
        if approval.status == "pending" and now >= approval.expires:
            self._transition(approval, expiry(now), now)

    def _transition(self, approval: Approval, transition: Transition, now: float) -> None:
        approval.status = transition.status
        approval.history.append(transition)
        self._keep(approval, now)
        if transition.status != "pending":
            self._fanout.publish(ApprovalEvent(transition.status, copy.deepcopy(approval)))

    def _keep(self, approval: Approval, now: float) -> None:
        self._kept_until[approval.id] = now + self._retention + max(approval.expires - now, 0)

    def _forget(self, now: float) -> None:
        if now - self._forgotten_at < FORGET_EVERY_SECONDS:
            return
        self._forgotten_at = now
        for approval_id, until in list(self._kept_until.items()):
            if until <= now:
                del self._kept_until[approval_id]
                approval = self._approvals.pop(approval_id)
                if self._bindings.get(approval.binding) == approval_id:
                    del self._bindings[approval.binding]
