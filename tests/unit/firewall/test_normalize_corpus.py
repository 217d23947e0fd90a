"""Every tool call of the shared corpus normalizes cleanly (skipped without the corpus)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from gateway.firewall.normalize import normalize, parse_arguments

CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus"


def _cases() -> list[dict[str, Any]]:
    if not CORPUS.is_dir():
        return []
    return [
        json.loads(line)
        for path in sorted(CORPUS.glob("*.jsonl"))
        for line in path.read_text().splitlines()
        if line.strip()
    ]


CASES = _cases()


@pytest.mark.skipif(not CASES, reason=f"no corpus at {CORPUS}")
def test_every_corpus_case_normalizes() -> None:
    failures = []
    for case in CASES:
        tool = case["tool"]
        value, error = parse_arguments(orjson.dumps(tool["arguments"]).decode())
        facts = normalize(tool["name"], value, error)
        orjson.dumps(facts)
        if error is not None or "analysis_error" in facts.obfuscation:
            failures.append(case["id"])
        if tool["name"] == "bash" and "command" in tool["arguments"]:
            nothing = not (facts.commands or facts.obfuscation)
            if nothing and tool["arguments"]["command"].strip():
                failures.append(case["id"])
    assert failures == []
