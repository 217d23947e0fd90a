"""The HTTP surface: routes and their wiring."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import Scope

from gateway import metrics, ui
from gateway.api import admin, approvals, errors
from gateway.api.body import CHAT_REQUEST_SCHEMA
from gateway.api.chat import chat_completions
from gateway.api.errors import json_response
from gateway.api.services import Services
from gateway.errors import AirlockError, StateError

STARTED = int(time.time())
READY_TIMEOUT_SECONDS = 2.0
PROBE_APPROVAL = "apr_readyz"  # never created: reading it exercises the approvals store


async def list_models(request: Request) -> Response:
    services: Services = request.app.state.services
    await services.keys.authenticate(request.headers)
    models = [
        {"id": name, "object": "model", "created": STARTED, "owned_by": "airlock"}
        for name in services.upstreams.router.model_names
    ]
    return json_response({"object": "list", "data": models})


async def healthz(_: Request) -> Response:
    return json_response({"status": "ok"})


async def readyz(request: Request) -> Response:
    """503 while the state store, the approvals store or the policy engine cannot answer.

    A failed reload leaves the gateway ready (the last good policy serves) but says so in
    `reload_error`.
    """
    services: Services | None = getattr(request.app.state, "services", None)
    if services is None:
        return json_response({"status": "starting"}, 503)
    engine = services.firewall.engine
    status: dict[str, object] = {
        "engine": engine.name,
        "policy_revision": engine.revision,
        "state": services.store.name,
    }
    reloader = services.reloader
    if reloader is not None and reloader.last_error is not None:
        status["reload_error"] = reloader.last_error
    problems = await asyncio.gather(
        _probe("state", services.store.ping()),
        _probe("approvals", services.approvals.get(PROBE_APPROVAL)),
        _probe("policy", reloader.check() if reloader is not None else asyncio.sleep(0)),
    )
    failed = [p for p in problems if p is not None]
    if failed:
        return json_response({"status": "unavailable", "reason": "; ".join(failed), **status}, 503)
    return json_response({"status": "ready", **status})


async def _probe(what: str, check: Awaitable[object]) -> str | None:
    try:
        async with asyncio.timeout(READY_TIMEOUT_SECONDS):
            await check
    except TimeoutError:
        return f"{what}: no answer within {READY_TIMEOUT_SECONDS}s"
    except AirlockError as exc:
        return f"{what}: {exc}"
    return None


async def prometheus(request: Request) -> Response:
    """Prometheus text format; unauthenticated, so keep it off public networks (README)."""
    services: Services | None = getattr(request.app.state, "services", None)
    if services is not None:
        try:
            pending = await services.approvals.list("pending", metrics.PENDING_SCAN_LIMIT)
        except StateError:
            metrics.state_error("approvals")  # the gauge keeps its last value
        else:
            metrics.APPROVALS_PENDING.set(len(pending))
    return Response(metrics.render(), media_type=metrics.CONTENT_TYPE)


class _PlainRoute(Route):
    """A Starlette route that, like FastAPI's, names itself in `scope["route"]` (metrics)."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child = super().matches(scope)
        if match != Match.NONE:
            child["route"] = self
        return match, child


def install(app: FastAPI) -> None:
    app.add_middleware(metrics.CountRequests)
    errors.install(app)
    # The hot path is a plain Starlette route: FastAPI's request handling (dependencies,
    # validation) is a tenth of the gateway's own time per call and does nothing here.
    for path in ("/v1/chat/completions", "/chat/completions"):
        app.router.routes.append(_PlainRoute(path, chat_completions, methods=["POST"]))
    # Never reached (the route above matches first); it puts the chat route and its body
    # schema in /openapi.json. The body is read raw (orjson) and checked by
    # `check_chat_request`.
    app.add_api_route(
        "/v1/chat/completions",
        chat_completions,
        methods=["POST"],
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": CHAT_REQUEST_SCHEMA}},
            }
        },
    )
    app.add_api_route("/v1/models", list_models, methods=["GET"])
    app.add_api_route("/healthz", healthz, methods=["GET"])
    app.add_api_route("/readyz", readyz, methods=["GET"])
    app.add_api_route("/metrics", prometheus, methods=["GET"], include_in_schema=False)
    app.add_api_route("/admin/reload", admin.reload_policy, methods=["POST"])
    app.add_api_route("/admin/keys", admin.create_key, methods=["POST"])
    app.add_api_route("/admin/keys", admin.list_keys, methods=["GET"])
    app.add_api_route("/admin/keys/{key_id}/revoke", admin.revoke_key, methods=["POST"])
    approvals.install(app)
    ui.install(app)
