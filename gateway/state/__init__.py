"""Rate limits, budgets and usage counters: `open_store` picks the backend.

`redis` (`RedisStore`) is exact across replicas; `memory` (`MemoryStore`) serves one process.
Both implement `StateStore` with the same semantics, documented in `gateway.state.redis`.
"""

from __future__ import annotations

from gateway.state.base import (
    MINUTE_US,
    RECENT_EVENTS,
    USAGE_HOUR_S,
    USD,
    Admission,
    Admitted,
    KeyRecord,
    Outcome,
    Period,
    Quota,
    RateInfo,
    Refusal,
    StateStore,
    ToolCallGrant,
)
from gateway.state.budget import period_of
from gateway.state.memory import MemoryStore
from gateway.state.redis import RedisStore

__all__ = [
    "MINUTE_US",
    "RECENT_EVENTS",
    "USAGE_HOUR_S",
    "USD",
    "Admission",
    "Admitted",
    "KeyRecord",
    "MemoryStore",
    "Outcome",
    "Period",
    "Quota",
    "RateInfo",
    "RedisStore",
    "Refusal",
    "StateStore",
    "ToolCallGrant",
    "open_store",
    "period_of",
]


def open_store(
    redis_url: str | None, *, timeout_seconds: float = 0.5, prefix: str = "airlock:"
) -> StateStore:
    """A `RedisStore` on `redis_url`, or a `MemoryStore` when it is None (one replica only).

    Nothing is contacted here; call `ping()` to check Redis and load the scripts.
    """
    if redis_url is None:
        return MemoryStore()
    return RedisStore(redis_url, timeout_seconds=timeout_seconds, prefix=prefix)
