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


def calls_in_message(message: dict[str, Any]) -> list[ToolCall]:
    """The tool calls of one assistant message, including a legacy `function_call`."""
    calls: list[ToolCall] = []
    for raw in message.get("tool_calls") or ():
        function = raw.get("function") or {}
        calls.append(_call(raw.get("id"), function))
    legacy = message.get("function_call")
    if isinstance(legacy, dict):
        calls.append(_call(LEGACY_CALL_ID, legacy))
    return calls


def _call(call_id: Any, function: dict[str, Any]) -> ToolCall:
    arguments = function.get("arguments")
    if not isinstance(arguments, str):
        # Some providers send an object; decide on its JSON text like any other.
        arguments = orjson.dumps(arguments).decode() if arguments is not None else ""
    return ToolCall(str(call_id or ""), str(function.get("name") or ""), arguments)


def calls_in_completion(completion: dict[str, Any]) -> list[tuple[int, ToolCall]]:
    """(choice position, call) for every tool call in every choice."""
    found: list[tuple[int, ToolCall]] = []
    for position, choice in enumerate(completion.get("choices") or ()):
        message = choice.get("message") if isinstance(choice, dict) else None
        if isinstance(message, dict):
            found.extend((position, call) for call in calls_in_message(message))
    return found


def notice(blocked: Iterable[Verdict]) -> str:
    """What the agent reads in place of the calls it does not get."""
    lines = []
    for v in blocked:
        why = "; ".join(f"{r.rule}: {r.message}" for r in v.decision.reasons) or "policy denied it"
        lines.append(f"[airlock] The tool call `{v.call.name}` ({v.call.id}) was blocked. {why}")
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
        raw_calls = message.get("tool_calls") or ()
        kept = [raw for raw, v in zip(raw_calls, verdicts, strict=False) if v.allowed]
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
