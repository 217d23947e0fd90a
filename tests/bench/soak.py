"""Soak: one gateway with Redis state under steady load for minutes, Redis restarted midway.

    .venv/bin/python tests/bench/soak.py                  # 300 s at 100 requests/s (`make soak`)
    .venv/bin/python tests/bench/soak.py --duration 30 --rate 50

Starts the scripted upstream, a redis-server on a free port and `airlock serve` (embedded
engine, Redis state, one worker), then sends requests open-loop at a fixed rate: each is due
at `start + i / rate` whatever earlier ones are doing, half `scenario:text`, half
`scenario:one_tool_call` with a nonce of its own (so no answer can be reused). Latency is
counted from when a request was due, so a stalled gateway shows in the tail instead of
slowing the client down. At `--outage-at` seconds Redis is stopped, left down `--outage`
seconds and started again on the same port.

The outage window runs from the stop until the gateway's first success after Redis is back
(Redis counts as back when it answers our PING: the gateway may succeed a few ms sooner, so
the recovery time can be slightly negative); a request belongs to the window when its
lifetime overlaps it. 503 is expected there and
nowhere else. Prints a table and writes JSON (tests/bench/results/soak.json, service logs in
tests/bench/results/soak-logs/). Exit status 1 when a request outside the window failed or
the gateway did not answer successfully within `--max-recovery` seconds of Redis's return.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

if __package__ in (None, ""):  # run as a script: make `tests` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.machine import rss_kib
from tests.bench.stack import MODEL, GatewayConfig, ServiceError, Stack, Target, probe
from tests.conftest import ROOT, free_port
from tests.integration.redis_fixture import RedisServer, redis_binary


@dataclass
class Sample:
    """One request: when it was due and answered (seconds since the load began), and how."""

    kind: str  # text | tool
    due: float
    done: float
    outcome: str  # "200", another status, "unexpected" (200 without the answer) or an error name
    detail: str = ""  # the start of a failed request's answer, to see why

    @property
    def ok(self) -> bool:
        return self.outcome == "200"

    @property
    def latency_ms(self) -> float:
        return (self.done - self.due) * 1000


@dataclass
class Outage:
    """Seconds since the load began: Redis stopped, confirmed gone, back and answering PING."""

    stop: float = 0.0
    down: float = 0.0
    up: float = 0.0


class SoakStack(Stack):
    """A `Stack` whose gateways use a Redis server we own, so that we can restart it."""

    def __init__(self, work: Path, airlock: Path, rego: Path, redis: RedisServer) -> None:
        super().__init__(work, airlock, ROOT / ".venv/bin/litellm", rego)
        self.redis = redis

    def redis_url(self) -> str:
        return self.redis.url


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--duration", type=float, default=300.0, help="seconds of load (300)")
    p.add_argument("--rate", type=float, default=100.0, help="requests per second (100)")
    p.add_argument("--tool-share", type=float, default=0.5, help="share of tool-call requests")
    p.add_argument("--outage-at", type=float, help="seconds into the load (default: halfway)")
    p.add_argument("--outage", type=float, default=3.0, help="seconds Redis stays down (3)")
    p.add_argument("--max-recovery", type=float, default=10.0, help="seconds to first success")
    p.add_argument("--timeout", type=float, default=10.0, help="per request, seconds")
    p.add_argument("--rss-interval", type=float, default=5.0, help="seconds between samples")
    p.add_argument("--airlock", type=Path, default=ROOT / ".venv/bin/airlock")
    p.add_argument("--rego", type=Path, default=ROOT / "rego")
    p.add_argument("--out", type=Path, default=ROOT / "tests/bench/results/soak.json")
    args = p.parse_args(argv)
    if args.outage_at is None:
        args.outage_at = args.duration / 2
    if not 0 < args.outage_at < args.duration or not 0 <= args.tool_share <= 1:
        p.error("need 0 < --outage-at < --duration and 0 <= --tool-share <= 1")
    return args


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _loadavg() -> list[str]:
    return Path("/proc/loadavg").read_text().split()[:3]


async def _one(
    client: httpx.AsyncClient, target: Target, i: int, due: float, t0: float, tool: bool
) -> Sample:
    nonce = f"soak{t0:.0f}-{i}"
    content = f"scenario:one_tool_call nonce={nonce}" if tool else "scenario:text"
    needle = f"/tmp/{nonce}" if tool else "ready to help"
    body = {"model": MODEL, "messages": [{"role": "user", "content": content}]}
    detail = ""
    try:
        r = await client.post(f"{target.url}/chat/completions", json=body)
        outcome = str(r.status_code)
        if r.status_code == 200 and needle not in r.text:
            outcome = "unexpected"
        if outcome != "200":
            detail = r.text[:300]
    except httpx.HTTPError as exc:
        outcome, detail = type(exc).__name__, str(exc)[:300]
    return Sample("tool" if tool else "text", due, time.monotonic() - t0, outcome, detail)


async def _restart_redis(redis: RedisServer, at: float, seconds: float, t0: float) -> Outage:
    await asyncio.sleep(max(0.0, t0 + at - time.monotonic()))
    outage = Outage(stop=time.monotonic() - t0)
    say(f"  {outage.stop:6.1f} s  stopping Redis")
    await asyncio.to_thread(redis.stop)
    outage.down = time.monotonic() - t0
    await asyncio.sleep(seconds)
    await asyncio.to_thread(redis.start)
    outage.up = time.monotonic() - t0
    say(f"  {outage.up:6.1f} s  Redis is back")
    return outage


async def _sample_rss(pid: int, every: float, t0: float, into: list[dict[str, Any]]) -> None:
    while True:
        into.append(
            {"t": round(time.monotonic() - t0, 1), "kib": rss_kib(pid), "load1": _loadavg()[0]}
        )
        await asyncio.sleep(every)


async def soak(
    target: Target, redis: RedisServer, args: argparse.Namespace
) -> tuple[list[Sample], Outage, list[dict[str, Any]], float]:
    """Drive the load; the samples, the outage's times, RSS samples and the worst send lag."""
    assert target.pid is not None
    total = int(args.duration * args.rate)
    limits = httpx.Limits(max_connections=1000, max_keepalive_connections=200)
    headers = {"authorization": f"Bearer {target.key}"}
    rss: list[dict[str, Any]] = []
    tasks: list[asyncio.Task[Sample]] = []
    lag = 0.0
    async with httpx.AsyncClient(timeout=args.timeout, limits=limits, headers=headers) as client:
        t0 = time.monotonic()
        sampler = asyncio.create_task(_sample_rss(target.pid, args.rss_interval, t0, rss))
        restart = asyncio.create_task(_restart_redis(redis, args.outage_at, args.outage, t0))
        for i in range(total):
            due = i / args.rate
            delay = t0 + due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            lag = max(lag, -delay)
            tool = int((i + 1) * args.tool_share) > int(i * args.tool_share)
            tasks.append(asyncio.create_task(_one(client, target, i, due, t0, tool)))
            if i and i % int(args.rate * 30) == 0:
                say(f"  {due:6.1f} s  {i} requests sent, RSS {rss[-1]['kib']} KiB")
        samples = list(await asyncio.gather(*tasks))
        outage = await restart
        sampler.cancel()
        rss.append(
            {
                "t": round(time.monotonic() - t0, 1),
                "kib": rss_kib(target.pid),
                "load1": _loadavg()[0],
            }
        )
    return samples, outage, rss, lag


def _percentiles(samples: list[Sample]) -> dict[str, float | None]:
    if not samples:
        return {"p50_ms": None, "p99_ms": None, "max_ms": None}
    ms = sorted(s.latency_ms for s in samples)
    p99 = ms[min(int(0.99 * len(ms)), len(ms) - 1)]
    return {
        "p50_ms": round(statistics.median(ms), 2),
        "p99_ms": round(p99, 2),
        "max_ms": round(ms[-1], 2),
    }


def summarize(samples: list[Sample], outage: Outage, max_recovery: float) -> dict[str, Any]:
    """Split the requests at the outage window and find the first success after Redis's return."""
    after = [s.done for s in samples if s.ok and s.due >= outage.down]
    first_ok = min(after) if after else None
    recovered = first_ok is not None and first_ok - outage.up <= max_recovery
    # Redis is "back" once it answers our PING; the gateway may get there a few ms sooner
    end = max(first_ok, outage.up) if first_ok is not None else outage.up + max_recovery
    window = [s for s in samples if s.done >= outage.stop and s.due <= end]
    inside = set(map(id, window))
    outside = [s for s in samples if id(s) not in inside]
    failed_after_up = [s for s in window if not s.ok and s.due >= outage.up]
    return {
        "requests": len(samples),
        "ok": sum(s.ok for s in samples),
        "by_outcome": dict(Counter(s.outcome for s in samples)),
        "latency_all": _percentiles(samples),
        "latency_outside": _percentiles(outside),
        "latency_outside_ok": _percentiles([s for s in outside if s.ok]),
        "outside": {
            "requests": len(outside),
            "errors": dict(Counter(s.outcome for s in outside if not s.ok)),
            "failed": [asdict(s) for s in outside if not s.ok][:100],  # the first 100, to look at
        },
        "window": {
            "from_s": round(outage.stop, 3),
            "to_s": round(end, 3),
            "requests": len(window),
            "errors": dict(Counter(s.outcome for s in window if not s.ok)),
            "errors_after_redis_up": dict(Counter(s.outcome for s in failed_after_up)),
        },
        "redis": {k: round(v, 3) for k, v in asdict(outage).items()},
        "recovery_s": round(first_ok - outage.up, 3) if first_ok is not None else None,
        "recovered": recovered,
    }


def table(summary: dict[str, Any], rss: list[dict[str, Any]]) -> str:
    def lat(d: dict[str, float | None]) -> str:
        return f"p50 {d['p50_ms']} ms  p99 {d['p99_ms']} ms  max {d['max_ms']} ms"

    w, o, redis = summary["window"], summary["outside"], summary["redis"]
    kib = [r["kib"] for r in rss]
    lines = [
        f"{'requests':<28} {summary['requests']} ({summary['ok']} answered 200 as expected)",
        f"{'outcomes':<28} {summary['by_outcome']}",
        f"{'latency, all':<28} {lat(summary['latency_all'])}",
        f"{'latency, outside outage':<28} {lat(summary['latency_outside'])}",
        f"{'outside the outage':<28} {o['requests']} requests, errors {o['errors'] or 'none'}",
        f"{'outage window':<28} {w['from_s']:.1f}-{w['to_s']:.1f} s, {w['requests']} requests,"
        f" errors {w['errors'] or 'none'}",
        f"{'  of which after Redis up':<28} {w['errors_after_redis_up'] or 'none'}",
        f"{'Redis down (stop..start)':<28} {redis['stop']:.2f}-{redis['up']:.2f} s",
        f"{'Redis back → first success':<28} "
        + (
            f"{summary['recovery_s'] * 1000:.0f} ms"
            if summary["recovery_s"] is not None
            else "never"
        ),
        f"{'gateway RSS (KiB)':<28} start {kib[0]}  end {kib[-1]}  max {max(kib)}"
        f"  ({len(kib)} samples)",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    binary = redis_binary()
    if binary is None:
        say("!!! redis-server is not installed (make services)")
        return 2
    work = args.out.parent / "soak-logs"
    shutil.rmtree(work, ignore_errors=True)
    loadavg = {"start": _loadavg()}
    began = time.time()
    redis = RedisServer(free_port(), work / "redis", binary)
    try:
        redis.start()
        with SoakStack(work, args.airlock, args.rego, redis) as stack:
            stack.upstream()
            target = stack.gateway(GatewayConfig("embedded", "redis"))
            probe(target)
            say(
                f"soak: {args.duration:.0f} s at {args.rate:.0f}/s, Redis down at"
                f" {args.outage_at:.0f} s for {args.outage:.0f} s (logs in {work})"
            )
            samples, outage, rss, lag = asyncio.run(soak(target, redis, args))
    except (ServiceError, RuntimeError) as exc:
        say(f"!!! {exc}\n(logs in {work})")
        return 2
    finally:
        redis.stop()
        for audit in work.glob("*audit.jsonl"):
            audit.unlink()  # a record per decided call: too big to keep
    loadavg["end"] = _loadavg()
    summary = summarize(samples, outage, args.max_recovery)
    print(table(summary, rss))
    print(f"{'client lag (worst)':<28} {lag * 1000:.1f} ms behind schedule")
    start, end = (" ".join(loadavg[k]) for k in ("start", "end"))
    print(f"load average (1/5/15 min): start {start}, end {end}")
    result = {
        "benchmark": "airlock-soak",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(began)),
        "settings": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "loadavg": loadavg,
        "client_lag_ms": round(lag * 1000, 1),
        **summary,
        "rss": {
            "start_kib": rss[0]["kib"],
            "end_kib": rss[-1]["kib"],
            "max_kib": max(r["kib"] for r in rss),
            "samples": rss,
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")
    failed = not summary["recovered"] or bool(summary["outside"]["errors"])
    if failed:
        say("!!! errors outside the outage window, or the gateway did not recover")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
