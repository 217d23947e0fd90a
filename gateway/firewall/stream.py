"""Streaming answers: text passes as it arrives, tool calls wait for their decision.

Tool-call deltas are held until the upstream stream has ended (`finish_reason` is never
trusted to say a call is complete), then decided, then emitted: allowed calls as ordinary
chunks with their original index and id, blocked ones as a text notice. A client never
receives a byte of a blocked call.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import orjson

from gateway.errors import UpstreamError
from gateway.firewall.decide import Firewall, RequestContext, Verdict
from gateway.firewall.enforce import LEGACY_CALL_ID, MAX_CALLS_PER_ANSWER, TOO_MANY_CALLS, notice
from gateway.models import ToolCall

MAX_HELD_ARGUMENTS = 8 * 1024 * 1024
CALL_FINISHES = ("tool_calls", "function_call")
ENVELOPE_KEYS = ("id", "object", "created", "model", "system_fingerprint", "service_tier")


@dataclass(slots=True)
class _Partial:
    index: int
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)
    size: int = 0

    def call(self) -> ToolCall:
        return ToolCall(self.id, self.name, "".join(self.arguments))


class StreamGuard:
    """Feed it every upstream `data:` payload; then `finish()` gives the decided tail."""

    def __init__(self, firewall: Firewall, ctx: RequestContext, *, keep_usage: bool = True) -> None:
        self._firewall = firewall
        self._ctx = ctx
        self._keep_usage = keep_usage  # False: the client did not ask for the usage chunk
        self.usage: Any = None
        self._calls: dict[int, dict[int, _Partial]] = {}  # choice → tool index → call
        self._finish: dict[int, str] = {}  # held finish_reason per choice
        self._trailer: list[bytes] = []  # chunks that arrived after a held finish
        self._envelope: dict[str, Any] | None = None
        self._malformed: str | None = None
        self.verdicts: list[Verdict] = []

    @property
    def holding(self) -> bool:
        return bool(self._calls) or bool(self._finish)

    def feed(self, payload: bytes) -> bytes | None:
        """The payload to forward now (maybe rewritten), or None when it is held."""
        try:
            chunk = orjson.loads(payload)
        except orjson.JSONDecodeError:
            raise UpstreamError("provider sent a stream chunk that is not JSON") from None
        if not isinstance(chunk, dict):
            raise UpstreamError("provider sent a stream chunk that is not a JSON object")
        if self._envelope is None:
            # Scalars only: the chunks the guard writes itself must always serialize.
            self._envelope = {k: chunk[k] for k in ENVELOPE_KEYS if _scalar(chunk.get(k))}
        choices = chunk.get("choices")
        if chunk.get("usage"):
            self.usage = chunk["usage"]
        if not choices:
            if not self._keep_usage and "usage" in chunk:
                return None
            if self._finish:
                self._trailer.append(payload)  # usage after the finish: keep the order
                return None
            return payload
        if not isinstance(choices, list) or not all(isinstance(c, dict) for c in choices):
            raise UpstreamError("provider sent a stream chunk whose choices are not objects")
        # Every choice is absorbed: a call in the second choice must not slip past the first.
        if not any([self._absorb(choice) for choice in choices]):
            return payload
        chunk["choices"] = [c for c in choices if c.get("delta") or c.get("logprobs")]
        if not chunk["choices"]:
            return None
        try:
            return orjson.dumps(chunk)
        except orjson.JSONEncodeError:
            raise UpstreamError("provider sent a stream chunk nested too deeply") from None

    def _absorb(self, choice: dict[str, Any]) -> bool:
        """Take tool-call parts and a call-ending finish_reason out of one choice."""
        position = choice.get("index", 0)
        if not isinstance(position, int) or isinstance(position, bool):
            raise UpstreamError("provider sent a stream choice without a valid index")
        delta = choice.get("delta") or {}
        if not isinstance(delta, dict):
            raise UpstreamError("provider sent a stream delta that is not an object")
        changed = False
        parts = delta.pop("tool_calls", None)
        if parts is not None and not isinstance(parts, list):
            self._malformed = "provider sent tool-call deltas that are not an array"
            parts = [parts]
        for part in parts or ():
            self._take(position, part)
            changed = True
        legacy = delta.pop("function_call", None)
        if legacy is not None:
            part = {"index": -1, "id": LEGACY_CALL_ID, "function": legacy}
            self._take(position, part, legacy=True)
            changed = True
        finish = choice.get("finish_reason")
        if not isinstance(finish, str | None):
            raise UpstreamError("provider sent a finish_reason that is not text")
        if finish is not None and (finish in CALL_FINISHES or position in self._calls):
            self._finish[position] = finish
            choice["finish_reason"] = None
            changed = True
        if changed and not any(v is not None for v in delta.values()):
            choice.pop("delta", None)
        return changed

    def _take(self, position: int, part: Any, *, legacy: bool = False) -> None:
        if not isinstance(part, dict):
            part = {}
        index = part.get("index")
        if not isinstance(index, int) or isinstance(index, bool) or (index < 0 and not legacy):
            # Which call this belongs to is unknowable: every held call will be refused.
            self._malformed = "provider sent a tool-call delta without an index"
            index = len(self._calls.get(position, {}))
        held = self._calls.setdefault(position, {})
        if index not in held and sum(map(len, self._calls.values())) >= MAX_CALLS_PER_ANSWER:
            # Refused whole; the calls beyond the limit are not even kept.
            self._malformed = TOO_MANY_CALLS
            return
        partial = held.setdefault(index, _Partial(index))
        if part.get("type") not in (None, "function"):
            self._malformed = "provider sent a tool call that is not a function call"
        function = part.get("function") or {}
        if not isinstance(function, dict):
            self._malformed = "provider sent a tool-call delta whose function is not an object"
            function = {"arguments": function}
        call_id, name = part.get("id"), function.get("name")
        if not isinstance(call_id, str | None) or not isinstance(name, str | None):
            self._malformed = "provider sent a tool call whose id or name is not text"
        partial.id = partial.id or (call_id if isinstance(call_id, str) else "")
        partial.name += name if isinstance(name, str) else ""
        fragment = self._fragment(function.get("arguments"))
        partial.arguments.append(fragment)
        partial.size += len(fragment)
        if partial.size > MAX_HELD_ARGUMENTS:
            self._malformed = "tool-call arguments exceed the gateway's limit"

    def _fragment(self, value: Any) -> str:
        if value is None or isinstance(value, str):
            return value or ""
        try:
            # Some providers send the arguments as an object; decide on its JSON text.
            return orjson.dumps(value).decode()
        except orjson.JSONEncodeError:
            self._malformed = "provider sent tool-call arguments nested too deeply"
            return ""

    async def finish(self, *, as_error: bool = False) -> list[bytes]:
        """Decide the held calls; the chunks that end the stream, in order (without [DONE]).

        `as_error` (on_deny: error): any blocked call turns the tail into one error event.
        """
        positions = sorted(set(self._calls) | set(self._finish))
        held = [
            (p, partial) for p in positions for _, partial in sorted(self._calls.get(p, {}).items())
        ]
        calls = [partial.call() for _, partial in held]
        if self._malformed:
            self.verdicts = self._firewall.refuse(self._ctx, calls, self._malformed)
        else:
            self.verdicts = await self._firewall.decide(self._ctx, calls)
        blocked = [v for v in self.verdicts if not v.allowed]
        if as_error and blocked:
            return [error_event(notice(blocked), "tool_call_denied")]
        out: list[bytes] = []
        verdicts = iter(self.verdicts)
        for position in positions:
            mine = [(partial, next(verdicts)) for p, partial in held if p == position]
            allowed = [(partial, v) for partial, v in mine if v.allowed]
            for partial, v in allowed:
                out.append(self._chunk(position, _call_delta(partial, v.call)))
            refused = [v for _, v in mine if not v.allowed]
            if refused:
                out.append(self._chunk(position, {"content": notice(refused)}))
            finish = self._finish.get(position)
            if finish in CALL_FINISHES and not allowed:
                finish = "stop"
            if finish is not None:
                out.append(self._chunk(position, {}, finish))
        return out + self._trailer

    def abort(self, cause: str) -> None:
        """The stream broke: record every held call as refused. None of them is ever sent."""
        calls = [
            p.call()
            for _, by_index in sorted(self._calls.items())
            for _, p in sorted(by_index.items())
        ]
        self.verdicts = self._firewall.refuse(self._ctx, calls, cause)

    def _chunk(self, position: int, delta: dict[str, Any], finish: str | None = None) -> bytes:
        envelope = self._envelope or {
            "id": f"chatcmpl-{self._ctx.request_id}",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": self._ctx.model,
        }
        choice = {"index": position, "delta": delta, "finish_reason": finish}
        return orjson.dumps({**envelope, "choices": [choice]})


def _scalar(value: Any) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def _call_delta(partial: _Partial, call: ToolCall) -> dict[str, Any]:
    function = {"name": call.name, "arguments": call.arguments}
    if call.id == LEGACY_CALL_ID and partial.index == -1:
        return {"function_call": function}
    part = {"index": partial.index, "id": call.id, "type": "function", "function": function}
    return {"tool_calls": [part]}


def error_event(message: str, kind: str, code: str | None = None) -> bytes:
    """An OpenAI-style error inside a stream; the openai SDK raises it as an APIError."""
    error = {"message": message, "type": kind, "code": code or kind, "param": None}
    return orjson.dumps({"error": error})
