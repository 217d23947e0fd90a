"""Reading and checking the agent's request body before anything is forwarded."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request

from gateway.errors import PayloadTooLargeError, RequestError


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
        raise RequestError(f"The request body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise RequestError("The request body must be a JSON object.")
    return body, size


def _too_large(limit: int) -> PayloadTooLargeError:
    return PayloadTooLargeError(
        f"The request body is larger than the gateway's limit of {limit} bytes."
    )


def _expect(body: dict[str, Any], name: str, kind: type, what: str) -> None:
    value = body.get(name)
    if value is None:
        return
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise RequestError(f"Invalid type for '{name}': expected {what}.", param=name)


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
    _expect(body, "tools", list, "an array")
    _expect(body, "functions", list, "an array")
    _expect(body, "n", int, "an integer")
    for name in ("api_base", "base_url", "api_key"):
        if name in body:
            # The gateway chooses the provider and its key; an agent never does.
            raise RequestError(f"Unrecognized request argument supplied: {name}", param=name)
