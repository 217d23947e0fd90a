"""`POST /v1/chat/completions`: admit, forward, decide every tool call, settle, answer."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from gateway import logs, metrics
from gateway.api.body import MAX_DEPTH, check_chat_request, nests_too_deep, read_json
from gateway.api.errors import DECISION, REQUEST_ID
from gateway.api.meter import Meter
from gateway.api.services import Services
from gateway.errors import AirlockError, ToolCallDeniedError, UpstreamError
from gateway.firewall.decide import RequestContext, strongest
from gateway.firewall.enforce import calls_in_completion, malformed, notice, rewrite_completion
from gateway.firewall.stream import StreamGuard, error_event
from gateway.upstream import Provider, Route

log = logging.getLogger("airlock.api")

DONE = b"data: [DONE]\n\n"
KEEPALIVE = b": keepalive\n\n"
NOTHING_USED = {"prompt_tokens": 0, "completion_tokens": 0}


async def chat_completions(request: Request) -> Response:
    services: Services = request.app.state.services
    request_id = "req_" + secrets.token_hex(12)
    request.state.request_id = request_id
    logs.request_id.set(request_id)  # every log line of this request carries it
    identity = await services.keys.authenticate(request.headers)
    body, size = await read_json(request, services.settings.server.max_body_bytes)
    check_chat_request(body)
    route = services.upstreams.router.resolve(body["model"])
    meter = services.meter(identity, body["model"])
    try:
        await meter.admit(body, size)
    finally:
        headers = request.state.headers = {REQUEST_ID: request_id, **meter.headers()}
    stream = bool(body.get("stream"))
    ctx = RequestContext(
        request_id,
        identity.agent,
        body["model"],
        "chat.completions",
        stream,
        identity.quotas,
        body["messages"],
    )
    provider = services.upstreams.provider(route)
    try:
        if stream:
            return await _stream(services, ctx, provider, route, body, meter, headers)
        asked = time.perf_counter()
        try:
            raw = await provider.complete(route, body)
        finally:
            metrics.upstream_latency(route.model_name, "complete", time.perf_counter() - asked)
        # Always parsed: a byte scan for "tool_calls" misses a key written with \u escapes.
        completion = _parse_completion(raw)
    except AirlockError:
        await meter.settle(NOTHING_USED, [])  # give the reservation back
        raise

    found = calls_in_completion(completion)
    if not found:
        headers[DECISION] = "none"  # no tool call: no policy work
        # Settled before answering, so that a budget holds exactly for sequential requests.
        await meter.settle(completion.get("usage"), [])
        return Response(raw, media_type="application/json", headers=headers)
    calls = [call for _, call in found]
    problem = malformed(completion)
    if problem:
        # Calls that cannot be read faithfully are recorded and refused, never passed on.
        verdicts = services.firewall.refuse(ctx, calls, problem)
    else:
        verdicts = await services.firewall.decide(ctx, calls)
    # Settled before answering: the next request's policy must see these denials.
    await meter.settle(completion.get("usage"), verdicts)
    headers[DECISION] = strongest(verdicts)
    blocked = [v for v in verdicts if not v.allowed]
    if blocked and services.settings.policy.on_deny == "error":
        raise ToolCallDeniedError(notice(blocked), headers[DECISION])
    rewrite_completion(completion, verdicts)
    return Response(orjson.dumps(completion), media_type="application/json", headers=headers)


def _parse_completion(raw: bytes) -> dict[str, Any]:
    try:
        completion = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise UpstreamError("provider answered with invalid JSON") from None
    if not isinstance(completion, dict) or not isinstance(completion.get("choices"), list):
        raise UpstreamError("provider answer is not a chat completion")
    if nests_too_deep(raw, completion):
        raise UpstreamError(f"provider answer nests deeper than {MAX_DEPTH} levels")
    return completion


async def _stream(
    services: Services,
    ctx: RequestContext,
    provider: Provider,
    route: Route,
    body: dict[str, Any],
    meter: Meter,
    headers: dict[str, str],
) -> Response:
    options = body.get("stream_options") or {}
    wants_usage = bool(options.get("include_usage"))
    # Ask for usage so the real cost can be settled; strip it if the client did not ask.
    forwarded = {**body, "stream_options": {**options, "include_usage": True}}
    chunks = provider.stream(route, forwarded)
    asked = time.perf_counter()
    try:
        first = await anext(chunks)  # provider errors before the first byte get a real status
    except StopAsyncIteration:
        first = None
    finally:
        metrics.upstream_latency(route.model_name, "stream", time.perf_counter() - asked)
    headers[DECISION] = "deferred"
    guard = StreamGuard(services.firewall, ctx, keep_usage=wants_usage)
    events = _sse(services, ctx, guard, first, chunks, meter)
    return StreamingResponse(events, media_type="text/event-stream", headers=headers)


async def _sse(
    services: Services,
    ctx: RequestContext,
    guard: StreamGuard,
    first: bytes | None,
    chunks: AsyncIterator[bytes],
    meter: Meter,
) -> AsyncIterator[bytes]:
    as_error = services.settings.policy.on_deny == "error"
    keepalive = services.settings.approvals.keepalive_seconds
    try:
        if first is not None:
            forward = guard.feed(first)
            if forward is not None:
                yield b"data: " + forward + b"\n\n"
            async for payload in chunks:
                forward = guard.feed(payload)
                if forward is not None:
                    yield b"data: " + forward + b"\n\n"
        # Held calls may wait for an approver: keep the connection alive meanwhile.
        finishing = asyncio.ensure_future(guard.finish(as_error=as_error))
        try:
            while not (await asyncio.wait({finishing}, timeout=keepalive))[0]:
                yield KEEPALIVE
        finally:
            finishing.cancel()  # the client left: the approval stays for its retry
        tail = finishing.result()
    except AirlockError as exc:
        # Fail closed: whatever tool calls were held are recorded as refused and never sent.
        log.warning("stream %s broke: %s", ctx.request_id, exc)
        guard.abort(f"the provider's stream broke: {exc}")
        await meter.settle(guard.usage, guard.verdicts)
        yield b"data: " + error_event(str(exc), "upstream_error") + b"\n\n"
        yield DONE
        return
    finally:
        await _close(chunks)
    await meter.settle(guard.usage, guard.verdicts)
    for payload in tail:
        yield b"data: " + payload + b"\n\n"
    yield b": airlock-decision " + strongest(guard.verdicts).encode() + b"\n\n"
    yield DONE


async def _close(chunks: AsyncIterator[bytes]) -> None:
    aclose = getattr(chunks, "aclose", None)
    if aclose is not None:
        await aclose()
