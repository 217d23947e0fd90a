"""Reading and checking the agent's request body before anything is forwarded."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request

from gateway.errors import PayloadTooLargeError, RequestError

MAX_DEPTH = 254  # the deepest nesting orjson writes
TOO_DEEP = f"The request body nests deeper than {MAX_DEPTH} levels."


async def read_json(request: Request, limit: int) -> tuple[dict[str, Any], int]:
    """The body as a JSON object, and its size in bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw:
        raise RequestError("The request body is empty; expected a JSON object.")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise RequestError(_why_not_json(raw, exc)) from None
    if not isinstance(body, dict):
        raise RequestError("The request body must be a JSON object.")
    if nests_too_deep(raw, body):
        raise RequestError(TOO_DEEP)
    return body, size


def nests_too_deep(raw: bytes, value: Any) -> bool:
    """Whether `value`, parsed from `raw`, nests deeper than the gateway can write it back.

    orjson reads 1024 levels but writes only 254; a body it read and cannot forward would
    fail later, half-processed. The bracket count makes the check free for ordinary bodies.
    """
    if raw.count(b"[") + raw.count(b"{") <= MAX_DEPTH:
        return False
    try:
        orjson.dumps(value)
    except orjson.JSONEncodeError:
        return True
    return False


def _why_not_json(raw: bytes, exc: orjson.JSONDecodeError) -> str:
    try:
        raw.decode()
    except UnicodeDecodeError as bad:
        return f"The request body is not valid UTF-8: {bad.reason} at byte {bad.start}."
    if "depth" in str(exc):
        return TOO_DEEP
    return f"The request body is not valid JSON: {exc}"


def _too_large(limit: int) -> PayloadTooLargeError:
    return PayloadTooLargeError(
        f"The request body is larger than the gateway's limit of {limit} bytes."
    )


def _expect(
    body: dict[str, Any], name: str, kind: type | tuple[type, ...], what: str, where: str = ""
) -> None:
    value = body.get(name)
    if value is None:
        return
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        param = where or name
        raise RequestError(f"Invalid type for '{param}': expected {what}.", param=param)


_OBJECTS = {"type": ["array", "null"], "items": {"type": "object"}}
# orjson reads integers beyond 64 bits as floats, which the checks refuse as not integers.
_INTEGER = {"type": ["integer", "null"], "minimum": -(2**63), "maximum": 2**64 - 1}

CHAT_REQUEST_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "What the gateway itself checks (`check_chat_request`); the provider "
    "checks the rest of OpenAI's chat-completions request.",
    "required": ["model", "messages"],
    "properties": {
        "model": {"type": "string", "minLength": 1},
        "messages": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["role"],
                "properties": {"role": {"type": "string"}},
            },
        },
        "stream": {"type": ["boolean", "null"]},
        "stream_options": {
            "type": ["object", "null"],
            "properties": {"include_usage": {"type": ["boolean", "null"]}},
        },
        "tools": _OBJECTS,
        "functions": _OBJECTS,
        "tool_choice": {"type": ["string", "object", "null"]},
        "n": _INTEGER,
        "max_tokens": _INTEGER,
        "max_completion_tokens": _INTEGER,
    },
    "not": {"anyOf": [{"required": [name]} for name in ("api_base", "base_url", "api_key")]},
}
"""The JSON schema of the body `check_chat_request` accepts, published in /openapi.json."""


def check_chat_request(body: dict[str, Any]) -> None:
    """The fields the gateway itself relies on; the provider checks the rest."""
    model = body.get("model")
    if model is None:
        raise RequestError("Missing required parameter: 'model'.", param="model")
    if not isinstance(model, str) or not model:
        raise RequestError("Invalid type for 'model': expected a non-empty string.", param="model")
    messages = body.get("messages")
    if messages is None:
        raise RequestError("Missing required parameter: 'messages'.", param="messages")
    if not isinstance(messages, list) or not messages:
        raise RequestError("Invalid 'messages': expected a non-empty array.", param="messages")
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            raise RequestError(f"Invalid 'messages[{i}]': expected an object.", f"messages[{i}]")
        if not isinstance(message.get("role"), str):
            raise RequestError(
                f"Missing or invalid 'messages[{i}].role': expected a string.",
                f"messages[{i}].role",
            )
    _expect(body, "stream", bool, "a boolean")
    _expect(body, "stream_options", dict, "an object")
    options = body.get("stream_options") or {}
    _expect(options, "include_usage", bool, "a boolean", "stream_options.include_usage")
    for name in ("tools", "functions"):
        _expect(body, name, list, "an array")
        for i, item in enumerate(body.get(name) or ()):
            if not isinstance(item, dict):
                raise RequestError(
                    f"Invalid type for '{name}[{i}]': expected an object.", f"{name}[{i}]"
                )
    _expect(body, "tool_choice", (str, dict), "a string or an object")
    _expect(body, "n", int, "an integer")
    _expect(body, "max_tokens", int, "an integer")
    _expect(body, "max_completion_tokens", int, "an integer")
    for name in ("api_base", "base_url", "api_key"):
        if name in body:
            # The gateway chooses the provider and its key; an agent never does.
            raise RequestError(f"Unrecognized request argument supplied: {name}", param=name)
