"""`/approvals`: the approver API — the queue, one approval, decisions, and a live stream.

Approvers authenticate with `Authorization: Bearer <approver token>` (config `approvers`); the
approver's name is who decided. No token is 401, an agent key 403 (an agent must never read or
decide an approval, not even its own), any other token 401. Approvals are their dataclass
fields as JSON plus `seconds_left`: time left to decide (pending) or to use (approved, unused).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import time
from collections.abc import AsyncIterator
from dataclasses import asdict
from typing import Any, get_args

import orjson
from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from gateway.api.body import read_json
from gateway.api.errors import json_response
from gateway.api.services import Services
from gateway.approvals.base import Approval, ApprovalEvent, Status
from gateway.approvals.codec import is_live
from gateway.errors import AuthenticationError, ForbiddenError, NotFoundError, RequestError

BODY_LIMIT = 16 * 1024
REASON_CHARS = 2000
LIST_LIMIT = 1000
STATUSES: dict[str, Status] = {s: s for s in get_args(Status)}


class Verdict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    reason: str = Field(default="", max_length=REASON_CHARS)


def public(approval: Approval, now: float) -> dict[str, Any]:
    """An approval as the API shows it."""
    data = asdict(approval)
    left = approval.expires - now if is_live(approval, now) else 0.0
    data["seconds_left"] = round(max(left, 0.0), 3)
    return data


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def approver(request: Request, services: Services) -> str:
    """The name of the approver whose token the request carries."""
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    presented = presented.strip()
    if scheme.lower() != "bearer" or not presented:
        raise AuthenticationError(
            "The approvals API needs `Authorization: Bearer <approver token>`."
        )
    digest = _digest(presented)
    found = None
    for candidate in services.settings.approvers:
        # Every token is compared, so the time taken does not say which one matched.
        if hmac.compare_digest(digest, _digest(candidate.token.get_secret_value())):
            found = found or candidate.name
    if found is not None:
        return found
    try:
        await services.keys.authenticate(request.headers)
    except AuthenticationError:
        raise AuthenticationError("Incorrect approver token provided.") from None
    raise ForbiddenError("An agent key may not read or decide approvals.")


async def list_approvals(request: Request) -> Response:
    services: Services = request.app.state.services
    await approver(request, services)
    raw_status = request.query_params.get("status") or None
    status = STATUSES.get(raw_status) if raw_status is not None else None
    if raw_status is not None and status is None:
        raise RequestError(
            f"Invalid 'status': expected one of {', '.join(STATUSES)}.", param="status"
        )
    raw_limit = request.query_params.get("limit", "200")
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= LIST_LIMIT:
        raise RequestError(f"Invalid 'limit': expected 1 to {LIST_LIMIT}.", param="limit")
    found = await services.approvals.list(status, int(raw_limit))
    now = time.time()
    return json_response({"data": [public(a, now) for a in found]})


async def get_approval(request: Request) -> Response:
    services: Services = request.app.state.services
    await approver(request, services)
    approval_id = request.path_params["approval_id"]
    approval = await services.approvals.get(approval_id)
    if approval is None:
        raise NotFoundError(f"No approval with id {approval_id!r}.")
    return json_response(public(approval, time.time()))


async def _verdict(request: Request) -> Verdict:
    length = request.headers.get("content-length")
    if length == "0" or (length is None and "transfer-encoding" not in request.headers):
        body: dict[str, Any] = {}
    else:
        body, _ = await read_json(request, BODY_LIMIT)
    try:
        return Verdict.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        param = ".".join(str(p) for p in first["loc"]) or None
        raise RequestError(f"Invalid '{param}': {first['msg']}", param=param) from None


async def _decide(request: Request, approve: bool) -> Response:
    services: Services = request.app.state.services
    name = await approver(request, services)
    verdict = await _verdict(request)
    reason = verdict.reason.strip()
    if not approve and not reason:
        raise RequestError("A reason is required to deny a call.", param="reason")
    approval_id = request.path_params["approval_id"]
    decided = await services.approvals.decide(approval_id, approve, name, reason)
    return json_response(public(decided, time.time()))


async def approve(request: Request) -> Response:
    return await _decide(request, approve=True)


async def deny(request: Request) -> Response:
    return await _decide(request, approve=False)


async def stream(request: Request) -> Response:
    """Server-sent events: `data: {"kind", "approval"}` per event, `: keepalive` comments."""
    services: Services = request.app.state.services
    await approver(request, services)
    events = services.approvals.events()
    # Subscribed before the first byte: a client that lists after connecting misses nothing.
    listening = getattr(services.approvals, "listening", None)
    if listening is not None:
        await listening()
    return StreamingResponse(
        _sse(events, services.settings.approvals.keepalive_seconds),
        media_type="text/event-stream",
        headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
    )


async def _sse(events: AsyncIterator[ApprovalEvent], keepalive: float) -> AsyncIterator[bytes]:
    # One pending `anext` outlives each keep-alive timeout: cancelling it there could end
    # the iterator.
    upcoming = asyncio.ensure_future(anext(events))
    try:
        while True:
            done, _ = await asyncio.wait({upcoming}, timeout=keepalive)
            if not done:
                yield b": keepalive\n\n"
                continue
            try:
                event = upcoming.result()
            except StopAsyncIteration:
                return
            data = {"kind": event.kind, "approval": public(event.approval, time.time())}
            yield b"data: " + orjson.dumps(data) + b"\n\n"
            upcoming = asyncio.ensure_future(anext(events))
    finally:
        upcoming.cancel()
        with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
            await upcoming
        close = getattr(events, "aclose", None)
        if close is not None:
            await close()


def install(app: FastAPI) -> None:
    app.add_api_route("/approvals", list_approvals, methods=["GET"])
    app.add_api_route("/approvals/stream", stream, methods=["GET"])  # before /approvals/{id}
    app.add_api_route("/approvals/{approval_id}", get_approval, methods=["GET"])
    app.add_api_route("/approvals/{approval_id}/approve", approve, methods=["POST"])
    app.add_api_route("/approvals/{approval_id}/deny", deny, methods=["POST"])
