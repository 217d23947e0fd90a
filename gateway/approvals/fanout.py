"""In-process delivery of approval events: wakes local waiters, feeds local subscribers.

Both stores use it; the Redis store feeds it from pub/sub, so every replica's waiters and
streams see transitions made on any replica.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from gateway.approvals.base import ApprovalEvent

log = logging.getLogger("airlock.approvals")

QUEUE_SIZE = 1000


class Subscription:
    """An async iterator over the events published after it was created.

    A consumer that falls `QUEUE_SIZE` events behind is ended rather than silently missing
    events: a live view must reload, not drift.
    """

    def __init__(self, fanout: Fanout) -> None:
        self._fanout = fanout
        self.queue: asyncio.Queue[ApprovalEvent | None] = asyncio.Queue(QUEUE_SIZE)
        self._done = False

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> ApprovalEvent:
        if self._done:
            raise StopAsyncIteration
        item = await self.queue.get()
        if item is None:
            self._close()
            raise StopAsyncIteration
        return item

    async def aclose(self) -> None:
        self._close()

    def _close(self) -> None:
        self._done = True
        self._fanout.unsubscribe(self)

    def __del__(self) -> None:
        self._fanout.unsubscribe(self)


class Fanout:
    def __init__(self) -> None:
        self._waiters: dict[str, set[asyncio.Event]] = {}
        self._subscriptions: set[Subscription] = set()

    @contextmanager
    def waiter(self, approval_id: str) -> Iterator[asyncio.Event]:
        """An event set whenever the approval reaches a final status (or on `wake_all`)."""
        event = asyncio.Event()
        waiters = self._waiters.setdefault(approval_id, set())
        waiters.add(event)
        try:
            yield event
        finally:
            waiters.discard(event)
            if not waiters:
                self._waiters.pop(approval_id, None)

    def wake_all(self) -> None:
        """Make every waiter look again (after a gap in which events may have been missed)."""
        for waiters in self._waiters.values():
            for event in waiters:
                event.set()

    def subscribe(self) -> Subscription:
        subscription = Subscription(self)
        self._subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self._subscriptions.discard(subscription)

    def publish(self, event: ApprovalEvent) -> None:
        if event.kind != "created":
            for waiter in self._waiters.get(event.approval.id, ()):
                waiter.set()
        for subscription in list(self._subscriptions):
            try:
                subscription.queue.put_nowait(event)
            except asyncio.QueueFull:
                log.warning("an approvals stream fell %d events behind; ending it", QUEUE_SIZE)
                self._end(subscription)

    def close(self) -> None:
        """End every subscription (the store is closing)."""
        for subscription in list(self._subscriptions):
            self._end(subscription)

    def _end(self, subscription: Subscription) -> None:
        self.unsubscribe(subscription)
        queue = subscription.queue
        while not queue.empty():
            queue.get_nowait()
        queue.put_nowait(None)
