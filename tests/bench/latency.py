"""Issue 2: the latency Airlock adds over calling the upstream directly.

    .venv/bin/python tests/bench/latency.py [--duration 10] [--warmup 2] [--connections 1 32]
                                            [--direct-only] [--out tests/bench/results/latency.json]

Starts the scripted upstream and `airlock serve` (embedded policy engine, in-memory state),
then drives each with wrk: `scenario:one_tool_call` with a nonce unique to every request, so
every answer carries one tool call the firewall must decide and no cache can help. For each
connection count it runs the upstream directly and through the gateway (after a warmup run
that is thrown away), prints one table and writes the numbers as JSON. The exit status is 1
when any run saw a non-2xx answer, a socket error or an answer without the expected call.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx
import yaml

if __package__ in (None, ""):  # run as a script: make `tests` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.conftest import free_port, stop, wait_for_http

ROOT = Path(__file__).resolve().parents[2]
LUA = Path(__file__).with_name("one_tool_call.lua")
UPSTREAM = ROOT / "tests" / "fixtures" / "upstream.py"
UPSTREAM_KEY = "sk-upstream"
AGENT_KEY = "bench-agent-key-0123456789"  # the gateway refuses keys under 20 chars
MODEL = "bench"
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_DURATION = r"([\d.]+)(us|ms|s|m|h)"


@dataclass
class Run:
    """One measured wrk run."""

    target: str  # "direct" | "gateway"
    connections: int
    requests: int
    rps: float
    p50_ms: float
    p75_ms: float
    p90_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int
    unexpected: int

    @property
    def clean(self) -> bool:
        return self.requests > 0 and not (self.non_2xx or self.socket_errors or self.unexpected)


def parse_wrk(output: str, target: str, connections: int) -> Run:
    """Read wrk's `--latency` report (plus the Lua script's `unexpected bodies` line)."""

    def percentile(p: int) -> float:
        m = re.search(rf"^\s*{p}%\s+{_DURATION}\s*$", output, re.M)
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
    return Run(
        target=target,
        connections=connections,
        requests=count(r"^\s*(\d+) requests in"),
        rps=float(rps.group(1)) if rps else 0.0,
        p50_ms=percentile(50),
        p75_ms=percentile(75),
        p90_ms=percentile(90),
        p99_ms=percentile(99),
        non_2xx=count(r"Non-2xx or 3xx responses: (\d+)"),
        socket_errors=sum(map(int, errors.groups())) if errors else 0,
        unexpected=count(r"^unexpected bodies: (\d+)"),
    )


def wrk(
    url: str, key: str, connections: int, seconds: int, args: argparse.Namespace, run_id: str
) -> str:
    threads = max(1, min(args.threads, connections))
    cmd = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        f"--timeout={args.timeout}s",
        "--latency",
        "-s",
        str(LUA),
        f"{url}/chat/completions",
        "--",
        key,
        MODEL,
        run_id,
    ]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    return done.stdout


def measure(target: str, url: str, key: str, connections: int, args: argparse.Namespace) -> Run:
    stamp = f"{target}{connections}x{int(time.time() * 1000)}"
    if args.warmup > 0:
        wrk(url, key, connections, args.warmup, args, stamp + "w")
    run = parse_wrk(wrk(url, key, connections, args.duration, args, stamp), target, connections)
    print(
        f"  {target:<8} c={connections:<3} p50 {run.p50_ms:.3f} ms  p99 {run.p99_ms:.3f} ms  "
        f"{run.rps:.0f} rps",
        file=sys.stderr,
        flush=True,
    )
    return run


def check_answer(url: str, key: str) -> None:
    """Fail fast with the answer itself when the target does not return the tool call."""
    body = {
        "model": MODEL,
        "messages": [{"role": "user", "content": "scenario:one_tool_call nonce=probe"}],
    }
    r = httpx.post(
        f"{url}/chat/completions", json=body, timeout=30, headers={"authorization": f"Bearer {key}"}
    )
    calls = r.json()["choices"][0]["message"].get("tool_calls") if r.status_code == 200 else None
    if not calls or "/tmp/probe" not in calls[0]["function"]["arguments"]:
        raise SystemExit(f"{url} did not return the tool call: {r.status_code} {r.text[:500]}")


def gateway_config(upstream_port: int, directory: Path) -> Path:
    config = {
        "model_list": [
            {
                "model_name": MODEL,
                "litellm_params": {
                    "model": f"openai/{MODEL}",
                    "api_base": f"http://127.0.0.1:{upstream_port}/v1",
                    "api_key": UPSTREAM_KEY,
                },
            }
        ],
        "keys": [{"key": AGENT_KEY, "agent": "bench"}],
        "policy": {"engine": "embedded", "paths": [str(ROOT / "rego")]},
        "audit": {"path": str(directory / "audit.jsonl")},
    }
    path = directory / "airlock.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def start(cmd: list[str], health: str, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_http(health, proc, timeout=60)
    except RuntimeError as exc:
        stop(proc)
        tail = log.read_text(errors="replace")[-3000:]
        raise SystemExit(f"{exc}\n--- {log.name} ---\n{tail}") from None
    return proc


def table(runs: list[Run]) -> str:
    lines = [
        f"{'target':<8} {'conns':>5} {'rps':>9} {'p50 ms':>8} {'p75 ms':>8} {'p90 ms':>8} "
        f"{'p99 ms':>8} {'non-2xx':>7} {'sockerr':>7} {'unexpected':>10}"
    ]
    lines += [
        f"{r.target:<8} {r.connections:>5} {r.rps:>9.1f} {r.p50_ms:>8.3f} {r.p75_ms:>8.3f} "
        f"{r.p90_ms:>8.3f} {r.p99_ms:>8.3f} {r.non_2xx:>7} {r.socket_errors:>7} "
        f"{r.unexpected:>10}"
        for r in runs
    ]
    return "\n".join(lines)


def added(runs: list[Run]) -> dict[str, dict[str, float]]:
    """Gateway minus direct, per connection count, for p50 and p99 (milliseconds)."""
    by = {(r.target, r.connections): r for r in runs}
    out = {}
    for (target, conns), gw in by.items():
        direct = by.get(("direct", conns))
        if target == "gateway" and direct is not None:
            out[str(conns)] = {
                "p50_ms": round(gw.p50_ms - direct.p50_ms, 3),
                "p99_ms": round(gw.p99_ms - direct.p99_ms, 3),
            }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of discarded warmup")
    parser.add_argument("--connections", type=int, nargs="+", default=[1, 32])
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--timeout", type=int, default=10, help="wrk per-request timeout (s)")
    parser.add_argument("--direct-only", action="store_true", help="skip the gateway")
    parser.add_argument("--airlock", default=str(ROOT / ".venv" / "bin" / "airlock"))
    parser.add_argument("--out", type=Path, default=ROOT / "tests/bench/results/latency.json")
    args = parser.parse_args(argv)

    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="airlock-bench-") as tmp:
        work = Path(tmp)
        up_port = free_port()
        upstream = start(
            [sys.executable, str(UPSTREAM), "--port", str(up_port)],
            f"http://127.0.0.1:{up_port}/health",
            work / "upstream.log",
        )
        procs = [upstream]
        targets = {"direct": (f"http://127.0.0.1:{up_port}/v1", UPSTREAM_KEY)}
        try:
            if not args.direct_only:
                gw_port = free_port()
                config = gateway_config(up_port, work)
                procs.append(
                    start(
                        [args.airlock, "serve", "--config", str(config), "--port", str(gw_port)],
                        f"http://127.0.0.1:{gw_port}/readyz",  # 503 until the policy is loaded
                        work / "gateway.log",
                    )
                )
                targets["gateway"] = (f"http://127.0.0.1:{gw_port}/v1", AGENT_KEY)
            for url, key in targets.values():
                check_answer(url, key)
            for connections in args.connections:
                for target, (url, key) in targets.items():
                    runs.append(measure(target, url, key, connections, args))
        finally:
            for proc in reversed(procs):
                stop(proc)

    print(table(runs))
    deltas = added(runs)
    for conns, d in deltas.items():
        print(
            f"added by the gateway at {conns} connection(s): "
            f"p50 {d['p50_ms']:+.3f} ms, p99 {d['p99_ms']:+.3f} ms"
        )
    report = {
        "benchmark": "latency",
        "scenario": "one_tool_call (unique nonce per request)",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "host": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "machine": platform.machine(),
        },
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "runs": [asdict(r) for r in runs],
        "added_ms": deltas,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0 if all(r.clean for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
