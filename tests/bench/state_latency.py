"""Issue 3: the latency of the state store's hot calls, and their Redis round trips.

    .venv/bin/python tests/bench/state_latency.py [--calls 5000] [--redis-url URL] [--out FILE]

Starts its own redis-server on loopback (unless given a URL), then makes `--calls` sequential
`admit` calls (an agent and a team scope, every kind of limit and budget, a runtime key) and
as many `tool_calls` and `settle` calls, and prints p50/p90/p99/max in milliseconds for Redis
and, for scale, the memory backend. Round trips per call are the commands the Redis client
sent divided by the number of calls (each is its own round trip: none are pipelined).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `tests` and `gateway` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from gateway.state import (
    Admission,
    KeyRecord,
    MemoryStore,
    Outcome,
    Quota,
    RedisStore,
    StateStore,
)
from gateway.state.budget import period_of
from tests.integration.redis_fixture import start_redis

AGENT = Quota(
    "agent:bench",
    requests_per_minute=10**7,
    tool_calls_per_minute=10**7,
    tokens_per_minute=10**8,
    usd_per_day=10**6,
    usd_per_month=10**7,
    tokens_per_day=10**12,
)
TEAM = Quota("team:bench", requests_per_minute=10**7, usd_per_month=10**7)
DIGEST = "be" * 32


def summary(samples: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in samples)
    pick = lambda q: ms[min(int(q * len(ms)), len(ms) - 1)]  # noqa: E731
    return {
        "p50_ms": round(statistics.median(ms), 4),
        "p90_ms": round(pick(0.90), 4),
        "p99_ms": round(pick(0.99), 4),
        "max_ms": round(ms[-1], 4),
    }


async def timed(calls: int, call: Callable[[], Awaitable[Any]]) -> list[float]:
    for _ in range(min(calls // 10, 200)):  # warm up: connections, scripts, caches
        await call()
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - started)
    return samples


class RoundTrips:
    """Counts the commands the store's client sends (each one a round trip: none pipelined)."""

    def __init__(self, store: StateStore) -> None:
        self.sent = 0
        client = getattr(store, "_client", None)
        if client is not None:
            send = client.execute_command

            async def counted(*args: Any, **options: Any) -> Any:
                self.sent += 1
                return await send(*args, **options)

            client.execute_command = counted


async def measure(store: StateStore, calls: int) -> dict[str, Any]:
    trips = RoundTrips(store)
    await store.ping()
    await store.put_key(KeyRecord("key_bench0000000000", DIGEST, "bench", "bench", AGENT, 0.0))
    period = period_of(time.time())
    admission = Admission("bench", (AGENT, TEAM), 500, 1_000, period, key_digest=DIGEST)
    outcome = Outcome("bench", (AGENT, TEAM), period, 500, 1_000, 420, 900, denials=1)
    result: dict[str, Any] = {"backend": store.name, "calls": calls}
    runs: dict[str, Callable[[], Awaitable[Any]]] = {
        "admit": lambda: store.admit(admission),
        "tool_calls": lambda: store.tool_calls("bench", (AGENT, TEAM), 1),
        "settle": lambda: store.settle(outcome),
    }
    for name, call in runs.items():
        before = trips.sent
        samples = await timed(calls, call)
        result[name] = summary(samples)
        if store.name == "redis":
            done = trips.sent - before
            result[name]["round_trips_per_call"] = done / (calls + min(calls // 10, 200))
    await store.aclose()
    return result


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--redis-url", default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    server = None
    url = args.redis_url
    if url is None:
        server = start_redis(Path(tempfile.mkdtemp(prefix="airlock-bench-redis-")))
        url = server.url
    try:
        prefix = f"bench-{time.time_ns()}:"
        results = [
            await measure(RedisStore(url, prefix=prefix), args.calls),
            await measure(MemoryStore(), args.calls),
        ]
    finally:
        if server is not None:
            server.stop()
    print(
        f"{'backend':8} {'call':11} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8} trips"
    )
    for r in results:
        for call in ("admit", "tool_calls", "settle"):
            s = r[call]
            trips = f"{s['round_trips_per_call']:.2f}" if "round_trips_per_call" in s else "-"
            print(
                f"{r['backend']:8} {call:11} {s['p50_ms']:8.3f} {s['p90_ms']:8.3f} "
                f"{s['p99_ms']:8.3f} {s['max_ms']:8.3f} {trips}"
            )
    if args.out is not None:
        args.out.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
