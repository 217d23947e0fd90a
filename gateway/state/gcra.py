"""GCRA over a one-minute window, in integers, shared by both backends.

A rate of L per minute is a bucket of capacity `L * UNIT` that drains `L` per microsecond;
one request (or token, or tool call) adds `UNIT` (60 000 000). This is GCRA with emission
interval 60 s / L and a burst tolerance of 60 s, scaled by L so that every quantity is an
integer: L requests at the same instant fill the bucket exactly, the next one overflows, and
one more fits every 60/L s. `lua/common.lua` holds the same arithmetic for Redis; it is exact
while `L * UNIT` stays below 2**53 (limits up to 150 million per minute).
"""

from __future__ import annotations

from gateway.state.base import MINUTE_US, RateInfo

UNIT = MINUTE_US


def level_at(level: int, since_us: int, now_us: int, limit: int) -> int:
    """The bucket's level at `now_us`, drained since it was `level` at `since_us`."""
    elapsed = now_us - since_us
    if level <= 0 or elapsed <= 0:
        return max(level, 0)
    return max(level - elapsed * limit, 0)


def excess(level: int, cost: int, limit: int) -> int:
    """How far `cost` units overflow the bucket; 0 or less means they fit."""
    return level + cost * UNIT - limit * UNIT


def fitting(level: int, limit: int) -> int:
    """How many whole units still fit."""
    return max((limit * UNIT - level) // UNIT, 0)


def retry_after(over: int, limit: int) -> float:
    """Seconds until an overflow of `over` has drained (60 s for a zero limit)."""
    if limit <= 0:
        return MINUTE_US / 1e6
    return -(-over // limit) / 1e6


def drain_ms(level: int, limit: int) -> int:
    """Milliseconds until the bucket is empty, so its key may expire."""
    if limit <= 0 or level <= 0:
        return 0
    return -(-level // (limit * 1000))


def tightest(infos: list[tuple[int, int]]) -> RateInfo | None:
    """The `RateInfo` of the scope with the least room left, from (limit, level) pairs."""
    best: RateInfo | None = None
    for limit, level in infos:
        info = RateInfo(
            limit=limit,
            remaining=fitting(level, limit),
            reset_seconds=level / limit / 1e6 if limit > 0 else 0.0,
        )
        if best is None or info.remaining < best.remaining:
            best = info
    return best
