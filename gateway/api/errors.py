"""OpenAI's error envelope for every failure: `{"error": {message, type, code, param}}`.

This is the only place where Airlock's exceptions become HTTP statuses.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from gateway.errors import (
    AirlockError,
    AuthenticationError,
    ConflictError,
    ForbiddenError,
    LimitExceededError,
    NotFoundError,
    PayloadTooLargeError,
    RequestError,
    StateError,
    ToolCallDeniedError,
    UnknownModelError,
    UpstreamError,
    UpstreamTimeoutError,
)
from gateway.firewall.normalize import mask_secrets
from gateway.redact import Redactor

log = logging.getLogger("airlock.api")

REQUEST_ID = "x-airlock-request-id"
DECISION = "x-airlock-decision"


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """Any JSON answer of the gateway's own (not a provider's, which passes as bytes)."""
    return Response(orjson.dumps(data), status, headers, media_type="application/json")


def envelope(
    status: int,
    message: str,
    kind: str,
    code: str | None = None,
    param: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body = {"error": {"message": message, "type": kind, "code": code, "param": param}}
    return json_response(body, status, headers)


def _classify(exc: AirlockError) -> tuple[int, str, str | None]:
    """(status, type, code) for each kind of error."""
    if isinstance(exc, AuthenticationError):
        return 401, "invalid_request_error", "invalid_api_key"
    if isinstance(exc, ForbiddenError):
        return 403, "permission_error", "forbidden"
    if isinstance(exc, NotFoundError):
        return 404, "invalid_request_error", "not_found"
    if isinstance(exc, ConflictError):
        return 409, "invalid_request_error", "conflict"
    if isinstance(exc, PayloadTooLargeError):
        return 413, "invalid_request_error", "request_too_large"
    if isinstance(exc, UnknownModelError):
        return 404, "invalid_request_error", "model_not_found"
    if isinstance(exc, RequestError):
        return 400, "invalid_request_error", "invalid_request"
    if isinstance(exc, ToolCallDeniedError):
        return 403, "tool_call_denied", "tool_call_denied"
    if isinstance(exc, LimitExceededError):
        return 429, "rate_limit_exceeded", exc.code
    if isinstance(exc, StateError):
        return 503, "service_unavailable", "state_unavailable"
    if isinstance(exc, UpstreamTimeoutError):
        return 504, "upstream_error", "upstream_timeout"
    if isinstance(exc, UpstreamError):
        status = exc.status
        if status == 429:
            return 429, "rate_limit_exceeded", "upstream_rate_limited"
        if status is not None and 400 <= status < 500 and status not in (401, 403):
            return status, "invalid_request_error", "upstream_rejected_request"
        return 502, "upstream_error", "upstream_error"
    return 500, "server_error", None


async def airlock_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AirlockError)
    status, kind, code = _classify(exc)
    headers = dict(getattr(request.state, "headers", {}))  # request id, x-ratelimit-*
    request_id = getattr(request.state, "request_id", None)
    if request_id:
        headers[REQUEST_ID] = request_id
    if isinstance(exc, ToolCallDeniedError):
        headers[DECISION] = exc.decision_header
    if isinstance(exc, LimitExceededError):
        headers["retry-after"] = str(int(exc.retry_after))
    if status >= 500:
        log.warning("request %s failed: %s", request_id, exc)
    param = exc.param if isinstance(exc, RequestError) else None
    return envelope(status, _clean(request, str(exc)), kind, code, param, headers)


def _clean(request: Request, message: str) -> str:
    """No secret in an error message: an upstream's words may quote a key."""
    redactor = getattr(request.app.state, "redactor", None)
    message = mask_secrets(message)
    return redactor.text(message) if isinstance(redactor, Redactor) else message


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    kind = "invalid_request_error" if exc.status_code < 500 else "server_error"
    return envelope(exc.status_code, _clean(request, str(exc.detail)), kind, None)


async def validation_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {}
    param = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or None
    return envelope(
        400,
        str(first.get("msg", "invalid request")),
        "invalid_request_error",
        "invalid_request",
        param,
    )


async def unexpected_error(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error in request %s", getattr(request.state, "request_id", None))
    return envelope(500, "internal error in the gateway", "server_error", "internal_error")


def install(app: FastAPI) -> None:
    app.add_exception_handler(AirlockError, airlock_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Exception, unexpected_error)
