"""Budgets: money in micro-dollars, and the UTC days and months that spend is counted in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache

from gateway.state.base import USD, Period, Quota

# Counters outlive their period by this much, so that a late settlement still finds the key
# its reservation went to.
MARGIN_S = 86_400
DAY_S = 86_400


def period_of(unix_seconds: float) -> Period:
    """The UTC day and month containing `unix_seconds`."""
    return _period_of_day(int(unix_seconds // DAY_S))


@lru_cache(maxsize=4)  # asked several times per request, and the day rarely changes
def _period_of_day(day_number: int) -> Period:
    at = datetime.fromtimestamp(day_number * DAY_S, UTC)
    return Period(day=at.strftime("%Y%m%d"), month=at.strftime("%Y%m"))


@lru_cache(maxsize=64)
def day_end(day: str) -> int:
    """Unix seconds at the end of the UTC day "YYYYMMDD"."""
    start = datetime.strptime(day, "%Y%m%d").replace(tzinfo=UTC)
    return int((start + timedelta(days=1)).timestamp())


@lru_cache(maxsize=64)
def month_end(month: str) -> int:
    """Unix seconds at the end of the UTC month "YYYYMM"."""
    start = datetime.strptime(month, "%Y%m").replace(tzinfo=UTC)
    following = start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)
    return int(following.timestamp())


def micro(usd: float | None) -> int | None:
    """A budget in dollars as integer micro-dollars (None stays None: no budget)."""
    return None if usd is None else round(usd * USD)


def key_scope_of(agent: str, quotas: tuple[Quota, ...]) -> str:
    """The scope whose day spend is the agent's own: its quota's, first in the tuple."""
    return quotas[0].scope if quotas else f"agent:{agent}"
