"""The one interface every policy engine offers, and the decision both must return."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable, Sequence
from typing import Protocol, get_args

from gateway.errors import PolicyError
from gateway.models import Action, Decision, PolicyInput, Reason

DECISION_PACKAGE = "airlock"
DECISION_RULE = "decision"
DECISION_REF = f"data.{DECISION_PACKAGE}.{DECISION_RULE}"
_ACTIONS: tuple[Action, ...] = get_args(Action)


class PolicyEngine(Protocol):
    """Evaluates `data.airlock.decision` for policy inputs.

    `name` is `"embedded"` or `"opa"`; `revision` names the policy files the engine was
    loaded from (see `PolicyFiles.revision`) and goes into every audit record.
    """

    name: str
    revision: str

    async def evaluate(self, inputs: Sequence[PolicyInput]) -> list[Decision]:
        """One decision per input, in order; `PolicyError` if any cannot be made."""
        ...

    async def aclose(self) -> None:
        """Release the engine's resources; it must not be used afterwards."""
        ...


async def gather_decisions(evaluations: Iterable[Awaitable[Decision]]) -> list[Decision]:
    """Run evaluations concurrently and let all finish (each has its own deadline).

    The first failure, in input order, is raised.
    """
    results = await asyncio.gather(*evaluations, return_exceptions=True)
    decisions = []
    for result in results:
        if isinstance(result, BaseException):
            raise result
        decisions.append(result)
    return decisions


def parse_decision(value: object, engine: str) -> Decision:
    """Validate the JSON value of `data.airlock.decision` and turn it into a `Decision`.

    Reasons are sorted by (rule, category, message). They are a set in meaning, and the
    order in which an engine lists a set is its own: rego-cpp iterates sets in insertion
    order and orders some strings differently from OPA, so without sorting the same
    policy would give the two engines different decisions. Keys beyond the contract are
    ignored; anything missing or of the wrong type is a `PolicyError`.
    """
    if not isinstance(value, dict):
        raise PolicyError(f"{engine}: {DECISION_REF} is {_kind(value)}, expected an object")
    action = value.get("action")
    if action not in _ACTIONS:
        raise PolicyError(
            f"{engine}: {DECISION_REF}.action is {action!r}, expected one of {', '.join(_ACTIONS)}"
        )
    reasons = value.get("reasons")
    if not isinstance(reasons, list):
        raise PolicyError(f"{engine}: {DECISION_REF}.reasons is {_kind(reasons)}, expected a list")
    parsed = [_parse_reason(item, index, engine) for index, item in enumerate(reasons)]
    parsed.sort(key=lambda r: (r.rule, r.category, r.message))
    return Decision(action=action, reasons=parsed)


def _parse_reason(item: object, index: int, engine: str) -> Reason:
    where = f"{engine}: {DECISION_REF}.reasons[{index}]"
    if not isinstance(item, dict):
        raise PolicyError(f"{where} is {_kind(item)}, expected an object")
    fields = {}
    for key in ("rule", "category", "message"):
        field = item.get(key)
        if not isinstance(field, str):
            raise PolicyError(f"{where}.{key} is {_kind(field)}, expected a string")
        fields[key] = field
    return Reason(**fields)


def _kind(value: object) -> str:
    if value is None:
        return "missing or null"
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), f"a {type(value).__name__}"
    )
