from __future__ import annotations

import pytest

from gateway.errors import PolicyError
from gateway.models import Decision, Reason
from gateway.policy import parse_decision


def reason(rule: str, message: str = "m", category: str = "c") -> dict[str, str]:
    return {"rule": rule, "category": category, "message": message}


def test_valid_decision_with_reasons_sorted() -> None:
    value = {
        "action": "deny",
        "reasons": [reason("b.rule"), reason("a.rule", "z"), reason("a.rule", "y")],
        "extra": "ignored",
    }
    assert parse_decision(value, "test") == Decision(
        "deny", [Reason("a.rule", "c", "y"), Reason("a.rule", "c", "z"), Reason("b.rule", "c", "m")]
    )


@pytest.mark.parametrize("action", ["allow", "deny", "escalate"])
def test_every_action_is_accepted(action: str) -> None:
    assert parse_decision({"action": action, "reasons": []}, "test").action == action


@pytest.mark.parametrize(
    ("value", "complaint"),
    [
        (None, "is missing or null, expected an object"),
        ([], "is a list, expected an object"),
        ({"action": "ALLOW", "reasons": []}, "action is 'ALLOW'"),
        ({"action": None, "reasons": []}, "action is None"),
        ({"action": "deny", "reasons": {}}, "reasons is an object, expected a list"),
        ({"action": "deny", "reasons": [reason("r"), 3]}, r"reasons\[1\] is a int"),
        ({"action": "deny", "reasons": [{"rule": "r", "message": "m"}]}, "category is missing"),
        ({"action": "deny", "reasons": [{**reason("r"), "message": 1}]}, "message is a int"),
        ({"action": "deny", "reasons": [{**reason("r"), "rule": True}]}, "rule is a boolean"),
    ],
)
def test_malformed_decisions_are_policy_errors(value: object, complaint: str) -> None:
    with pytest.raises(PolicyError, match=complaint) as caught:
        parse_decision(value, "opa")
    assert str(caught.value).startswith("opa: data.airlock.decision")
