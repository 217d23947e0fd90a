"""The benchmark harness (tests/bench/run.py) works end to end, in its quickest mode.

Nothing here asserts a timing: the numbers are the benchmark's to report, on a machine that
may be busy. What must hold is that every target answered every workload with a 2xx carrying
what was asked, and that the JSON has the shape `make bench` promises.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT, missing_service

RUN = ROOT / "tests" / "bench" / "run.py"
WORKLOADS = {"text", "tool", "tool_repeat", "stream", "ttft"}
ROW_FIELDS = {
    "target",
    "backend",
    "engine",
    "workload",
    "connections",
    "requests",
    "rps",
    "p50_ms",
    "p99_ms",
    "non_2xx",
    "errors",
    "load1",
}


@pytest.mark.timeout(240)
def test_quick_bench_answers_2xx_and_writes_its_report(tmp_path):
    if shutil.which("wrk") is None:
        missing_service("wrk (Debian's wrk: make services)")
    out = tmp_path / "bench.json"
    cmd = [sys.executable, str(RUN), "--quick", "--gateways", "embedded-memory", "--no-litellm"]
    done = subprocess.run(
        [*cmd, "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=200
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    assert "target   backend engine   workload" in done.stdout

    report = json.loads(out.read_text())
    rows = report["rows"]
    assert all(set(row) >= ROW_FIELDS for row in rows)
    seen = {(r["target"], r["backend"], r["engine"], r["workload"], r["connections"]) for r in rows}
    for target, backend, engine in (("direct", "-", "-"), ("gateway", "memory", "embedded")):
        for workload in WORKLOADS - {"ttft"}:
            for conns in (1, 32):
                assert (target, backend, engine, workload, conns) in seen
        assert (target, backend, engine, "ttft", 1) in seen
    bad = [r for r in rows if r["requests"] <= 0 or r["non_2xx"] or r["errors"]]
    assert not bad, bad

    ratios = report["ratios"]
    added = ratios["added_ms_1conn"]["embedded-memory"]
    assert set(added) == WORKLOADS - {"ttft"}
    assert all(
        isinstance(v["p50_ms"], float) and isinstance(v["p99_ms"], float) for v in added.values()
    )
    throughput = ratios["rps_ratio_32conns"]["embedded-memory"]
    assert all(v["vs_direct"] > 0 and v["vs_litellm"] is None for v in throughput.values())
    assert set(ratios["ttft_added_ms"]["embedded-memory"]) == {"p50_ms", "p99_ms"}
    assert set(ratios["repeat_vs_unique"]["embedded-memory"]) == {
        "p50_ms_1conn",
        "rps_ratio_32conns",
    }

    assert {t["target"] for t in report["targets"]} >= {"added p50 ms, tool call, 1 conn"}
    assert report["litellm"]["available"] is None
    assert report["memory"] is None
    assert len(report["loadavg"]["start"]) == len(report["loadavg"]["end"]) == 3
    assert report["settings"]["gateways"] == ["embedded-memory"]
