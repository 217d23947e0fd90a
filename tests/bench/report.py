"""The benchmark's table, the ratios within one run, and issue 7's targets measured against them."""

from __future__ import annotations

from typing import Any

from tests.bench.latency import Row

HEADLINE = "embedded-memory"  # the configuration the targets are about

_COLUMNS = (  # heading, Row attribute, width, format
    ("target", "target", 8, "s"),
    ("backend", "backend", 7, "s"),
    ("engine", "engine", 8, "s"),
    ("workload", "workload", 11, "s"),
    ("conns", "connections", 5, "d"),
    ("p50 ms", "p50_ms", 8, ".3f"),
    ("p99 ms", "p99_ms", 8, ".3f"),
    ("rps", "rps", 9, ".1f"),
    ("non-2xx", "non_2xx", 7, "d"),
    ("errors", "errors", 6, "d"),
    ("load1", "load1", 5, ".2f"),
    ("others", "others_cpu", 6, ".2f"),
)


def key(row: Row) -> str:
    """`direct`, `litellm`, or the gateway's `<engine>-<backend>`."""
    return f"{row.engine}-{row.backend}" if row.target == "gateway" else row.target


def table(rows: list[Row]) -> str:
    """One line per run. `errors`: socket errors and answers without what was asked; `others`:
    cores that processes outside the benchmark kept busy meanwhile (the noise)."""
    head = " ".join(
        f"{name:<{width}}" if kind == "s" else f"{name:>{width}}"
        for name, _, width, kind in _COLUMNS
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        cells = (
            f"{getattr(r, attr):{'<' if kind == 's' else '>'}{width}{kind}}"
            for _, attr, width, kind in _COLUMNS
        )
        lines.append(" ".join(cells))
    return "\n".join(lines)


def ratios(rows: list[Row]) -> dict[str, Any]:
    """Added latency at 1 connection, throughput ratios at 32, added time to first token.

    Every number compares runs of the same invocation, made minutes apart on the same machine.
    """
    by = {(key(r), r.workload, r.connections): r for r in rows}
    others = sorted({key(r) for r in rows} - {"direct"})
    added: dict[str, dict[str, dict[str, float]]] = {}
    throughput: dict[str, dict[str, dict[str, float | None]]] = {}
    ttft: dict[str, dict[str, float]] = {}
    for name in others:
        for (k, workload, conns), row in by.items():
            direct = by.get(("direct", workload, conns))
            if k != name or direct is None:
                continue
            if workload == "ttft":
                ttft[name] = {
                    "p50_ms": round(row.p50_ms - direct.p50_ms, 3),
                    "p99_ms": round(row.p99_ms - direct.p99_ms, 3),
                }
            elif conns == 1:
                added.setdefault(name, {})[workload] = {
                    "p50_ms": round(row.p50_ms - direct.p50_ms, 3),
                    "p99_ms": round(row.p99_ms - direct.p99_ms, 3),
                }
            elif conns == 32:
                litellm = by.get(("litellm", workload, conns))
                ratio: dict[str, float | None] = {"vs_direct": _ratio(row.rps, direct.rps)}
                if name != "litellm":
                    ratio["vs_litellm"] = _ratio(row.rps, litellm.rps) if litellm else None
                throughput.setdefault(name, {})[workload] = ratio
    return {
        "added_ms_1conn": added,
        "rps_ratio_32conns": throughput,
        "ttft_added_ms": ttft,
        "repeat_vs_unique": _repeat_vs_unique(by, others),
    }


def _repeat_vs_unique(by: dict[tuple[str, str, int], Row], names: list[str]) -> dict[str, Any]:
    """The same call every time against a new one every time: a decision cache shows here."""
    out: dict[str, Any] = {}
    for name in names:
        entry: dict[str, float | None] = {}
        one = by.get((name, "tool_repeat", 1)), by.get((name, "tool", 1))
        if one[0] and one[1]:
            entry["p50_ms_1conn"] = round(one[0].p50_ms - one[1].p50_ms, 3)
        many = by.get((name, "tool_repeat", 32)), by.get((name, "tool", 32))
        if many[0] and many[1]:
            entry["rps_ratio_32conns"] = _ratio(many[0].rps, many[1].rps)
        if entry:
            out[name] = entry
    return out


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 4) if b else None


def targets(rows: list[Row], found: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 7's targets for the headline configuration: measured value, limit, met or not."""
    added = found["added_ms_1conn"].get(HEADLINE, {}).get("tool")
    rps = found["rps_ratio_32conns"].get(HEADLINE, {}).get("tool")
    ttft = found["ttft_added_ms"].get(HEADLINE)
    gateway_rows = [r for r in rows if key(r) == HEADLINE]
    checks: list[tuple[str, float | None, str, float]] = [
        ("added p50 ms, tool call, 1 conn", added and added["p50_ms"], "<=", 1.0),
        ("added p99 ms, tool call, 1 conn", added and added["p99_ms"], "<=", 3.0),
        ("rps / direct, tool call, 32 conns", rps and rps["vs_direct"], ">=", 0.30),
        ("rps / LiteLLM, tool call, 32 conns", rps and rps["vs_litellm"], ">=", 10.0),
        ("added TTFT p50 ms, streamed text", ttft and ttft["p50_ms"], "<=", 1.0),
    ]
    if gateway_rows:
        bad = sum(r.non_2xx for r in gateway_rows if r.connections == 32)
        checks.append(("non-2xx answers at 32 conns", bad, "<=", 0))
    out = []
    for name, value, op, limit in checks:
        met = None if value is None else (value <= limit if op == "<=" else value >= limit)
        out.append({"target": name, "measured": value, "op": op, "limit": limit, "met": met})
    return out


def describe_targets(found: list[dict[str, Any]]) -> str:
    lines = [f"issue 7 targets ({HEADLINE}):"]
    for t in found:
        verdict = {True: "met", False: "MISSED", None: "not measured"}[t["met"]]
        value = "-" if t["measured"] is None else f"{t['measured']:.3f}"
        lines.append(f"  {t['target']:<38} {value:>9} {t['op']} {t['limit']:<5} {verdict}")
    return "\n".join(lines)


def describe_ratios(found: dict[str, Any]) -> str:
    lines = []
    for name, per in found["added_ms_1conn"].items():
        parts = ", ".join(f"{w} +{v['p50_ms']:.3f}/+{v['p99_ms']:.3f}" for w, v in per.items())
        lines.append(f"added over direct at 1 conn, p50/p99 ms, {name}: {parts}")
    for name, per in found["rps_ratio_32conns"].items():
        parts = ", ".join(
            f"{w} {_pct(v['vs_direct'])} of direct"
            + (f", {v['vs_litellm']:.2f}x LiteLLM" if v.get("vs_litellm") is not None else "")
            for w, v in per.items()
        )
        lines.append(f"rps at 32 conns, {name}: {parts}")
    for name, v in found["repeat_vs_unique"].items():
        lines.append(
            f"repeated call vs a new call each time, {name}: p50 at 1 conn"
            f" {v.get('p50_ms_1conn', 0):+.3f} ms, rps at 32 conns"
            f" x{v.get('rps_ratio_32conns') or 0:.2f}"
        )
    for name, v in found["ttft_added_ms"].items():
        lines.append(
            f"added TTFT over direct, {name}: p50 +{v['p50_ms']:.3f} ms, p99 +{v['p99_ms']:.3f} ms"
        )
    return "\n".join(lines)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def describe_memory(memory: dict[str, Any]) -> str:
    mib = [kib / 1024 for _, kib in memory["samples"]]
    return (
        f"gateway RSS ({memory['config']}, {memory['requests']} requests of `{memory['workload']}`"
        f" at {memory['connections']} conns, {memory['rps']:.0f} rps, non-2xx {memory['non_2xx']},"
        f" errors {memory['errors']}): idle {memory['idle_kib'] / 1024:.1f} MiB, start"
        f" {mib[0]:.1f}, end {mib[-1]:.1f}, max {max(mib):.1f} MiB; after"
        f" {memory['settle_s']:.0f} s idle {memory['settled_kib'] / 1024:.1f} MiB"
        f" ({len(mib)} samples every {memory['interval_s']:.0f} s)"
    )
