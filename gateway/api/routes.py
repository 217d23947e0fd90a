"""The HTTP surface: routes and their wiring."""

from __future__ import annotations

import time

import orjson
from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response

from gateway import ui
from gateway.api import admin, approvals, errors
from gateway.api.chat import chat_completions
from gateway.api.services import Services
from gateway.errors import StateError

STARTED = int(time.time())


def _json(data: object, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status, media_type="application/json")


async def list_models(request: Request) -> Response:
    services: Services = request.app.state.services
    await services.keys.authenticate(request.headers)
    models = [
        {"id": name, "object": "model", "created": STARTED, "owned_by": "airlock"}
        for name in services.upstreams.router.model_names
    ]
    return _json({"object": "list", "data": models})


async def healthz(_: Request) -> Response:
    return _json({"status": "ok"})


async def readyz(request: Request) -> Response:
    services: Services | None = getattr(request.app.state, "services", None)
    if services is None:
        return _json({"status": "starting"}, 503)
    engine = services.firewall.engine
    status = {
        "engine": engine.name,
        "policy_revision": engine.revision,
        "state": services.store.name,
    }
    try:
        await services.store.ping()
    except StateError as exc:
        return _json({"status": "unavailable", "reason": str(exc), **status}, 503)
    return _json({"status": "ready", **status})


def install(app: FastAPI) -> None:
    errors.install(app)
    app.add_api_route("/v1/chat/completions", chat_completions, methods=["POST"])
    app.add_api_route(
        "/chat/completions", chat_completions, methods=["POST"], include_in_schema=False
    )
    app.add_api_route("/v1/models", list_models, methods=["GET"])
    app.add_api_route("/healthz", healthz, methods=["GET"])
    app.add_api_route("/readyz", readyz, methods=["GET"])
    app.add_api_route("/admin/keys", admin.create_key, methods=["POST"])
    app.add_api_route("/admin/keys", admin.list_keys, methods=["GET"])
    app.add_api_route("/admin/keys/{key_id}/revoke", admin.revoke_key, methods=["POST"])
    approvals.install(app)
    ui.install(app)
