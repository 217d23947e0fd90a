"""Rewriting an answer so that only allowed tool calls reach the agent (DESIGN.md, "Blocked calls").

The answer is OpenAI's chat-completion JSON: it stays a dict here, at the wire's edge.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import orjson

from gateway.firewall.decide import Verdict
from gateway.models import ToolCall

LEGACY_CALL_ID = "function_call"  # the deprecated `functions` API carries no call id
# More calls than any agent asks for at once: beyond this an answer is refused whole, so
# that one answer cannot buy unbounded policy work.
MAX_CALLS_PER_ANSWER = 128
TOO_MANY_CALLS = f"provider sent more than {MAX_CALLS_PER_ANSWER} tool calls in one answer"


def _entries(message: dict[str, Any]) -> list[Any]:
    """The raw `tool_calls` entries; anything else in that field counts as one entry."""
    raw = message.get("tool_calls")
    if raw is None:
        return []
    return raw if isinstance(raw, list) else [raw]


def calls_in_message(message: dict[str, Any]) -> list[ToolCall]:
    """The tool calls of one assistant message, including a legacy `function_call`.

    A malformed entry (see `malformed`) still yields a call, built from what can be read,
    so that it is recorded when it is refused.
    """
    calls: list[ToolCall] = []
    for raw in _entries(message):
        function = raw.get("function") if isinstance(raw, dict) else None
        if isinstance(function, dict):
            calls.append(_call(raw.get("id"), function))
        else:
            # Not a function call (e.g. a `custom` tool): recorded with all it holds.
            call_id = raw.get("id") if isinstance(raw, dict) else None
            calls.append(_call(call_id, {"arguments": raw}))
    legacy = message.get("function_call")
    if legacy is not None:
        calls.append(
            _call(LEGACY_CALL_ID, legacy if isinstance(legacy, dict) else {"arguments": legacy})
        )
    return calls


def malformed(completion: dict[str, Any]) -> str | None:
    """Why the answer's tool calls cannot be read faithfully, or None when they can.

    A call without an id or a name, or with arguments that are not text, is still readable:
    it is decided on what it holds (arguments as their JSON text).
    """
    count = 0
    for choice in completion.get("choices") or ():
        message = choice.get("message") if isinstance(choice, dict) else None
        if not isinstance(message, dict):
            continue
        count += len(_entries(message)) + (message.get("function_call") is not None)
        if not isinstance(message.get("tool_calls"), list | None):
            return "provider sent `tool_calls` that is not an array"
        for raw in _entries(message):
            if not isinstance(raw, dict) or not isinstance(raw.get("function"), dict):
                return "provider sent a tool call without a function object"
            if not isinstance(raw.get("id"), str | None):
                return "provider sent a tool call whose id is not text"
            if not isinstance(raw["function"].get("name"), str | None):
                return "provider sent a tool call whose name is not text"
        legacy = message.get("function_call")
        if not isinstance(legacy, dict | None):
            return "provider sent a `function_call` that is not an object"
    return TOO_MANY_CALLS if count > MAX_CALLS_PER_ANSWER else None


def _call(call_id: Any, function: dict[str, Any]) -> ToolCall:
    # Some providers send arguments as an object; decide on its JSON text like any other.
    return ToolCall(_text(call_id), _text(function.get("name")), _text(function.get("arguments")))


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    try:
        return orjson.dumps(value).decode()
    except orjson.JSONEncodeError:
        # Not JSON, so the policy sees an arguments_error and the call is not passed on.
        return "<value nests too deeply to read>"


def calls_in_completion(completion: dict[str, Any]) -> list[tuple[int, ToolCall]]:
    """(choice position, call) for every tool call in every choice."""
    found: list[tuple[int, ToolCall]] = []
    for position, choice in enumerate(completion.get("choices") or ()):
        message = choice.get("message") if isinstance(choice, dict) else None
        if isinstance(message, dict):
            found.extend((position, call) for call in calls_in_message(message))
    return found


# The calls a human may still approve: the agent should retry the identical request.
RETRYABLE = frozenset({"airlock.approval.pending", "airlock.approval.shutdown"})


def notice(blocked: Iterable[Verdict]) -> str:
    """What the agent reads in place of the calls it does not get."""
    lines = []
    waiting = True
    for v in blocked:
        why = "; ".join(f"{r.rule}: {r.message}" for r in v.decision.reasons) or "policy denied it"
        lines.append(f"[airlock] The tool call `{v.call.name}` ({v.call.id}) was blocked. {why}")
        waiting = waiting and any(r.rule in RETRYABLE for r in v.decision.reasons)
    if waiting:
        lines.append(
            "[airlock] These calls wait for a human approver: retry the identical request later "
            "to receive them once approved. Do not try to achieve the same effect another way."
        )
    else:
        lines.append(
            "[airlock] Do not retry these calls or try to achieve the same effect another way; "
            "tell the user what was blocked and why."
        )
    return "\n".join(lines)


def rewrite_message(message: dict[str, Any], verdicts: Sequence[Verdict]) -> bool:
    """Drop blocked calls from one message and add the notice. True when no call remains."""
    blocked = [v for v in verdicts if not v.allowed]
    if blocked:
        # tool_calls come first in `verdicts`; a legacy function_call, if any, is last.
        kept = [raw for raw, v in zip(_entries(message), verdicts, strict=False) if v.allowed]
        if kept:
            message["tool_calls"] = kept
        else:
            message.pop("tool_calls", None)
        if any(v.call.id == LEGACY_CALL_ID for v in blocked):
            message.pop("function_call", None)
        text = notice(blocked)
        content = message.get("content")
        message["content"] = f"{content}\n\n{text}" if content else text
    return not message.get("tool_calls") and not message.get("function_call")


def rewrite_completion(completion: dict[str, Any], verdicts: Sequence[Verdict]) -> None:
    """Apply verdicts (in `calls_in_completion` order) to the answer, in place."""
    remaining = list(verdicts)
    for choice in completion.get("choices") or ():
        message = choice.get("message") if isinstance(choice, dict) else None
        if not isinstance(message, dict):
            continue
        count = len(calls_in_message(message))
        mine, remaining = remaining[:count], remaining[count:]
        if (
            mine
            and rewrite_message(message, mine)
            and choice.get("finish_reason")
            in (
                "tool_calls",
                "function_call",
            )
        ):
            choice["finish_reason"] = "stop"
