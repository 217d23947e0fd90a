"""`MemoryStore`: the state interface in one process, with the Redis backend's exact semantics.

Everything `gateway.state.redis` documents holds here too, with the process clock (an
injectable `clock() -> unix seconds`) in place of Redis server time:

- rates: GCRA per scope and kind (`gcra`), one bucket each for requests, tokens and tool calls;
  an empty bucket and an absent one are the same thing, so drained buckets are forgotten;
- budgets: per scope, a day and a month counter of micro-dollars and tokens, forgotten
  `budget.MARGIN_S` after their period ends;
- usage: per agent, time-ordered events (tool calls granted, denials, escalations), each with
  a count, and their running totals, kept 60 s (tool calls) or an hour (the others);
- runtime keys: records by digest, handles by id, and revocations, which are permanent.

Each method runs without awaiting, so on one event loop every check-and-update is atomic.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from gateway.models import Usage
from gateway.state import gcra
from gateway.state.base import (
    MINUTE_US,
    RECENT_EVENTS,
    USAGE_HOUR_S,
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

HOUR_US = USAGE_HOUR_S * 1_000_000
SWEEP_EVERY_US = MINUTE_US


@dataclass(slots=True)
class _Bucket:
    level: int
    at: int
    limit: int


@dataclass(slots=True)
class _Counter:
    micro: int
    tokens: int
    expires: int  # unix seconds


class MemoryStore:
    """In-process state for a single replica (see the module docstring)."""

    name = "memory"

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._counters: dict[tuple[str, str], _Counter] = {}
        self._events: dict[tuple[str, str], list[tuple[int, int]]] = {}  # sorted by time
        self._totals: dict[tuple[str, str], int] = {}  # the sum of each list's counts
        self._keys: dict[str, KeyRecord] = {}
        self._ids: dict[str, str] = {}
        self._revoked: dict[str, float] = {}
        self._swept = 0

    def _now(self) -> int:
        now = round(self._clock() * 1_000_000)
        if now - self._swept >= SWEEP_EVERY_US:
            self._sweep(now)
        return now

    def _level(self, scope: str, kind: str, limit: int, now: int) -> int:
        b = self._buckets.get((scope, kind))
        return 0 if b is None else gcra.level_at(b.level, b.at, now, limit)

    def _set(self, scope: str, kind: str, level: int, limit: int, now: int) -> None:
        self._buckets[(scope, kind)] = _Bucket(level, now, limit)

    def _counter(self, scope: str, period: str) -> _Counter:
        return self._counters.get((scope, period)) or _Counter(0, 0, 0)

    def _charge(self, scope: str, day: str, month: str, cost: int, tokens: int) -> None:
        for period, end in ((f"d{day}", day_end(day)), (f"m{month}", month_end(month))):
            c = self._counters.setdefault((scope, period), _Counter(0, 0, 0))
            c.micro += cost
            c.tokens += tokens
            c.expires = end + MARGIN_S

    async def admit(self, admission: Admission) -> Admitted:
        now = self._now()
        quotas, period = admission.quotas, admission.period
        digest = admission.key_digest
        if digest is not None and (digest not in self._keys or digest in self._revoked):
            return Admitted(ok=False, refused="revoked", scope=quotas[0].scope if quotas else None)
        for q in quotas:
            refused = self._refusal(q, admission, now)
            if refused is not None:
                return refused
        requests: list[tuple[int, int]] = []
        tokens: list[tuple[int, int]] = []
        for q in quotas:
            for kind, limit, cost, infos in (
                ("requests", q.requests_per_minute, 1, requests),
                ("tokens", q.tokens_per_minute, admission.tokens, tokens),
            ):
                if limit is not None:
                    level = self._level(q.scope, kind, limit, now) + cost * gcra.UNIT
                    self._set(q.scope, kind, level, limit, now)
                    infos.append((limit, level))
            self._charge(q.scope, period.day, period.month, admission.cost_micro, admission.tokens)
        return Admitted(ok=True, requests=gcra.tightest(requests), tokens=gcra.tightest(tokens))

    def _refusal(self, q: Quota, admission: Admission, now: int) -> Admitted | None:
        """Why one scope refuses the admission (its rates, then its budgets), if it does."""
        rates: tuple[tuple[Refusal, int | None, int], ...] = (
            ("requests", q.requests_per_minute, 1),
            ("tokens", q.tokens_per_minute, admission.tokens),
            ("tool_calls", q.tool_calls_per_minute, 1),
        )
        for kind, limit, cost in rates:
            if limit is not None:
                over = gcra.excess(self._level(q.scope, kind, limit, now), cost, limit)
                if over > 0:
                    wait = gcra.retry_after(over, limit)
                    return Admitted(ok=False, refused=kind, scope=q.scope, retry_after=wait)
        period = admission.period
        day = self._counter(q.scope, f"d{period.day}")
        month = self._counter(q.scope, f"m{period.month}")
        budgets = (
            (day.micro, micro(q.usd_per_day), day_end(period.day)),
            (month.micro, micro(q.usd_per_month), month_end(period.month)),
            (day.tokens, q.tokens_per_day, day_end(period.day)),
        )
        for used, budget, end in budgets:
            if budget is not None and used >= budget:
                wait = max(end - now / 1e6, 0.0)
                return Admitted(ok=False, refused="budget", scope=q.scope, retry_after=wait)
        return None

    async def tool_calls(self, agent: str, quotas: tuple[Quota, ...], count: int) -> ToolCallGrant:
        now = self._now()
        granted = max(count, 0)
        limited = [(q.scope, q.tool_calls_per_minute) for q in quotas]
        for scope, limit in limited:
            if limit is not None:
                granted = min(
                    granted, gcra.fitting(self._level(scope, "tool_calls", limit, now), limit)
                )
        if granted > 0:
            for scope, limit in limited:
                if limit is not None:
                    level = self._level(scope, "tool_calls", limit, now) + granted * gcra.UNIT
                    self._set(scope, "tool_calls", level, limit, now)
            self._add_event(agent, "tool_calls", now, granted)
        return ToolCallGrant(granted, self._usage(agent, key_scope_of(agent, quotas), now))

    async def settle(self, outcome: Outcome) -> None:
        now = self._now()
        extra_tokens = outcome.tokens - outcome.reserved_tokens
        extra_micro = outcome.cost_micro - outcome.reserved_micro
        for q in outcome.quotas:
            limit = q.tokens_per_minute
            if limit is not None:
                level = self._level(q.scope, "tokens", limit, now) + extra_tokens * gcra.UNIT
                self._set(q.scope, "tokens", max(level, 0), limit, now)
            self._charge(
                q.scope, outcome.period.day, outcome.period.month, extra_micro, extra_tokens
            )
        self._add_event(outcome.agent, "denials", now, outcome.denials)
        self._add_event(outcome.agent, "escalations", now, outcome.escalations)

    async def usage(self, agent: str, key_scope: str) -> Usage:
        return self._usage(agent, key_scope, self._now())

    def _add_event(self, agent: str, kind: str, now: int, count: int) -> None:
        if count > 0:
            bisect.insort(self._events.setdefault((agent, kind), []), (now, count))
            self._totals[(agent, kind)] = self._totals.get((agent, kind), 0) + count

    def _trim(self, agent: str, kind: str, since: int) -> int:
        """Drops the agent's events of `kind` at or before `since`; the total of the rest."""
        events = self._events.get((agent, kind))
        if not events:
            return 0
        cut = bisect.bisect_right(events, (since, 2**63))
        if cut:
            self._totals[(agent, kind)] -= sum(n for _, n in events[:cut])
            del events[:cut]
        if not events:
            del self._events[(agent, kind)]
            del self._totals[(agent, kind)]
            return 0
        return self._totals[(agent, kind)]

    def _usage(self, agent: str, key_scope: str, now: int) -> Usage:
        denials = self._trim(agent, "denials", now - HOUR_US)
        ago: list[int] = []
        for at, n in reversed(self._events.get((agent, "denials"), [])[-RECENT_EVENTS:]):
            ago.extend([(now - at) // 1_000_000] * min(n, RECENT_EVENTS - len(ago)))
        spend = self._counter(key_scope, f"d{period_of(now / 1e6).day}").micro
        return Usage(
            tool_calls_last_minute=self._trim(agent, "tool_calls", now - MINUTE_US),
            denials_last_hour=denials,
            escalations_last_hour=self._trim(agent, "escalations", now - HOUR_US),
            spend_today_usd=spend / USD,
            recent_denials_seconds_ago=ago,
        )

    def _sweep(self, now: int) -> None:
        """Forget what has no effect any more, so a long-running process stays small."""
        self._swept = now
        for key, b in list(self._buckets.items()):
            if gcra.level_at(b.level, b.at, now, b.limit) == 0:
                del self._buckets[key]
        for key, c in list(self._counters.items()):
            if c.expires <= now // 1_000_000:
                del self._counters[key]
        for agent, kind in list(self._events):
            self._trim(agent, kind, now - (MINUTE_US if kind == "tool_calls" else HOUR_US))

    async def put_key(self, record: KeyRecord) -> None:
        self._keys[record.digest] = replace(record, revoked=None)
        self._ids[record.id] = record.digest
        if record.revoked is not None:
            self._revoked.setdefault(record.digest, record.revoked)

    async def get_key(self, digest: str) -> KeyRecord | None:
        return None if digest in self._revoked else self._keys.get(digest)

    async def list_keys(self) -> list[KeyRecord]:
        records = [replace(r, revoked=self._revoked.get(d)) for d, r in self._keys.items()]
        return sorted(records, key=lambda r: (r.created, r.id))

    async def revoke_key(self, key_id: str) -> KeyRecord | None:
        digest = self._ids.get(key_id)
        if digest is None or digest not in self._keys:
            return None
        revoked = self._revoked.setdefault(digest, self._clock())
        return replace(self._keys[digest], revoked=revoked)

    async def ping(self) -> None:
        return None

    async def aclose(self) -> None:
        return None
