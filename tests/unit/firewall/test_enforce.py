from __future__ import annotations

import copy
from typing import Any

import pytest

from gateway.firewall.enforce import (
    MAX_CALLS_PER_ANSWER,
    TOO_MANY_CALLS,
    calls_in_completion,
    malformed,
    rewrite_completion,
)
from tests.unit.firewall.fakes import context, firewall


def completion(*calls: tuple[str, str], content: str | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    message["tool_calls"] = [
        {"id": f"call_{i}", "type": "function", "function": {"name": name, "arguments": args}}
        for i, (name, args) in enumerate(calls)
    ]
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls"}],
    }


async def decided(body: dict[str, Any], **options: bool) -> dict[str, Any]:
    fw, _, _ = firewall(**options)
    found = calls_in_completion(body)
    verdicts = await fw.decide(context(), [call for _, call in found])
    rewritten = copy.deepcopy(body)
    rewrite_completion(rewritten, verdicts)
    return rewritten


async def test_allowed_calls_pass_untouched() -> None:
    body = completion(("read_file", '{"path": "a"}'), ("list_dir", "{}"))
    assert await decided(body) == body


async def test_blocked_call_removed_benign_kept_with_notice() -> None:
    body = completion(("read_file", '{"path": "a"}'), ("deny_pay", '{"amount": 1}'), content="ok")
    choice = (await decided(body))["choices"][0]
    assert [c["function"]["name"] for c in choice["message"]["tool_calls"]] == ["read_file"]
    assert choice["finish_reason"] == "tool_calls"
    content = choice["message"]["content"]
    assert content.startswith("ok\n\n")
    assert "`deny_pay` (call_1) was blocked" in content and "test.deny" in content
    assert "Do not retry" in content


async def test_no_call_left_means_stop() -> None:
    choice = (await decided(completion(("deny_pay", "{}"))))["choices"][0]
    assert "tool_calls" not in choice["message"]
    assert choice["finish_reason"] == "stop"
    assert "blocked" in choice["message"]["content"]


async def test_monitor_mode_changes_nothing() -> None:
    body = completion(("deny_pay", "{}"))
    assert await decided(body, monitor=True) == body


async def test_legacy_function_call_is_decided() -> None:
    body = {
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": None,
                    "function_call": {"name": "deny_x", "arguments": "{}"},
                },
                "finish_reason": "function_call",
            }
        ]
    }
    choice = (await decided(body))["choices"][0]
    assert "function_call" not in choice["message"]
    assert choice["finish_reason"] == "stop"


@pytest.mark.parametrize("arguments", [{"path": "a"}, None])
def test_non_string_arguments_become_json_text(arguments: Any) -> None:
    body = completion(("read_file", "{}"))
    body["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"] = arguments
    [(_, call)] = calls_in_completion(body)
    assert call.arguments == ('{"path":"a"}' if arguments else "")


async def test_several_choices_each_rewritten() -> None:
    first = completion(("deny_a", "{}"))["choices"][0]
    second = completion(("read", "{}"))["choices"][0] | {"index": 1}
    body = {"choices": [first, second]}
    out = await decided(body)
    assert out["choices"][0]["finish_reason"] == "stop"
    assert out["choices"][1]["message"]["tool_calls"][0]["function"]["name"] == "read"


def test_more_calls_than_the_limit_make_the_answer_malformed() -> None:
    at_limit = completion(*[("read_file", "{}")] * MAX_CALLS_PER_ANSWER)
    assert malformed(at_limit) is None
    over = completion(*[("read_file", "{}")] * (MAX_CALLS_PER_ANSWER + 1))
    assert malformed(over) == TOO_MANY_CALLS
