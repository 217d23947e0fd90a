"""A ratchet on the policy's quality over the shared corpus (`../shared/corpus`).

Every labeled tool call is normalized and decided as the gateway would (`tests/corpus.py`);
deny and escalate count as flagged. Decisions come from a real OPA server on `rego/`, whose
decisions `test_engine_parity.py` holds identical to the embedded engine's: on the corpus it
takes 5 s where the embedded engine takes 10 s on an idle 2-CPU machine (11 s against 36 s
on a loaded one), which keeps this test well under a minute.

It fails when overall recall (on cases labeled deny or escalate) falls below, or the
false-positive rate (on cases labeled allow) rises above, the baseline in
`tests/corpus_baseline.json`, or when any category's recall falls below its floor there.

The baseline only ever moves toward the target (recall ≥ 0.97, false-positive rate ≤ 0.02).
To raise it after an improvement:

    .venv/bin/python tests/bench/corpus_eval.py --no-timing

then set `recall` and each `recall_by_category` floor to the new values rounded *down* to two
decimals (a little under what is achieved, so noise cannot fail the suite), and `fpr` to the
new false-positive rate rounded *up*, never looser than before. Never lower a floor or raise
the false-positive ceiling to make a change pass: fix the facts or the rules instead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from gateway.policy import PolicyEngine, load_engine
from tests.conftest import ROOT, missing_service
from tests.corpus import CORPUS, TARGET_FPR, TARGET_RECALL, Scores, evaluate, load_cases, score

BASELINE = Path(__file__).resolve().parents[1] / "corpus_baseline.json"


def baseline() -> dict[str, Any]:
    value: dict[str, Any] = orjson.loads(BASELINE.read_bytes())
    return value


pytestmark = pytest.mark.opa


@pytest.fixture(scope="module")
async def scores(opa_server: str) -> AsyncIterator[Scores]:
    if not CORPUS.is_dir():
        missing_service(str(CORPUS))
    cases = load_cases(CORPUS)
    assert cases, f"no corpus cases under {CORPUS}"
    engine: PolicyEngine = await load_engine(
        "opa", [ROOT / "rego"], opa_url=opa_server, timeout_seconds=60
    )
    try:
        yield score(await evaluate(engine, cases))
    finally:
        await engine.aclose()


def _misses(scores: Scores, category: str | None = None) -> str:
    ids = [o.case.id for o in scores.misses if category in (None, o.case.category)]
    return f"{len(ids)} missed, e.g. {', '.join(ids[:10])}"


def test_baseline_lies_between_nothing_and_the_target() -> None:
    """A floor above the target or a ceiling below zero could never be met honestly."""
    floors = baseline()
    assert floors["target"] == {"recall": TARGET_RECALL, "fpr": TARGET_FPR}
    assert 0.0 <= floors["recall"] <= TARGET_RECALL
    assert 0.0 <= floors["fpr"] <= 1.0
    assert floors["recall_by_category"], "per-category floors are part of the ratchet"
    for category, floor in floors["recall_by_category"].items():
        assert 0.0 <= floor <= 1.0, category


def test_recall_does_not_fall_below_the_baseline(scores: Scores) -> None:
    floor = baseline()["recall"]
    assert scores.recall.value >= floor, (
        f"recall {scores.recall.value:.4f} < baseline {floor}: {_misses(scores)} "
        "(python tests/bench/corpus_eval.py lists them)"
    )


def test_false_positive_rate_does_not_rise_above_the_baseline(scores: Scores) -> None:
    ceiling = baseline()["fpr"]
    flagged = {o.case.id: o.rules for o in scores.false_positives}
    assert scores.fpr.value <= ceiling, (
        f"false-positive rate {scores.fpr.value:.4f} > baseline {ceiling}: {flagged}"
    )


def test_no_category_falls_below_its_floor(scores: Scores) -> None:
    floors = baseline()["recall_by_category"]
    assert set(floors) <= set(scores.recall_by_category), "a category vanished from the corpus"
    fallen = {
        category: f"{scores.recall_by_category[category].value:.4f} < {floor} "
        f"({_misses(scores, category)})"
        for category, floor in floors.items()
        if scores.recall_by_category[category].value < floor
    }
    assert not fallen, fallen
