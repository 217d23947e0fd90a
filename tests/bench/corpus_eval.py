"""The policy's quality on the shared corpus of labeled tool calls.

Every labeled tool call in `../shared/corpus/*.jsonl` is normalized and decided as the
gateway would (deny and escalate count as flagged). Prints recall on cases labeled deny or
escalate and the false-positive rate on cases labeled allow (overall, per category, per
source), every miss with the facts it produced, every false positive with the rules that
fired, and the time to normalize and decide one call. `--json PATH` writes the numbers.

    .venv/bin/python tests/bench/corpus_eval.py                # embedded engine on rego/
    .venv/bin/python tests/bench/corpus_eval.py --engine opa --opa-url http://127.0.0.1:8181
    .venv/bin/python tests/bench/corpus_eval.py --json tests/bench/results/corpus.json
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any, Literal

import orjson

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
    time_calls,
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


async def run(args: argparse.Namespace) -> int:
    cases = load_cases(args.corpus)
    if not cases:
        print(f"no corpus cases under {args.corpus}", file=sys.stderr)
        return 1
    kind: Literal["embedded", "opa"] = args.engine
    engine = await load_engine(kind, [args.rego], opa_url=args.opa_url, timeout_seconds=60)
    try:
        scores = score(await evaluate(engine, cases))
        timing = None
        if not args.no_timing:
            samples = await time_calls(engine, cases)
            timing = {
                "engine": engine.name,
                "calls": len(samples),
                "p50_ms": round(percentile(samples, 0.50), 3),
                "p99_ms": round(percentile(samples, 0.99), 3),
                "max_ms": round(max(samples), 3),
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
    return asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
