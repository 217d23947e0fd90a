"""The approver API (`gateway/api/approvals.py`) on a minimal app with the real key ring,
error envelopes and a memory approval store; the live stream through a real uvicorn."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import pytest
import uvicorn
from fastapi import FastAPI

from gateway.api import approvals as approvals_api
from gateway.api import errors
from gateway.api.auth import KeyRing
from gateway.approvals import Approval, MemoryApprovals, binding
from gateway.config import Settings
from gateway.models import Reason
from gateway.state import KeyRecord, MemoryStore, Quota
from tests.conftest import free_port

ALICE = "approver-token-alice-0123456789"
BOB = "approver-token-bob-0123456789ab"
AGENT_KEY = "sk-agent-key-0123456789abcdef"
RUNTIME_KEY = "sk-runtime-key-0123456789abcd"


@dataclass
class FakeServices:
    """The fields of `Services` that the approvals routes touch."""

    settings: Settings
    keys: KeyRing
    approvals: MemoryApprovals


def settings(keepalive: float = 15) -> Settings:
    return Settings.model_validate(
        {
            "model_list": [
                {"model_name": "gpt-test", "litellm_params": {"model": "openai/gpt-4o"}}
            ],
            "keys": [{"key": AGENT_KEY, "agent": "build-bot"}],
            "approvers": [{"name": "alice", "token": ALICE}, {"name": "bob", "token": BOB}],
            "approvals": {"keepalive_seconds": keepalive},
        }
    )


async def build(keepalive: float = 15) -> tuple[FastAPI, FakeServices]:
    config = settings(keepalive)
    state = MemoryStore()
    # A key created at runtime (admin API) is an agent key too.
    await state.put_key(
        KeyRecord(
            id="key_1",
            digest=hashlib.sha256(RUNTIME_KEY.encode()).hexdigest(),
            agent="runtime-bot",
            team=None,
            quota=Quota("agent:runtime-bot"),
            created=time.time(),
        )
    )
    services = FakeServices(config, KeyRing(config, state), MemoryApprovals())
    app = FastAPI()
    errors.install(app)
    approvals_api.install(app)
    app.state.services = services
    return app, services


@pytest.fixture
async def api() -> AsyncIterator[tuple[httpx.AsyncClient, FakeServices]]:
    app, services = await build()
    transport = httpx.ASGITransport(app)
    async with httpx.AsyncClient(transport=transport, base_url="http://airlock") as client:
        yield client, services


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def escalate(store: MemoryApprovals, arguments: Any = None, ttl: float = 300) -> Approval:
    arguments = arguments if arguments is not None else {"command": "aws ec2 run-instances"}
    now = time.time()
    approval, new = await store.open(
        Approval(
            id="apr_" + secrets.token_hex(8),
            binding=binding("build-bot", "bash", arguments),
            agent="build-bot",
            team=None,
            request_id="req_1",
            model="gpt-test",
            tool_name="bash",
            arguments=arguments,
            facts={"commands": []},
            reasons=[Reason("airlock.instance_creation.cloud_cli", "instance_creation", "why")],
            excerpt=[{"role": "user", "content": "hi"}],
            created=now,
            expires=now + ttl,
        )
    )
    assert new
    return approval


ROUTES = [
    ("GET", "/approvals", None),
    ("GET", "/approvals?status=pending", None),
    ("GET", "/approvals/{id}", None),
    ("POST", "/approvals/{id}/approve", {"reason": "ok"}),
    ("POST", "/approvals/{id}/deny", {"reason": "no"}),
    ("GET", "/approvals/stream", None),
]


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
async def test_every_route_refuses_agents_and_strangers(
    api: tuple[httpx.AsyncClient, FakeServices], method: str, path: str, body: Any
) -> None:
    client, services = api
    asked = await escalate(services.approvals)
    url = path.format(id=asked.id)
    cases = [
        ({}, 401, "invalid_api_key"),
        ({"authorization": "Bearer "}, 401, "invalid_api_key"),
        ({"authorization": f"Basic {ALICE}"}, 401, "invalid_api_key"),
        ({"api-key": AGENT_KEY}, 401, "invalid_api_key"),
        (bearer("not-a-known-token-0123456789"), 401, "invalid_api_key"),
        (bearer(AGENT_KEY), 403, "forbidden"),
        (bearer(RUNTIME_KEY), 403, "forbidden"),
    ]
    for headers, status, code in cases:
        r = await client.request(method, url, headers=headers, json=body)
        assert r.status_code == status, (headers, r.text)
        assert r.json()["error"]["code"] == code
        assert ALICE not in r.text and AGENT_KEY not in r.text
    current = await services.approvals.get(asked.id)
    assert current is not None and current.status == "pending"


async def test_list_filters_and_orders(api: tuple[httpx.AsyncClient, FakeServices]) -> None:
    client, services = api
    older = await escalate(services.approvals, {"n": 1})
    await asyncio.sleep(0.01)
    newer = await escalate(services.approvals, {"n": 2})
    await services.approvals.decide(older.id, False, "bob", "no")

    r = await client.get("/approvals", headers=bearer(ALICE))
    assert r.status_code == 200
    assert [a["id"] for a in r.json()["data"]] == [newer.id, older.id]
    r = await client.get("/approvals?status=pending", headers=bearer(BOB))
    [pending] = r.json()["data"]
    assert pending["id"] == newer.id and 299 < pending["seconds_left"] <= 300
    r = await client.get("/approvals", params={"status": "denied"}, headers=bearer(ALICE))
    [denied] = r.json()["data"]
    assert denied["id"] == older.id and denied["seconds_left"] == 0
    assert denied["history"][-1]["by"] == "bob"
    r = await client.get("/approvals?status=approved", headers=bearer(ALICE))
    assert r.json() == {"data": []}
    r = await client.get("/approvals?limit=1", headers=bearer(ALICE))
    assert [a["id"] for a in r.json()["data"]] == [newer.id]


@pytest.mark.parametrize("query", ["status=open", "status=PENDING", "limit=0", "limit=x"])
async def test_list_refuses_bad_queries(
    api: tuple[httpx.AsyncClient, FakeServices], query: str
) -> None:
    client, _ = api
    r = await client.get(f"/approvals?{query}", headers=bearer(ALICE))
    assert r.status_code == 400
    assert r.json()["error"]["param"] == query.split("=")[0]


async def test_get_shows_every_field(api: tuple[httpx.AsyncClient, FakeServices]) -> None:
    client, services = api
    asked = await escalate(services.approvals)
    r = await client.get(f"/approvals/{asked.id}", headers=bearer(ALICE))
    assert r.status_code == 200
    data = r.json()
    assert data.pop("seconds_left") > 299
    assert data == orjson.loads(orjson.dumps(asked))
    r = await client.get("/approvals/apr_missing", headers=bearer(ALICE))
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


async def test_approve_then_a_second_decision_conflicts(
    api: tuple[httpx.AsyncClient, FakeServices],
) -> None:
    client, services = api
    asked = await escalate(services.approvals)
    r = await client.post(
        f"/approvals/{asked.id}/approve", headers=bearer(ALICE), json={"reason": " fine "}
    )
    assert r.status_code == 200
    data = r.json()
    assert data["status"] == "approved" and data["seconds_left"] > 299
    assert data["history"][-1]["by"] == "alice" and data["history"][-1]["reason"] == "fine"
    for verb, body in (("deny", {"reason": "no"}), ("approve", {})):
        r = await client.post(f"/approvals/{asked.id}/{verb}", headers=bearer(BOB), json=body)
        assert r.status_code == 409
        assert r.json()["error"]["code"] == "conflict"
        assert "already approved by alice" in r.json()["error"]["message"]


async def test_approve_without_a_body(api: tuple[httpx.AsyncClient, FakeServices]) -> None:
    client, services = api
    asked = await escalate(services.approvals)
    r = await client.post(f"/approvals/{asked.id}/approve", headers=bearer(BOB))
    assert r.status_code == 200
    assert r.json()["history"][-1] == {
        "status": "approved",
        "by": "bob",
        "at": r.json()["history"][-1]["at"],
        "reason": "",
    }


async def test_deny_records_the_reason(api: tuple[httpx.AsyncClient, FakeServices]) -> None:
    client, services = api
    asked = await escalate(services.approvals)
    r = await client.post(
        f"/approvals/{asked.id}/deny", headers=bearer(BOB), json={"reason": "no new instances"}
    )
    assert r.status_code == 200
    assert r.json()["status"] == "denied" and r.json()["seconds_left"] == 0
    stored = await services.approvals.get(asked.id)
    assert stored is not None and stored.history[-1].reason == "no new instances"


@pytest.mark.parametrize(
    ("verb", "content", "param"),
    [
        ("deny", b"", "reason"),
        ("deny", b"{}", "reason"),
        ("deny", b'{"reason": "   "}', "reason"),
        ("deny", b'{"reason": 5}', "reason"),
        ("approve", b'{"reason": ["x"]}', "reason"),
        ("approve", b'{"reason": "ok", "by": "mallory"}', "by"),
        ("approve", b'{"reason": "' + b"x" * 2001 + b'"}', "reason"),
        ("approve", b"not json", None),
        ("approve", b'["reason"]', None),
    ],
)
async def test_bad_bodies_are_400_and_decide_nothing(
    api: tuple[httpx.AsyncClient, FakeServices], verb: str, content: bytes, param: str | None
) -> None:
    client, services = api
    asked = await escalate(services.approvals)
    headers = {**bearer(ALICE), "content-type": "application/json"}
    r = await client.post(f"/approvals/{asked.id}/{verb}", headers=headers, content=content)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["param"] == param
    stored = await services.approvals.get(asked.id)
    assert stored is not None and stored.status == "pending"


async def test_deciding_an_unknown_approval_is_404(
    api: tuple[httpx.AsyncClient, FakeServices],
) -> None:
    client, _ = api
    for verb in ("approve", "deny"):
        r = await client.post(
            f"/approvals/apr_missing/{verb}", headers=bearer(ALICE), json={"reason": "x"}
        )
        assert r.status_code == 404


async def test_an_expired_approval_cannot_be_decided(
    api: tuple[httpx.AsyncClient, FakeServices],
) -> None:
    client, services = api
    asked = await escalate(services.approvals, ttl=0.05)
    await asyncio.sleep(0.1)
    r = await client.post(f"/approvals/{asked.id}/approve", headers=bearer(ALICE), json={})
    assert r.status_code == 409 and "already expired" in r.json()["error"]["message"]
    r = await client.get("/approvals?status=expired", headers=bearer(ALICE))
    assert [a["id"] for a in r.json()["data"]] == [asked.id]


@pytest.fixture
async def served() -> AsyncIterator[tuple[str, FakeServices]]:
    """The app on a real uvicorn (httpx's ASGI transport buffers whole responses)."""
    app, services = await build(keepalive=0.2)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done()
        await asyncio.sleep(0.01)
    yield f"http://127.0.0.1:{port}", services
    server.should_exit = True
    await task
    await services.approvals.aclose()


async def sse_lines(response: httpx.Response) -> AsyncIterator[str]:
    async for line in response.aiter_lines():
        if line:
            yield line


async def test_stream_sends_events_and_keepalives(served: tuple[str, FakeServices]) -> None:
    url, services = served
    async with (
        httpx.AsyncClient(base_url=url, timeout=5) as client,
        client.stream("GET", "/approvals/stream", headers=bearer(ALICE)) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-cache"
        lines = sse_lines(response)
        asked = await escalate(services.approvals)
        line = await asyncio.wait_for(anext(lines), 5)
        assert line.startswith("data: ")
        created = orjson.loads(line.removeprefix("data: "))
        assert created["kind"] == "created" and created["approval"]["id"] == asked.id
        assert created["approval"]["seconds_left"] > 299
        r = await client.post(
            f"/approvals/{asked.id}/deny", headers=bearer(BOB), json={"reason": "no"}
        )
        assert r.status_code == 200
        denied = orjson.loads((await asyncio.wait_for(anext(lines), 5)).removeprefix("data: "))
        assert denied["kind"] == "denied" and denied["approval"]["history"][-1]["by"] == "bob"
        start = time.monotonic()
        assert await asyncio.wait_for(anext(lines), 5) == ": keepalive"
        assert time.monotonic() - start < 1


async def test_stream_refuses_agent_keys(served: tuple[str, FakeServices]) -> None:
    url, _ = served
    async with httpx.AsyncClient(base_url=url, timeout=5) as client:
        r = await client.get("/approvals/stream", headers=bearer(AGENT_KEY))
        assert r.status_code == 403
        r = await client.get("/approvals/stream")
        assert r.status_code == 401


async def test_a_closed_store_ends_the_stream(served: tuple[str, FakeServices]) -> None:
    url, services = served
    async with (
        httpx.AsyncClient(base_url=url, timeout=5) as client,
        client.stream("GET", "/approvals/stream", headers=bearer(ALICE)) as response,
    ):
        await services.approvals.aclose()
        rest = [line async for line in sse_lines(response)]
        assert all(line == ": keepalive" for line in rest)
