"""Both engines, one truth: every corpus case through rego/ on rego-cpp and on OPA."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import orjson
import pytest

from gateway.errors import PolicyError
from gateway.firewall.normalize import normalize
from gateway.models import Agent, Decision, PolicyInput, RequestInfo, ToolCallInput
from gateway.policy import PolicyEngine, load_engine
from tests.conftest import CORPUS, ROOT

pytestmark = pytest.mark.opa

REGO = [ROOT / "rego"]
BATCH = 100  # OPA inputs in flight at once (aiohttp pools 100 connections)
TIMEOUT = 60.0  # decisions are what is compared here, not latency: a batch waits its turn


def corpus_inputs() -> list[tuple[str, PolicyInput]]:
    cases = []
    for path in sorted(Path(CORPUS).glob("*.jsonl")):
        for line in path.read_bytes().splitlines():
            case = orjson.loads(line)
            name, arguments = case["tool"]["name"], case["tool"]["arguments"]
            cases.append(
                (
                    case["id"],
                    PolicyInput(
                        agent=Agent(id="parity"),
                        request=RequestInfo(
                            id=f"req_{case['id']}",
                            model="gpt-4o",
                            endpoint="chat.completions",
                            stream=False,
                        ),
                        tool_call=ToolCallInput(
                            id=f"call_{len(cases)}", name=name, arguments=arguments
                        ),
                        action=normalize(name, arguments, None),
                    ),
                )
            )
    return cases


async def decide_all(engine: PolicyEngine, inputs: list[PolicyInput]) -> list[Decision | str]:
    """Decisions in order; a case the engine cannot decide shows as its error text."""
    results: list[Decision | str] = []
    for start in range(0, len(inputs), BATCH):
        batch = inputs[start : start + BATCH]
        try:
            results.extend(await engine.evaluate(batch))
        except PolicyError:
            for one in batch:
                try:
                    results.extend(await engine.evaluate([one]))
                except PolicyError as exc:
                    results.append(f"PolicyError: {exc}")
    return results


@pytest.fixture(scope="module")
async def engines(opa_server: str) -> AsyncIterator[tuple[PolicyEngine, PolicyEngine]]:
    embedded = await load_engine("embedded", REGO, timeout_seconds=TIMEOUT)
    opa = await load_engine("opa", REGO, opa_url=opa_server, timeout_seconds=TIMEOUT)
    yield embedded, opa
    await embedded.aclose()
    await opa.aclose()


async def test_every_corpus_case_gets_the_same_decision_on_both_engines(
    engines: tuple[PolicyEngine, PolicyEngine],
) -> None:
    embedded, opa = engines
    assert embedded.revision == opa.revision
    cases = corpus_inputs()
    assert cases, f"no corpus cases under {CORPUS}"
    inputs = [policy_input for _, policy_input in cases]
    on_embedded = await decide_all(embedded, inputs)
    on_opa = await decide_all(opa, inputs)
    differing = [
        f"{case_id}:\n  embedded: {mine}\n  opa:      {theirs}"
        for (case_id, _), mine, theirs in zip(cases, on_embedded, on_opa, strict=True)
        if mine != theirs
    ]
    undecided = sum(isinstance(d, str) for d in on_embedded + on_opa)
    assert not differing, (
        f"{len(differing)} of {len(cases)} cases differ ({undecided} undecided):\n"
        + "\n".join(differing[:15])
    )
    assert undecided == 0
