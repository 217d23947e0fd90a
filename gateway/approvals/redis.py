"""`RedisApprovals`: the approval lifecycle in Redis, shared by every replica.

Semantics are `gateway.approvals.memory`'s. Every transition is one call of `approvals.lua`
(open-or-join, decide, consume, expire, get with expiry-on-read, list with a sweep), so two
replicas can never both decide, or both consume, one approval. Each transition is published on
`<prefix>events` from inside the script; every store keeps one subscription to that channel
and hands the events to its local waiters and streams (`Fanout`). A waiter is woken by that
message, never by polling; when the subscription drops, every stream from `events()` ends (its
client reloads and subscribes again) and, once subscribed again, every waiter looks again, so
a decision made in the gap is not missed. Time is the gateway's clock, passed in.

Keys, under the prefix ("airlock:approvals:" by default):

    a:<id>                  hash: body (the approval as created, orjson), status, used,
                            expires, created, history (JSON array), binding; kept
                            `retention_seconds` after its last change or its expiry
    binding:<sha256>        string: id of the latest approval with this binding (same TTL)
    status:<status>         sorted set: ids by `created`, for listing; dead ids pruned
    deadlines               sorted set: pending ids by `expires`, for the sweep

Scripts build key names from the prefix, so a Redis Cluster is not supported. Any redis-py
failure becomes `StateError`, naming the cause but never the password.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable
from dataclasses import replace
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

import orjson
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

from gateway.approvals.base import Approval, Status, Transition
from gateway.approvals.codec import dumps, event_from_json, expiry, from_snapshot, settled
from gateway.approvals.fanout import Fanout, Subscription
from gateway.approvals.memory import RETENTION_SECONDS
from gateway.errors import ConfigError, ConflictError, NotFoundError, StateError
from gateway.state.redis import StaleConnections

log = logging.getLogger("airlock.approvals")

LISTEN_TIMEOUT_SECONDS = 5.0
RESUBSCRIBE_MAX_DELAY = 2.0


class RedisApprovals:
    """Approvals in Redis (see the module docstring)."""

    name = "redis"

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "airlock:approvals:",
        timeout_seconds: float = 2.0,
        retention_seconds: float = RETENTION_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        try:
            self._password = urlsplit(url).password
            no_retry = Retry(NoBackoff(), 0)
            self._client = aioredis.Redis.from_url(
                url,
                socket_timeout=timeout_seconds,
                socket_connect_timeout=timeout_seconds,
                retry=no_retry,
            )
            # The subscription waits for messages indefinitely: no read timeout on its socket.
            self._listen_client = aioredis.Redis.from_url(
                url, socket_connect_timeout=timeout_seconds, socket_keepalive=True, retry=no_retry
            )
        except ValueError as e:
            raise ConfigError(f"the approvals Redis URL is not usable ({e})") from None
        source = (resources.files("gateway.approvals") / "approvals.lua").read_text()
        self._script: AsyncScript = self._client.register_script(source)
        self._stale = StaleConnections(self._client)
        self._prefix = prefix
        self._retention = retention_seconds
        self._clock = clock
        self._fanout = Fanout()
        self._subscribed = asyncio.Event()
        self._listener: asyncio.Task[None] | None = None

    async def open(self, approval: Approval) -> tuple[Approval, bool]:
        if not (math.isfinite(approval.created) and math.isfinite(approval.expires)):
            raise ValueError("an approval needs finite `created` and `expires` times")
        body = dumps(replace(approval, status="pending", used=False))
        history = orjson.dumps(approval.history)
        created, expires = repr(approval.created), repr(approval.expires)
        code, snapshot = await self._run(
            self._clock(), "open", approval.id, body, approval.binding, created, expires, history
        )
        if code == 2:
            raise ConflictError(f"Approval {approval.id} already exists.")
        return _decode(snapshot), code == 1

    async def get(self, approval_id: str) -> Approval | None:
        code, snapshot = await self._run(self._clock(), "get", approval_id)
        return _decode(snapshot) if code == 1 else None

    async def list(self, status: Status | None = None, limit: int = 200) -> list[Approval]:
        if limit <= 0:
            return []
        _, snapshots = await self._run(self._clock(), "list", status or "*", limit)
        found = [_decode(s) for s in snapshots]
        found.sort(key=lambda a: a.created, reverse=True)
        return found[:limit]

    async def decide(self, approval_id: str, approve: bool, by: str, reason: str) -> Approval:
        now = self._clock()
        status: Status = "approved" if approve else "denied"
        transition = dumps(Transition(status, by, now, reason))
        code, snapshot = await self._run(now, "decide", approval_id, status, transition)
        if code == 0:
            raise NotFoundError(f"No approval with id {approval_id!r}.")
        if code == 2:
            raise ConflictError(settled(_decode(snapshot)))
        return _decode(snapshot)

    async def wait(self, approval_id: str, timeout: float) -> Approval:  # noqa: ASYNC109
        loop = asyncio.get_running_loop()
        start = loop.time()
        with self._fanout.waiter(approval_id) as woken:
            # Subscribed before the first read, so no decision can fall between the two.
            # Without a subscription the waiter is only late: at the deadline the expire
            # script still returns a decision that was made.
            with contextlib.suppress(StateError):
                await self.listening(min(timeout, LISTEN_TIMEOUT_SECONDS))
            approval = await self._must_get(approval_id)
            deadline = start + min(timeout, approval.expires - self._clock() + loop.time() - start)
            while approval.status == "pending":
                try:
                    await asyncio.wait_for(woken.wait(), deadline - loop.time())
                except TimeoutError:
                    break
                woken.clear()
                approval = await self._must_get(approval_id)
            if approval.status != "pending":
                return approval
            code, snapshot = await self._run(self._clock(), "expire", approval_id)
            if code == 0:
                raise NotFoundError(f"No approval with id {approval_id!r}.")
            return _decode(snapshot)

    async def consume(self, binding: str) -> Approval | None:
        code, snapshot = await self._run(self._clock(), "consume", binding)
        return _decode(snapshot) if code == 1 else None

    def events(self) -> Subscription:
        subscription = self._fanout.subscribe()
        self._start()
        return subscription

    async def listening(self, within: float = LISTEN_TIMEOUT_SECONDS) -> None:
        """Return once events from every replica reach this store; StateError if they cannot."""
        self._start()
        try:
            await asyncio.wait_for(self._subscribed.wait(), within)
        except TimeoutError:
            raise StateError("redis unavailable: cannot subscribe to approval events") from None

    async def aclose(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        self._fanout.close()
        await self._client.aclose()
        await self._listen_client.aclose()

    async def _must_get(self, approval_id: str) -> Approval:
        approval = await self.get(approval_id)
        if approval is None:
            raise NotFoundError(f"No approval with id {approval_id!r}.")
        return approval

    def _start(self) -> None:
        if self._listener is None or self._listener.done():
            self._listener = asyncio.get_running_loop().create_task(self._listen())

    async def _listen(self) -> None:
        channel = self._prefix + "events"
        delay = 0.05
        while True:
            pubsub = self._listen_client.pubsub()
            try:
                await pubsub.subscribe(channel)
                async for message in pubsub.listen():
                    if message["type"] == "subscribe":
                        self._subscribed.set()
                        self._fanout.wake_all()
                        delay = 0.05
                    elif message["type"] == "message":
                        self._deliver(message["data"])
            except (RedisError, OSError) as e:
                log.warning("approval events interrupted (%s); subscribing again", self._fail(e))
            finally:
                self._subscribed.clear()
                # Events published meanwhile are lost to pub/sub: streams end (and their
                # clients reload); waiters look again once subscribed (`wake_all`).
                self._fanout.close()
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
            await asyncio.sleep(delay)
            delay = min(delay * 2, RESUBSCRIBE_MAX_DELAY)

    def _deliver(self, raw: bytes) -> None:
        try:
            event = event_from_json(raw)
        except (ValueError, KeyError, TypeError) as e:
            log.warning("ignoring an unreadable approval event: %s", type(e).__name__)
            return
        self._fanout.publish(event)

    async def _run(self, now: float, op: str, *args: Any) -> tuple[int, Any]:
        head: list[Any] = [op, self._prefix, repr(now), self._retention, dumps(expiry(now))]
        try:
            reply = await self._script(keys=[], args=[*head, *args])
        except (RedisError, OSError) as e:
            raise self._fail(e) from None
        return int(reply[0]), reply[1]

    def _fail(self, e: Exception) -> StateError:
        self._stale.lost(e)
        text = str(e) or type(e).__name__
        if self._password:
            text = text.replace(self._password, "***")
        return StateError(f"redis failed: {type(e).__name__}: {text}")


def _decode(snapshot: bytes) -> Approval:
    try:
        return from_snapshot(orjson.loads(snapshot))
    except (ValueError, KeyError, TypeError) as e:
        raise StateError(f"an approval in redis is unreadable ({type(e).__name__})") from None
