"""The policy's screen (rego/airlock/screen/) never keeps a category from a call it concerns.

main.rego asks a category only when `data.airlock.screen.awake` names it. That is safe only
if `awake` is a superset of every category that finds something. Here each corpus case is
evaluated on a real OPA server, asking every category directly (past the screen), and each
category with findings must be awake. The screen's rego tests hold its program index to the
category tables; this holds its fact tests to what the rules actually read.
"""

from __future__ import annotations

import asyncio

import httpx
import orjson
import pytest

from tests.conftest import missing_service
from tests.corpus import CORPUS, build_input, load_cases

pytestmark = pytest.mark.opa

QUERY = (
    "awake := data.airlock.screen.awake; "
    "found := {c | some c in data.airlock.screen.categories; count(data.airlock[c].findings) > 0}"
)


async def test_every_category_with_findings_is_awake(opa_server: str) -> None:
    if not CORPUS.is_dir():
        missing_service(str(CORPUS))
    cases = load_cases(CORPUS)
    limit = asyncio.Semaphore(8)
    async with httpx.AsyncClient(base_url=opa_server, timeout=60) as client:

        async def ask(index: int) -> tuple[set[str], set[str]]:
            body = {"query": QUERY, "input": build_input(cases[index], index)}
            async with limit:
                r = await client.post("/v1/query", content=orjson.dumps(body))
            r.raise_for_status()
            (result,) = r.json()["result"]
            return set(result["awake"]), set(result["found"])

        answers = await asyncio.gather(*(ask(i) for i in range(len(cases))))
    asleep = {
        cases[i].id: sorted(found - awake)
        for i, (awake, found) in enumerate(answers)
        if found - awake
    }
    assert not asleep, f"categories with findings that the screen left asleep: {asleep}"
