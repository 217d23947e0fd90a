"""Time `normalize()` per tool call over the shared corpus: `python tests/bench/normalize_speed.py`.

Each call is what the gateway does per tool call: `parse_arguments` on the JSON text, then
`normalize`. Two views, in microseconds: every timed call (includes GC pauses and noise from
other processes), and the median of each case's repetitions (the cost of the call itself).
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

import orjson

from gateway.firewall.normalize import normalize, parse_arguments

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
REPEAT = 7


def _percentiles(samples: list[float]) -> str:
    samples = sorted(samples)
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    return f"p50 {statistics.median(samples):.0f} us, p99 {p99:.0f} us, max {samples[-1]:.0f} us"


def main() -> int:
    calls = []
    for path in sorted(CORPUS.glob("*.jsonl")):
        for line in path.read_text().splitlines():
            case = json.loads(line)
            calls.append((case["tool"]["name"], orjson.dumps(case["tool"]["arguments"]).decode()))
    if not calls:
        print(f"no corpus at {CORPUS}")
        return 1
    every: list[float] = []
    typical: list[float] = []
    for name, raw in calls:
        normalize(name, *parse_arguments(raw))  # warm caches
        runs = []
        for _ in range(REPEAT):
            start = time.perf_counter_ns()
            normalize(name, *parse_arguments(raw))
            runs.append((time.perf_counter_ns() - start) / 1000)
        every += runs
        typical.append(statistics.median(runs))
    print(f"{len(calls)} corpus tool calls, {REPEAT} runs each")
    print(f"  per call (median of runs): {_percentiles(typical)}")
    print(f"  every run:                 {_percentiles(every)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
