"""Every tool call of the shared corpus normalizes cleanly (skipped without the corpus)."""

from __future__ import annotations

import orjson
import pytest

from gateway.firewall.normalize import normalize, parse_arguments
from tests.corpus import CORPUS, load_cases

CASES = load_cases() if CORPUS.is_dir() else []


@pytest.mark.skipif(not CASES, reason=f"no corpus at {CORPUS}")
def test_every_corpus_case_normalizes() -> None:
    failures = []
    for case in CASES:
        value, error = parse_arguments(case.arguments)
        facts = normalize(case.tool, value, error)
        orjson.dumps(facts)
        if error is not None or "analysis_error" in facts.obfuscation:
            failures.append(case.id)
        command = value.get("command") if isinstance(value, dict) else None
        shell = case.tool == "bash" and isinstance(command, str) and command.strip()
        if shell and not (facts.commands or facts.obfuscation):
            failures.append(case.id)
    assert failures == []
