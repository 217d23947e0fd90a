"""The one exception the client raises."""

from __future__ import annotations

import json

import httpx


class AirlockClientError(Exception):
    """The gateway refused a call, or could not be reached.

    `status` is the HTTP status (0 when no answer came back); `type`, `code` and `message`
    come from the gateway's OpenAI-style error envelope `{"error": {...}}`.
    """

    def __init__(
        self,
        status: int,
        type: str,
        code: str | None,
        message: str,
        param: str | None = None,
    ) -> None:
        self.status = status
        self.type = type
        self.code = code
        self.message = message
        self.param = param
        super().__init__(f"{status or 'no answer'} {type}: {message}")


def from_response(response: httpx.Response) -> AirlockClientError:
    """The error a failed response stands for, read from its envelope when it has one.

    The body must have been read already (`read()` / `aread()` for a streamed response).
    """
    body = response.content
    error = None
    try:
        decoded = json.loads(body)
        if isinstance(decoded, dict) and isinstance(decoded.get("error"), dict):
            error = decoded["error"]
    except ValueError:
        pass
    if error is None:
        text = body.decode("utf-8", "replace").strip()[:200] or response.reason_phrase
        return AirlockClientError(response.status_code, "http_error", None, text)
    return AirlockClientError(
        response.status_code,
        str(error.get("type") or "http_error"),
        error.get("code"),
        str(error.get("message") or response.reason_phrase),
        error.get("param"),
    )


def from_transport(exc: httpx.TransportError, base_url: str) -> AirlockClientError:
    """A connection that failed or timed out, before any answer."""
    kind = "timeout" if isinstance(exc, httpx.TimeoutException) else "connection_error"
    detail = str(exc) or type(exc).__name__
    return AirlockClientError(0, kind, None, f"cannot reach {base_url}: {detail}")
