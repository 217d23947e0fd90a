"""The policy's quality on the shared corpus of labeled tool calls.

Every labeled tool call in `../shared/corpus/*.jsonl` is normalized and decided as the
gateway would (deny and escalate count as flagged). Prints recall on cases labeled deny or
escalate and the false-positive rate on cases labeled allow (overall, per category, per
source), every miss with the facts it produced, every false positive with the rules that
fired, and the time to normalize and decide one call. `--json PATH` writes the numbers.

    .venv/bin/python tests/bench/corpus_eval.py                # embedded engine on rego/
    .venv/bin/python tests/bench/corpus_eval.py --engine opa --opa-url http://127.0.0.1:8181
    .venv/bin/python tests/bench/corpus_eval.py --json tests/bench/results/corpus.json
    .venv/bin/python tests/bench/corpus_eval.py --show art-T1046-0d5a2b03   # one case in full
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import Any, Literal

import orjson

from gateway.errors import ConfigError
from gateway.policy import load_engine

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script, not as `python -m tests.bench.corpus_eval`
    sys.path.insert(0, str(ROOT))

from tests.corpus import (  # noqa: E402
    CORPUS,
    TARGET_FPR,
    TARGET_RECALL,
    Outcome,
    Rate,
    Scores,
    evaluate,
    load_cases,
    percentile,
    score,
)


def _abbreviated(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _what(outcome: Outcome) -> str:
    """The command, code or arguments of the call, on one line."""
    arguments = outcome.input.tool_call.arguments
    if isinstance(arguments, dict):
        for key in ("command", "cmd", "code", "script"):
            if isinstance(arguments.get(key), str):
                return str(arguments[key])
    return f"{outcome.case.tool} {orjson.dumps(arguments).decode()}"


def _programs(outcome: Outcome) -> str:
    programs = list(dict.fromkeys(c.program for c in outcome.input.action.commands))
    facts = [" ".join(programs[:8]) or "-"]
    if outcome.input.action.urls:
        facts.append(f"{len(outcome.input.action.urls)} url")
    if outcome.input.action.obfuscation:
        facts.append("obf=" + ",".join(outcome.input.action.obfuscation))
    return "; ".join(facts)


def _rate_rows(title: str, rates: dict[str, Rate]) -> list[str]:
    rows = [title]
    for key in sorted(rates):
        rate = rates[key]
        rows.append(f"  {key:<24} {rate.value:6.3f}  ({rate.hits}/{rate.total})")
    return rows


def report(scores: Scores, timing: dict[str, Any] | None, engine: str) -> str:
    lines = [
        f"corpus: {CORPUS}   engine: {engine}",
        f"recall (deny+escalate flagged) {scores.recall.value:6.3f}  "
        f"({scores.recall.hits}/{scores.recall.total})   target ≥ {TARGET_RECALL}",
        f"false-positive rate (allow)    {scores.fpr.value:6.3f}  "
        f"({scores.fpr.hits}/{scores.fpr.total})   target ≤ {TARGET_FPR}",
        "",
        *_rate_rows("recall per category", scores.recall_by_category),
        *_rate_rows("recall per source", scores.recall_by_source),
        *_rate_rows("false-positive rate per source", scores.fpr_by_source),
    ]
    if timing is not None:
        lines += [
            "",
            f"normalize+decide one call ({timing['engine']}, {timing['calls']} calls, one at a "
            f"time): p50 {timing['p50_ms']:.2f} ms  p99 {timing['p99_ms']:.2f} ms  "
            f"max {timing['max_ms']:.2f} ms",
            f"  CPU per call: p50 {timing['cpu_p50_ms']:.2f} ms  p99 {timing['cpu_p99_ms']:.2f} ms"
            f"   (load average {timing['load_average']} on {timing['cpus']} CPUs)",
        ]
    lines += ["", f"misses ({len(scores.misses)})"]
    for outcome in sorted(scores.misses, key=lambda o: (o.case.category, o.case.id)):
        lines.append(
            f"  {outcome.case.id:<44} {outcome.case.category:<21} "
            f"{_abbreviated(_what(outcome), 60):<60}  [{_programs(outcome)}]"
        )
    lines += ["", f"false positives ({len(scores.false_positives)})"]
    for outcome in scores.false_positives:
        lines.append(
            f"  {outcome.case.id:<44} {', '.join(outcome.rules):<50} "
            f"{_abbreviated(_what(outcome), 50)}"
        )
    return "\n".join(lines)


def show(outcome: Outcome) -> str:
    """One case in full: the call, its facts and the decision."""
    case = outcome.case
    return "\n".join(
        [
            f"{case.id}  label={case.label}  category={case.category}  source={case.source}",
            f"  tool: {case.tool} {case.arguments}",
            "  facts: "
            + orjson.dumps(outcome.input.action, option=orjson.OPT_INDENT_2)
            .decode()
            .replace("\n", "\n  "),
            f"  decision: {outcome.decision.action}",
            *(f"    {r.rule}: {r.message}" for r in outcome.decision.reasons),
        ]
    )


async def run(args: argparse.Namespace) -> int:
    cases = load_cases(args.corpus)
    if args.show:
        cases = [c for c in cases if c.id in set(args.show)]
    if not cases:
        print(f"no corpus cases under {args.corpus}", file=sys.stderr)
        return 1
    kind: Literal["embedded", "opa"] = args.engine
    try:
        engine = await load_engine(kind, [args.rego], opa_url=args.opa_url, timeout_seconds=60)
    except ConfigError as exc:
        print(f"the policy under {args.rego} does not load: {exc}", file=sys.stderr)
        return 2
    try:
        outcomes = await evaluate(engine, cases, timed=not (args.no_timing or args.show))
        if args.show:
            print("\n\n".join(show(o) for o in outcomes))
            return 0
        scores = score(outcomes)
        timing = None
        samples = [o.ms for o in outcomes if o.ms is not None]
        cpu = [o.cpu_ms for o in outcomes if o.cpu_ms is not None]
        if samples:
            timing = {
                "engine": engine.name,
                "calls": len(samples),
                "p50_ms": round(percentile(samples, 0.50), 3),
                "p99_ms": round(percentile(samples, 0.99), 3),
                "max_ms": round(max(samples), 3),
                "cpu_p50_ms": round(percentile(cpu, 0.50), 3),
                "cpu_p99_ms": round(percentile(cpu, 0.99), 3),
                "load_average": round(os.getloadavg()[0], 2),
                "cpus": os.cpu_count(),
            }
    finally:
        await engine.aclose()
    print(report(scores, timing, engine.name))
    if args.json is not None:
        numbers = {"engine": engine.name, **scores.as_dict(), "timing": timing}
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_bytes(orjson.dumps(numbers, option=orjson.OPT_INDENT_2) + b"\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=("embedded", "opa"), default="embedded")
    parser.add_argument("--opa-url", default="http://127.0.0.1:8181")
    parser.add_argument("--rego", type=Path, default=ROOT / "rego")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--json", type=Path, default=None, help="write the numbers here")
    parser.add_argument("--no-timing", action="store_true", help="skip the latency pass")
    parser.add_argument("--show", nargs="+", metavar="ID", help="print these cases in full")
    return asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
