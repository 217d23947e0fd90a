"""Whole-response latency and throughput with wrk (Debian's `wrk`), driven by `chat.lua`.

`measure()` runs a discarded warmup, then the measured run, and reads wrk's `--latency`
report into a `Row`; `drive()` sends at least N requests in short wrk runs (for the memory
run, which samples RSS between and during them). Every run has a fresh run id, so the
`tool` workload's arguments never repeat, not even across runs.
"""

from __future__ import annotations

import itertools
import math
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from tests.bench.machine import CpuMeter, load1
from tests.bench.stack import MODEL, Target

LUA = Path(__file__).with_name("chat.lua")
WORKLOADS = ("text", "tool", "tool_repeat", "stream")
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_DURATION = r"([\d.]+)(us|ms|s|m|h)"
_runs = itertools.count()


@dataclass
class Row:
    """One line of the benchmark's table: a wrk run, or the TTFT client's requests."""

    target: str  # direct | gateway | litellm
    backend: str  # memory | redis | - (not a gateway)
    engine: str  # embedded | opa | -
    workload: str  # text | tool | tool_repeat | stream | ttft
    connections: int
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    errors: int  # socket errors, timeouts, answers without the expected content
    load1: float  # the machine's 1-minute load average when the run started
    others_cpu: float  # cores that processes outside the benchmark kept busy during the run
    p90_ms: float = 0.0

    @property
    def clean(self) -> bool:
        return self.requests > 0 and not (self.non_2xx or self.errors)


@dataclass
class WrkStats:
    """What one wrk run (or several, summed) reports."""

    requests: int
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    non_2xx: int
    errors: int


def parse_wrk(output: str) -> WrkStats:
    """Read wrk's `--latency` report (plus chat.lua's `unexpected bodies` line)."""

    def percentile(p: int) -> float:
        m = re.search(rf"^\s*{p}(?:\.0+)?%\s+{_DURATION}\s*$", output, re.M)
        if m is None:
            raise ValueError(f"no {p}% line in wrk output:\n{output}")
        return round(float(m.group(1)) * _UNIT_MS[m.group(2)], 4)

    def count(pattern: str) -> int:
        m = re.search(pattern, output, re.M)
        return int(m.group(1)) if m else 0

    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    return WrkStats(
        requests=count(r"^\s*(\d+) requests in"),
        rps=float(rps.group(1)) if rps else 0.0,
        p50_ms=percentile(50),
        p90_ms=percentile(90),
        p99_ms=percentile(99),
        non_2xx=count(r"Non-2xx or 3xx responses: (\d+)"),
        errors=(sum(map(int, errors.groups())) if errors else 0)
        + count(r"^unexpected bodies: (\d+)"),
    )


def wrk(target: Target, workload: str, connections: int, seconds: float, timeout: float) -> str:
    """One wrk run; its stdout. One wrk thread: the client must not starve a 2-core machine."""
    run_id = f"{target.name}{connections}{workload}x{time.time_ns() // 1000}n{next(_runs)}"
    cmd = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{max(1, math.ceil(seconds))}s",
        f"--timeout={timeout}s",
        "--latency",
        "-s",
        str(LUA),
        f"{target.url}/chat/completions",
        "--",
        target.key,
        MODEL,
        run_id,
        workload,
    ]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    return done.stdout


def measure(
    target: Target,
    workload: str,
    connections: int,
    seconds: float,
    warmup: float,
    timeout: float = 10,
) -> Row:
    """A discarded warmup run, then the measured run."""
    if warmup > 0:
        wrk(target, workload, connections, warmup, timeout)
    load = load1()
    with CpuMeter() as cpu:
        stats = parse_wrk(wrk(target, workload, connections, seconds, timeout))
    return Row(
        target.name,
        target.backend,
        target.engine,
        workload,
        connections,
        requests=stats.requests,
        rps=stats.rps,
        p50_ms=stats.p50_ms,
        p99_ms=stats.p99_ms,
        non_2xx=stats.non_2xx,
        errors=stats.errors,
        load1=load,
        others_cpu=cpu.others,
        p90_ms=stats.p90_ms,
    )


def drive(
    target: Target, workload: str, connections: int, total: int, chunk: float, budget: float
) -> WrkStats:
    """At least `total` requests in wrk runs of about `chunk` seconds, or as many as `budget`
    seconds allow (a slow gateway must not stall the whole benchmark); counts summed."""
    done = non_2xx = errors = 0
    elapsed = 0.0
    seconds = chunk
    while done < total and elapsed < budget:
        started = time.monotonic()
        stats = parse_wrk(wrk(target, workload, connections, seconds, timeout=10))
        elapsed += time.monotonic() - started
        if stats.requests == 0:
            raise RuntimeError(f"{target.label} answered no request in {seconds:.1f} s")
        done += stats.requests
        non_2xx += stats.non_2xx
        errors += stats.errors
        # the last run only as long as the rest needs
        seconds = min(chunk, (total - done) / max(stats.rps, 1.0), budget - elapsed)
    rps = round(done / elapsed, 1) if elapsed else 0.0
    return WrkStats(done, rps, 0.0, 0.0, 0.0, non_2xx, errors)
