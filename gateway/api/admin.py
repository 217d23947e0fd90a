"""`/admin/keys`: agent keys managed at runtime, for holders of the admin token.

A created key is shown once; only its sha256 digest is stored. Revocation is checked by the
state store on every admission, so it takes effect on every replica at once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import asdict
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.requests import Request
from starlette.responses import Response

from gateway.api.body import read_json
from gateway.api.errors import json_response
from gateway.api.services import Services
from gateway.config import Budget, Limits
from gateway.errors import (
    AuthenticationError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    RequestError,
)
from gateway.state.base import KeyRecord, Quota

ADMIN_BODY_LIMIT = 64 * 1024


class NewKey(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agent: str
    team: str | None = None
    limits: Limits = Limits()
    budget: Budget = Budget()


def _authorize(request: Request, services: Services) -> None:
    token = services.settings.admin_token
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not presented:
        raise AuthenticationError("The admin API needs `Authorization: Bearer <admin token>`.")
    if token is None or not hmac.compare_digest(
        presented.encode(), token.get_secret_value().encode()
    ):
        raise ForbiddenError("This token may not use the admin API.")


def _public(record: KeyRecord) -> dict[str, Any]:
    quota = {k: v for k, v in asdict(record.quota).items() if k != "scope" and v is not None}
    return {
        "id": record.id,
        "agent": record.agent,
        "team": record.team,
        "created": record.created,
        "revoked": record.revoked,
        "limits": quota,
    }


async def create_key(request: Request) -> Response:
    services: Services = request.app.state.services
    _authorize(request, services)
    body, _ = await read_json(request, ADMIN_BODY_LIMIT)
    try:
        spec = NewKey.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        param = ".".join(str(p) for p in first["loc"])
        raise RequestError(f"Invalid '{param}': {first['msg']}", param=param) from None
    key = "sk-airlock-" + secrets.token_urlsafe(32)
    record = KeyRecord(
        id="key_" + secrets.token_hex(8),
        digest=hashlib.sha256(key.encode()).hexdigest(),
        agent=spec.agent,
        team=spec.team,
        quota=Quota(f"agent:{spec.agent}", **spec.limits.model_dump(), **spec.budget.model_dump()),
        created=time.time(),
    )
    await services.store.put_key(record)
    return json_response({**_public(record), "key": key}, 201)


async def list_keys(request: Request) -> Response:
    services: Services = request.app.state.services
    _authorize(request, services)
    records = await services.store.list_keys()
    return json_response({"data": [_public(r) for r in sorted(records, key=lambda r: r.created)]})


async def revoke_key(request: Request) -> Response:
    services: Services = request.app.state.services
    _authorize(request, services)
    key_id = request.path_params["key_id"]
    record = await services.store.revoke_key(key_id)
    if record is None:
        raise NotFoundError(f"No key with id {key_id!r}.")
    return json_response(_public(record))


async def reload_policy(request: Request) -> Response:
    """`POST /admin/reload`: load the policy files again and serve them (gateway/reload.py).

    422 with the error when the new policy does not load; the last good one keeps serving.
    """
    services: Services = request.app.state.services
    _authorize(request, services)
    if services.reloader is None:
        raise ConflictError("This gateway was started without a policy reloader.")
    result = await services.reloader.reload()
    body: dict[str, Any] = {
        "status": result.status,
        "engine": services.firewall.engine.name,
        "policy_revision": result.revision,
        "previous_revision": result.previous,
    }
    if result.error is None:
        return json_response(body)
    message = f"The policy did not load; revision {result.revision} still serves: {result.error}"
    error = {"message": message, "type": "invalid_request_error", "code": "policy_reload_failed"}
    return json_response({"error": {**error, "param": None}, **body}, 422)
