"""The state interface: rate limits, budgets and usage counters, with one meaning everywhere.

Two backends implement it with the same semantics: `redis` (Lua scripts, exact across
replicas) and `memory` (one process). Rates are GCRA over a one-minute window (a limit of L
per minute admits exactly L at once, then one every 60/L seconds). Budgets admit a request
while what is spent and reserved is below the budget, and reserve an estimate, so concurrent
requests overspend by at most one request's reservation error. Money is counted in
micro-dollars (integers), so sums are exact.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

from gateway.models import Usage

MINUTE_US = 60_000_000
USD = 1_000_000  # micro-dollars per dollar
USAGE_HOUR_S = 3600
RECENT_EVENTS = 100  # denial timestamps kept for policy windows


@dataclass(frozen=True, slots=True)
class Quota:
    """The limits and budgets of one scope: an agent key or a team."""

    scope: str  # "agent:<agent id>" or "team:<name>"
    requests_per_minute: int | None = None
    tool_calls_per_minute: int | None = None
    tokens_per_minute: int | None = None
    usd_per_day: float | None = None
    usd_per_month: float | None = None
    tokens_per_day: int | None = None


@dataclass(frozen=True, slots=True)
class Period:
    """The UTC day and month that spend and daily tokens are counted in ("20261127", "202611").

    Chosen once per request, so a settlement lands where its reservation did.
    """

    day: str
    month: str


@dataclass(frozen=True, slots=True)
class Admission:
    agent: str
    quotas: tuple[Quota, ...]  # the agent's own scope first, then its team's
    tokens: int  # estimated tokens of the request (prompt + expected completion)
    cost_micro: int  # estimated cost, micro-dollars
    period: Period
    key_digest: str | None = None  # a runtime key: it must still exist and not be revoked


@dataclass(frozen=True, slots=True)
class RateInfo:
    """OpenAI's x-ratelimit-* values for the tightest scope of one kind."""

    limit: int
    remaining: int
    reset_seconds: float


Refusal = Literal["requests", "tokens", "tool_calls", "budget", "revoked"]


@dataclass(frozen=True, slots=True)
class Admitted:
    ok: bool
    refused: Refusal | None = None
    scope: str | None = None  # which scope refused
    retry_after: float = 0.0
    requests: RateInfo | None = None
    tokens: RateInfo | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one answer used and decided, settled after it is known."""

    agent: str
    quotas: tuple[Quota, ...]
    period: Period
    reserved_tokens: int
    reserved_micro: int
    tokens: int
    cost_micro: int
    denials: int = 0
    escalations: int = 0


@dataclass(frozen=True, slots=True)
class ToolCallGrant:
    granted: int  # how many of the asked-for calls fit the tool-call rate
    usage: Usage = field(default_factory=Usage)


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """An agent key created at runtime; only its sha256 digest is ever stored."""

    id: str  # public handle, "key_" + 16 hex
    digest: str  # sha256 hex of the key
    agent: str
    team: str | None
    quota: Quota  # scope "agent:<agent>"
    created: float  # unix seconds
    revoked: float | None = None


class StateStore(Protocol):
    """Raises `gateway.errors.StateError` whenever the store cannot answer."""

    name: str

    async def admit(self, admission: Admission) -> Admitted:
        """Check and consume rates, reserve budget. One round trip."""
        ...

    async def tool_calls(self, agent: str, quotas: tuple[Quota, ...], count: int) -> ToolCallGrant:
        """Consume up to `count` tool calls of the rate; the agent's usage for policy."""
        ...

    async def settle(self, outcome: Outcome) -> None:
        """Charge the real cost and tokens in place of the reservation; count decisions."""
        ...

    async def usage(self, agent: str, key_scope: str) -> Usage: ...

    async def put_key(self, record: KeyRecord) -> None: ...

    async def get_key(self, digest: str) -> KeyRecord | None:
        """The live (not revoked) runtime key with this digest, if any."""
        ...

    async def list_keys(self) -> list[KeyRecord]: ...

    async def revoke_key(self, key_id: str) -> KeyRecord | None:
        """Revoke at once for every replica; None when no such key exists."""
        ...

    async def ping(self) -> None: ...

    async def aclose(self) -> None: ...
