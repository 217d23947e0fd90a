"""Issue 7's benchmark: Airlock beside direct access and LiteLLM proxy, in one run.

    .venv/bin/python tests/bench/run.py                       # everything (`make bench`)
    .venv/bin/python tests/bench/run.py --quick --gateways embedded-memory --no-litellm
    .venv/bin/python tests/bench/run.py --no-memory --workloads tool --connections 1

Starts the scripted upstream (tests/fixtures/upstream.py), one `airlock serve` per gateway
configuration (embedded or OPA engine, memory or Redis state; redis-server and `opa run
--server rego/` are started for them) and LiteLLM proxy (one worker, no database, the same
upstream). wrk drives each target at 1 and 32 connections with every workload (chat.lua):
`text`, `tool` (one allowed call whose arguments differ on every request), `tool_repeat`
(the same call each time: answered from the decision cache) and `stream`; runs are
interleaved target by target so that drifting load hits all of them alike. A raw-socket
client then measures the time to the first streamed token (`ttft`). Last, a fresh gateway
serves 100k `tool` requests at 32 connections while its RSS is sampled.

Prints one table, the ratios within this run and issue 7's targets, and writes them as JSON
(tests/bench/results/bench.json). The machine may be shared: every row carries the load
average at its start. Exit status 1 when any run saw a non-2xx answer or an error.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `tests` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench import report
from tests.bench.latency import WORKLOADS, Row, drive, measure
from tests.bench.machine import rss_kib
from tests.bench.stack import GatewayConfig, ServiceError, Stack, Target, probe
from tests.bench.ttft import measure_ttft
from tests.conftest import ROOT

GATEWAYS = ("embedded-memory", "embedded-redis", "opa-memory")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--quick", action="store_true", help="1 s runs, no warmup: a smoke run")
    p.add_argument("--gateways", nargs="*", default=list(GATEWAYS), metavar="ENGINE-BACKEND")
    p.add_argument("--no-litellm", dest="litellm", action="store_false")
    p.add_argument("--workloads", nargs="+", choices=WORKLOADS, default=list(WORKLOADS))
    p.add_argument("--connections", nargs="+", type=int, default=[1, 32])
    p.add_argument("--duration", type=int, help="seconds per measured run (default 5)")
    p.add_argument("--warmup", type=int, help="seconds of discarded warmup (default 1)")
    p.add_argument("--ttft-requests", type=int, help="sequential streamed requests (500)")
    p.add_argument("--memory", action=argparse.BooleanOptionalAction, help="RSS run (default on)")
    p.add_argument("--memory-requests", type=int, help="default 100000 (--quick: 5000)")
    p.add_argument("--memory-budget", type=float, default=300.0, help="at most these seconds")
    p.add_argument("--memory-interval", type=float, default=2.0, help="seconds between samples")
    p.add_argument("--gateway-workers", type=int, default=1, help="for Redis-state gateways")
    p.add_argument("--airlock", type=Path, default=ROOT / ".venv/bin/airlock")
    p.add_argument("--rego", type=Path, default=ROOT / "rego", help="the policy directory")
    p.add_argument("--litellm-bin", type=Path, default=ROOT / ".venv/bin/litellm")
    p.add_argument("--out", type=Path, default=ROOT / "tests/bench/results/bench.json")
    args = p.parse_args(argv)
    quick = args.quick
    args.duration = args.duration or (1 if quick else 5)
    args.warmup = args.warmup if args.warmup is not None else (0 if quick else 1)
    args.ttft_requests = args.ttft_requests or (30 if quick else 500)
    args.memory = (not quick) if args.memory is None else args.memory
    args.memory_requests = args.memory_requests or (5_000 if quick else 100_000)
    try:
        args.gateways = [GatewayConfig.parse(g) for g in args.gateways]
    except ValueError as exc:
        p.error(str(exc))
    return args


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def start_targets(stack: Stack, args: argparse.Namespace, notes: dict[str, Any]) -> list[Target]:
    targets = [stack.upstream()]
    for config in args.gateways:
        workers = args.gateway_workers if config.backend == "redis" else 1
        targets.append(stack.gateway(config, workers))
    if args.litellm:
        try:
            targets.append(stack.litellm_proxy())
            notes["litellm"] = {"available": True}
        except (ServiceError, OSError) as exc:
            notes["litellm"] = {"available": False, "reason": str(exc)[-2000:]}
            say(f"!!! LiteLLM proxy is unavailable, measured without it:\n{exc}")
    for target in targets:
        probe(target)
    return targets


def table_runs(targets: list[Target], args: argparse.Namespace) -> list[Row]:
    rows = []
    for workload in args.workloads:
        for conns in args.connections:
            for target in targets:
                if workload == "tool_repeat" and target.name == "litellm":
                    continue  # a cache's effect is a gateway question; direct is its baseline
                row = measure(target, workload, conns, args.duration, args.warmup)
                say(_progress(target, row))
                rows.append(row)
    for target in targets:
        row = measure_ttft(target, args.ttft_requests)
        say(_progress(target, row))
        rows.append(row)
    return rows


def _progress(target: Target, row: Row) -> str:
    return (
        f"  {target.label:<24} {row.workload:<11} c={row.connections:<3} p50 {row.p50_ms:8.3f} ms"
        f"  p99 {row.p99_ms:8.3f} ms  {row.rps:9.1f} rps  non-2xx {row.non_2xx} errors"
        f" {row.errors}  load {row.load1:.2f}  others {row.others_cpu:.2f} cores"
    )


def memory_run(stack: Stack, args: argparse.Namespace) -> dict[str, Any]:
    """A fresh headline gateway: RSS at idle, sampled while serving N requests, then idle."""
    config = GatewayConfig.parse(report.HEADLINE)
    stack.upstream()
    gateway = stack.gateway(config, tag="-memory")
    assert gateway.pid is not None
    time.sleep(2)
    idle = rss_kib(gateway.pid)
    samples: list[tuple[float, int]] = []
    stopped = threading.Event()
    started = time.monotonic()

    def sample() -> None:
        while True:
            samples.append((round(time.monotonic() - started, 2), rss_kib(gateway.pid)))
            if stopped.wait(args.memory_interval):
                return

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    say(f"  memory: {args.memory_requests} `tool` requests at 32 conns, idle {idle} KiB")
    stats = drive(gateway, "tool", 32, args.memory_requests, 10, args.memory_budget)
    if stats.requests < args.memory_requests:
        say(f"!!! memory run stopped after {args.memory_budget:.0f} s: {stats.requests} requests")
    stopped.set()
    sampler.join()
    samples.append((round(time.monotonic() - started, 2), rss_kib(gateway.pid)))
    settle = 3.0
    time.sleep(settle)
    return {
        "config": config.name,
        "workload": "tool",
        "connections": 32,
        "requested": args.memory_requests,
        "requests": stats.requests,
        "rps": stats.rps,
        "non_2xx": stats.non_2xx,
        "errors": stats.errors,
        "idle_kib": idle,
        "settled_kib": rss_kib(gateway.pid),
        "settle_s": settle,
        "interval_s": args.memory_interval,
        "samples": samples,
    }


def host() -> dict[str, Any]:
    def first_line(cmd: list[str]) -> str:
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            return "unknown"
        lines = (done.stdout or done.stderr).strip().splitlines()
        return lines[0] if lines else "unknown"

    return {
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "wrk": first_line(["wrk", "--version"]),
        "commit": first_line(["git", "describe", "--always", "--dirty"]),
    }


def _drop_audit(work: Path) -> None:
    """The audit files grow by a record per decided call: too big to keep."""
    for audit in work.glob("*/*audit.jsonl"):
        audit.unlink()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    notes: dict[str, Any] = {"litellm": {"available": None, "reason": "not requested"}}
    loadavg = {"start": Path("/proc/loadavg").read_text().split()[:3]}
    memory = None
    began = time.monotonic()
    # Configs and logs stay beside the results for a look after the run; audit files go.
    work = args.out.parent / "logs"
    shutil.rmtree(work, ignore_errors=True)
    try:
        with Stack(work / "table", args.airlock, args.litellm_bin, args.rego) as stack:
            rows = table_runs(start_targets(stack, args, notes), args)
    except RuntimeError as exc:  # ServiceError, or wrk itself failing
        say(f"!!! {exc}\n(logs in {work})")
        return 2
    finally:
        _drop_audit(work)
    if args.memory:
        try:
            with Stack(work / "memory", args.airlock, args.litellm_bin, args.rego) as stack:
                memory = memory_run(stack, args)
        except RuntimeError as exc:
            say(f"!!! the memory run failed: {exc}\n(logs in {work})")
            memory = {"error": str(exc)[-2000:]}
        finally:
            _drop_audit(work)
    loadavg["end"] = Path("/proc/loadavg").read_text().split()[:3]
    found = report.ratios(rows)
    goals = report.targets(rows, found)
    print(report.table(rows))
    print(report.describe_ratios(found))
    if memory is not None:
        print(report.describe_memory(memory) if "error" not in memory else "!!! no memory result")
    print(report.describe_targets(goals))
    if notes["litellm"]["available"] is False:
        print("!!! LiteLLM proxy did not start: no LiteLLM rows (reason in the JSON, `litellm`)")
    start, end = (" ".join(loadavg[k]) for k in ("start", "end"))
    print(f"load average (1/5/15 min): start {start}, end {end}")
    result = {
        "benchmark": "airlock-bench",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "elapsed_s": round(time.monotonic() - began, 1),
        "host": host(),
        "loadavg": loadavg,
        "settings": {
            "quick": args.quick,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "connections": args.connections,
            "workloads": args.workloads,
            "gateways": [g.name for g in args.gateways],
            "gateway_workers": args.gateway_workers,
            "ttft_requests": args.ttft_requests,
        },
        "litellm": notes["litellm"],
        "rows": [asdict(r) for r in rows],
        "ratios": found,
        "targets": goals,
        "memory": memory,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out} (service logs in {work})")
    memory_clean = memory is None or not (
        "error" in memory or memory["non_2xx"] or memory["errors"]
    )
    clean = all(r.clean for r in rows) and memory_clean
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
