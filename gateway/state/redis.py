"""`RedisStore`: the state interface on Redis, exact across any number of replicas.

Every check-and-update is one Lua script (`lua/*.lua`, each prefixed with `lua/common.lua`),
sent with EVALSHA, so `admit`, `tool_calls` and `settle` are one round trip each and atomic.
Time is Redis server time (`TIME` inside the scripts), so replicas with skewed clocks agree.
Any redis-py failure becomes `StateError` here, naming the cause but never the password; a
dead server fails within the socket timeouts, and the pool reconnects once it is back. There
are no automatic retries: a script whose answer was lost may have run, and running it again
would charge twice.

Semantics (the memory backend has the same):

- Rates: GCRA over one minute (`gcra`): L per minute admits L at once and one more every
  60/L s; a refusal's retry_after is when the request would fit (a request of more tokens
  than the whole limit never does). `admit` costs 1 request and `Admission.tokens` tokens;
  it only checks that one tool call fits. `tool_calls` grants the least, over scopes, of how
  many of `count` fit, and consumes exactly that. `settle` corrects the token bucket by
  real - reserved tokens.
- All or nothing: `admit` checks every scope (agent, then team): rates, then budgets; it
  writes nothing unless all pass.
- Budgets: a scope is admitted while its spend plus reservations is strictly below each budget
  (`usd_per_day`, `usd_per_month` in micro-dollars, `tokens_per_day`); then the estimate is
  reserved in the counters of `Admission.period`, and `settle` adds real - reserved to the same
  counters. Counters exist for every scope, budget or not.
- Usage: per agent, sorted sets of events (score = microseconds, member carries a count)
  with running totals, trimmed to their window (60 s for tool calls, an hour for denials and
  escalations) whenever they are read or written: `tool_calls` and `usage` report them,
  `tool_calls` appends its grant, `settle` appends denials and escalations.
- Runtime keys: a key with `Admission.key_digest` must exist and not be revoked, checked
  inside the admit script, so a revocation holds on every replica at once. Revocation is
  permanent: putting the same digest again does not revive it.

Keys, under a prefix ("airlock:" by default), the free-form part (scope, agent) last:

    rate:<scope>                     hash: req, tok, tc bucket levels and their *_at times;
                                     TTL 2 min, longer while a bucket drains a debt
    spend:day:<YYYYMMDD>:<scope>     hash: micro, tokens; expires a day after the day ends
    spend:month:<YYYYMM>:<scope>     hash: micro, tokens; expires a day after the month ends
    usage:tool_calls:<agent>         sorted set: granted tool calls (kept 60 s); TTL 1 h
    usage:denials:<agent>            sorted set: denials (kept 1 h); TTL 1 h
    usage:escalations:<agent>        sorted set: escalations (kept 1 h); TTL 1 h
    usage:totals:<agent>             hash: tool_calls, denials, escalations, the running totals
                                     of those sets, so reading them is O(1); TTL 1 h
    keys                             hash: digest -> KeyRecord JSON (revoked left null)
    key_ids                          hash: key id -> digest
    revoked                          hash: digest -> unix seconds of revocation

Needs Redis 5 or later (scripts that call TIME before writing). Scripts touch keys of
several scopes, so a Redis Cluster would need the scopes of one agent in one hash slot.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

import orjson
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.commands.core import AsyncScript
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from gateway import metrics
from gateway.errors import ConfigError, StateError
from gateway.models import Usage
from gateway.state import gcra
from gateway.state.base import (
    USD,
    Admission,
    Admitted,
    KeyRecord,
    Outcome,
    Quota,
    Refusal,
    ToolCallGrant,
)
from gateway.state.budget import MARGIN_S, day_end, key_scope_of, micro, month_end, period_of

_RATE_REFUSALS: tuple[Refusal, ...] = ("requests", "tokens", "tool_calls")
_NONE = -1


def _script(name: str) -> str:
    lua = resources.files("gateway.state") / "lua"
    return (lua / "common.lua").read_text() + "\n" + (lua / f"{name}.lua").read_text()


def _limit(value: int | None) -> int:
    return _NONE if value is None else value


def _rates(q: Quota) -> list[int]:
    return [
        _limit(q.requests_per_minute),
        _limit(q.tokens_per_minute),
        _limit(q.tool_calls_per_minute),
    ]


def _budgets(q: Quota) -> list[int]:
    return [_limit(micro(q.usd_per_day)), _limit(micro(q.usd_per_month)), _limit(q.tokens_per_day)]


def _record(raw: bytes, revoked: bytes | None) -> KeyRecord:
    fields = orjson.loads(raw)
    fields["quota"] = Quota(**fields["quota"])
    fields["revoked"] = None if revoked is None else float(revoked)
    return KeyRecord(**fields)


class StaleConnections:
    """Closes a client's idle connections once one of them is found lost.

    One dead connection means the idle ones of its time are dead too (Redis went away or
    restarted): without this, each would fail one request after Redis is back.
    """

    def __init__(self, client: aioredis.Redis) -> None:
        self._client = client
        self._flushing: asyncio.Future[None] | None = None

    def lost(self, e: Exception) -> bool:
        """Whether `e` says the connection was lost; if so, the idle ones are closed."""
        lost = isinstance(e, RedisConnectionError | RedisTimeoutError | OSError)
        if lost and self._flushing is None:
            self._flushing = asyncio.ensure_future(self._flush())
        return lost

    async def _flush(self) -> None:
        try:
            await self._client.connection_pool.disconnect(inuse_connections=False)
        except (RedisError, OSError):
            pass  # closing a dead socket may fail; the pool forgets it either way
        finally:
            self._flushing = None


class RedisStore:
    """Shared state in Redis (see the module docstring)."""

    name = "redis"

    def __init__(self, url: str, *, timeout_seconds: float = 0.5, prefix: str = "airlock:") -> None:
        self._password: str | None = None
        try:
            self._password = urlsplit(url).password
            self._client = aioredis.Redis.from_url(
                url,
                socket_timeout=timeout_seconds,
                socket_connect_timeout=timeout_seconds,
                retry=Retry(NoBackoff(), 0),
            )
        except ValueError as e:
            raise ConfigError(
                f"state.redis_url is not a usable Redis URL ({self._redact(e)})"
            ) from None
        self._p = prefix
        self._scripts: dict[str, AsyncScript] = {
            name: self._client.register_script(_script(name))
            for name in ("admit", "tool_calls", "settle", "revoke")
        }
        self._loaded = False
        self._stale = StaleConnections(self._client)

    def _redact(self, e: Exception) -> str:
        text = str(e) or type(e).__name__
        return text.replace(self._password, "***") if self._password else text

    def _fail(self, e: Exception) -> StateError:
        metrics.state_error("state")
        lost = self._stale.lost(e)
        return StateError(
            f"redis {'unavailable' if lost else 'failed'}: {type(e).__name__}: {self._redact(e)}"
        )

    async def _run(self, name: str, keys: list[str], args: list[Any]) -> Any:
        try:
            return await self._scripts[name](keys=keys, args=args)
        except (RedisError, OSError) as e:
            raise self._fail(e) from None

    def _scope_keys(self, scope: str, period_day: str, period_month: str) -> list[str]:
        p = self._p
        return [
            f"{p}rate:{scope}",
            f"{p}spend:day:{period_day}:{scope}",
            f"{p}spend:month:{period_month}:{scope}",
        ]

    def _usage_keys(self, agent: str, *kinds: str) -> list[str]:
        """The agent's totals hash, then its event sets of `kinds`."""
        p = self._p
        return [f"{p}usage:totals:{agent}", *(f"{p}usage:{kind}:{agent}" for kind in kinds)]

    async def admit(self, admission: Admission) -> Admitted:
        quotas, period = admission.quotas, admission.period
        keys = [f"{self._p}keys", f"{self._p}revoked"]
        args: list[Any] = [
            admission.key_digest or "",
            admission.tokens,
            admission.cost_micro,
            day_end(period.day) + MARGIN_S,
            month_end(period.month) + MARGIN_S,
        ]
        for q in quotas:
            keys += self._scope_keys(q.scope, period.day, period.month)
            args += _rates(q) + _budgets(q)
        reply = await self._run("admit", keys, args)
        now = int(reply[1])
        if reply[0] == 1:
            requests, tokens = [], []
            for i, q in enumerate(quotas):
                if q.requests_per_minute is not None:
                    requests.append((q.requests_per_minute, int(reply[2 + 2 * i])))
                if q.tokens_per_minute is not None:
                    tokens.append((q.tokens_per_minute, int(reply[3 + 2 * i])))
            return Admitted(ok=True, requests=gcra.tightest(requests), tokens=gcra.tightest(tokens))
        code, index, amount, limit = (int(x) for x in reply[2:6])
        scope = quotas[index - 1].scope if index <= len(quotas) else None
        if code == 5:
            return Admitted(ok=False, refused="revoked", scope=scope)
        if code == 4:
            end = day_end(period.day) if amount == 1 else month_end(period.month)
            return Admitted(
                ok=False, refused="budget", scope=scope, retry_after=max(end - now / 1e6, 0.0)
            )
        wait = gcra.retry_after(amount, limit)
        return Admitted(ok=False, refused=_RATE_REFUSALS[code - 1], scope=scope, retry_after=wait)

    async def tool_calls(self, agent: str, quotas: tuple[Quota, ...], count: int) -> ToolCallGrant:
        return await self._tool_calls(agent, key_scope_of(agent, quotas), quotas, count)

    async def usage(self, agent: str, key_scope: str) -> Usage:
        return (await self._tool_calls(agent, key_scope, (), 0)).usage

    async def _tool_calls(
        self, agent: str, key_scope: str, quotas: tuple[Quota, ...], count: int
    ) -> ToolCallGrant:
        today = period_of(time.time()).day  # as callers choose `Admission.period`
        keys = self._usage_keys(agent, "tool_calls", "denials", "escalations")
        keys.append(f"{self._p}spend:day:{today}:{key_scope}")
        args: list[Any] = [count]
        for q in quotas:
            keys.append(f"{self._p}rate:{q.scope}")
            args += _rates(q)
        reply = [int(x) for x in await self._run("tool_calls", keys, args)]
        usage = Usage(
            tool_calls_last_minute=reply[1],
            denials_last_hour=reply[2],
            escalations_last_hour=reply[3],
            spend_today_usd=reply[4] / USD,
            recent_denials_seconds_ago=reply[5:],
        )
        return ToolCallGrant(granted=reply[0], usage=usage)

    async def settle(self, outcome: Outcome) -> None:
        period = outcome.period
        keys = self._usage_keys(outcome.agent, "denials", "escalations")
        args: list[Any] = [
            outcome.tokens - outcome.reserved_tokens,
            outcome.cost_micro - outcome.reserved_micro,
            outcome.denials,
            outcome.escalations,
            day_end(period.day) + MARGIN_S,
            month_end(period.month) + MARGIN_S,
        ]
        for q in outcome.quotas:
            keys += self._scope_keys(q.scope, period.day, period.month)
            args += _rates(q)
        await self._run("settle", keys, args)

    async def put_key(self, record: KeyRecord) -> None:
        p = self._p
        try:
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.hset(f"{p}keys", record.digest, orjson.dumps(replace(record, revoked=None)))
                pipe.hset(f"{p}key_ids", record.id, record.digest)
                if record.revoked is not None:
                    pipe.hsetnx(f"{p}revoked", record.digest, repr(record.revoked))
                await pipe.execute()
        except (RedisError, OSError) as e:
            raise self._fail(e) from None

    async def get_key(self, digest: str) -> KeyRecord | None:
        try:
            async with self._client.pipeline(transaction=False) as pipe:
                pipe.hget(f"{self._p}keys", digest)
                pipe.hexists(f"{self._p}revoked", digest)
                raw, revoked = await pipe.execute()
        except (RedisError, OSError) as e:
            raise self._fail(e) from None
        return None if raw is None or revoked else _record(raw, None)

    async def list_keys(self) -> list[KeyRecord]:
        try:
            async with self._client.pipeline(transaction=False) as pipe:
                pipe.hgetall(f"{self._p}keys")
                pipe.hgetall(f"{self._p}revoked")
                records, revoked = await pipe.execute()
        except (RedisError, OSError) as e:
            raise self._fail(e) from None
        found = [_record(raw, revoked.get(digest)) for digest, raw in records.items()]
        return sorted(found, key=lambda r: (r.created, r.id))

    async def revoke_key(self, key_id: str) -> KeyRecord | None:
        p = self._p
        reply = await self._run("revoke", [f"{p}keys", f"{p}key_ids", f"{p}revoked"], [key_id])
        return None if reply is None else _record(reply[0], reply[1])

    async def ping(self) -> None:
        """Check the server; the first successful ping also loads the scripts (SCRIPT LOAD)."""
        try:
            await self._client.ping()
            if not self._loaded:
                for script in self._scripts.values():
                    script.sha = await self._client.script_load(script.script)
                self._loaded = True
        except (RedisError, OSError) as e:
            raise self._fail(e) from None

    async def aclose(self) -> None:
        await self._client.aclose()
