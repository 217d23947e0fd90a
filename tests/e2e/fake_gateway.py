"""The approver API's contract, in memory, plus the real `/ui` page: a small gateway we own.

It speaks exactly what the approver page, the Python client and `airlock approvals` rely on
(bearer tokens, the error envelope, list/get/approve/deny, the SSE stream with keep-alive
comments) and adds a few `/_test/...` routes so that a test can create an approval, see the
decisions it received, or drop every open stream. It runs in uvicorn on a thread.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

import orjson
import uvicorn
from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from gateway import ui
from tests.conftest import free_port, wait_for_http

APPROVER_TOKEN = "approver-token-alice-0123456789"
AGENT_KEY = "agent-key-build-bot-0123456789"
APPROVERS = {APPROVER_TOKEN: "alice"}
STATUSES = ("pending", "approved", "denied", "expired")

_ids = itertools.count(1)


def make_approval(**fields: Any) -> dict[str, Any]:
    """A realistic pending approval (an instance-creation escalation); `fields` override."""
    now = time.time()
    n = next(_ids)
    command = "aws ec2 run-instances --image-id ami-0abc1234 --count 4 --instance-type p4d.24xlarge"
    approval: dict[str, Any] = {
        "id": f"apr_{n:016x}",
        "binding": f"{n:064x}",
        "agent": "build-bot",
        "team": "platform",
        "request_id": f"req_{n:08d}",
        "model": "gpt-4o",
        "tool_name": "bash",
        "arguments": {"command": command, "timeout": 600},
        "facts": {
            "commands": [{"program": "aws", "argv": command.split(), "raw": command}],
            "urls": [],
            "paths": [],
            "code": None,
            "secrets": [],
            "obfuscation": [],
        },
        "reasons": [
            {
                "rule": "airlock.instance_creation.cloud_cli",
                "category": "instance_creation",
                "message": "aws ec2 run-instances would create a compute instance",
            }
        ],
        "excerpt": [
            {"role": "user", "content": "Train the model on a bigger machine, whatever it takes."},
            {"role": "assistant", "content": "I will start four GPU instances for training."},
        ],
        "created": now,
        "expires": now + 300,
        "status": "pending",
        "used": False,
        "history": [{"status": "pending", "by": "airlock", "at": now, "reason": ""}],
    }
    approval.update(fields)
    return approval


def _json(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status, media_type="application/json")


def _error(status: int, message: str, kind: str, code: str | None) -> Response:
    body = {"error": {"message": message, "type": kind, "code": code, "param": None}}
    return _json(body, status)


class FakeGateway:
    """The in-memory approvals and the app serving them; `decisions` records what came in."""

    def __init__(self, keepalive_seconds: float = 15.0) -> None:
        self.keepalive_seconds = keepalive_seconds
        self.approvals: dict[str, dict[str, Any]] = {}
        self.decisions: list[dict[str, Any]] = []
        self.raw_paths: list[bytes] = []  # as sent, before the server decodes them
        self._streams: set[asyncio.Queue[bytes | None]] = set()
        self.app = self._build()

    def view(self, approval: dict[str, Any]) -> dict[str, Any]:
        left = max(0, round(approval["expires"] - time.time()))
        return {**approval, "seconds_left": left if approval["status"] == "pending" else 0}

    def publish(self, kind: str, approval: dict[str, Any]) -> None:
        frame = b"data: " + orjson.dumps({"kind": kind, "approval": self.view(approval)}) + b"\n\n"
        for queue in self._streams:
            queue.put_nowait(frame)

    def _approver(self, request: Request) -> str | Response:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return _error(401, "an approver token is required", "invalid_request_error", "missing")
        if token == AGENT_KEY:
            return _error(403, "agent keys cannot use approvals", "permission_error", "forbidden")
        if token not in APPROVERS:
            return _error(401, "unknown token", "invalid_request_error", "invalid_api_key")
        return APPROVERS[token]

    def _build(self) -> FastAPI:
        app = FastAPI()
        ui.install(app)

        @app.middleware("http")
        async def record(request: Request, call_next: Any) -> Response:
            self.raw_paths.append(request.scope.get("raw_path", b""))
            response: Response = await call_next(request)
            return response

        @app.get("/approvals")
        async def list_approvals(request: Request) -> Response:
            who = self._approver(request)
            if isinstance(who, Response):
                return who
            status = request.query_params.get("status")
            if status is not None and status not in STATUSES:
                return _error(400, "unknown status", "invalid_request_error", "invalid_status")
            found = [a for a in self.approvals.values() if status in (None, a["status"])]
            found.sort(key=lambda a: a["created"], reverse=True)
            return _json({"data": [self.view(a) for a in found]})

        @app.get("/approvals/stream")
        async def stream(request: Request) -> Response:
            who = self._approver(request)
            if isinstance(who, Response):
                return who
            # Subscribed before the first byte, as the gateway does: a page that lists after
            # the stream opens misses nothing.
            queue: asyncio.Queue[bytes | None] = asyncio.Queue()
            self._streams.add(queue)
            return StreamingResponse(
                self._frames(queue),
                media_type="text/event-stream",
                headers={"cache-control": "no-store"},
            )

        @app.get("/approvals/{approval_id}")
        async def get(approval_id: str, request: Request) -> Response:
            who = self._approver(request)
            if isinstance(who, Response):
                return who
            if approval_id not in self.approvals:
                return _error(404, "no such approval", "invalid_request_error", "not_found")
            return _json(self.view(self.approvals[approval_id]))

        @app.post("/approvals/{approval_id}/{action}")
        async def decide(approval_id: str, action: str, request: Request) -> Response:
            who = self._approver(request)
            if isinstance(who, Response):
                return who
            approval = self.approvals.get(approval_id)
            if approval is None or action not in ("approve", "deny"):
                return _error(404, "no such approval", "invalid_request_error", "not_found")
            reason = str(orjson.loads(await request.body() or b"{}").get("reason", ""))
            if approval["status"] != "pending":
                message = f"approval is already {approval['status']}"
                return _error(409, message, "invalid_request_error", "conflict")
            status = "approved" if action == "approve" else "denied"
            approval["status"] = status
            transition = {"status": status, "by": who, "at": time.time(), "reason": reason}
            approval["history"].append(transition)
            self.decisions.append(
                {"id": approval_id, "action": action, "by": who, "reason": reason}
            )
            self.publish(status, approval)
            return _json(self.view(approval))

        @app.post("/_test/approvals")
        async def create(request: Request) -> Response:
            approval = make_approval(**orjson.loads(await request.body() or b"{}"))
            self.approvals[approval["id"]] = approval
            self.publish("created", approval)
            return _json(self.view(approval))

        @app.post("/_test/expire/{approval_id}")
        async def expire(approval_id: str) -> Response:
            approval = self.approvals[approval_id]
            approval["status"] = "expired"
            transition = {"status": "expired", "by": "airlock", "at": time.time()}
            approval["history"].append({**transition, "reason": "approval timed out"})
            self.publish("expired", approval)
            return _json(self.view(approval))

        @app.get("/_test/decisions")
        async def decisions() -> Response:
            return _json(self.decisions)

        @app.post("/_test/drop-streams")
        async def drop() -> Response:
            for queue in self._streams:
                queue.put_nowait(None)
            return _json({"dropped": len(self._streams)})

        @app.get("/_test/streams")
        async def streams() -> Response:
            return _json({"open": len(self._streams)})

        return app

    async def _frames(self, queue: asyncio.Queue[bytes | None]) -> AsyncIterator[bytes]:
        try:
            while True:
                try:
                    frame = await asyncio.wait_for(queue.get(), self.keepalive_seconds)
                except TimeoutError:
                    frame = b": keepalive\n\n"
                if frame is None:
                    return
                yield frame
        finally:
            self._streams.discard(queue)


class Served:
    """A FakeGateway on a free port, served by uvicorn on a daemon thread."""

    def __init__(self, keepalive_seconds: float = 15.0) -> None:
        self.fake = FakeGateway(keepalive_seconds)
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(
            self.fake.app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
            ws="none",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def __enter__(self) -> Served:
        self._thread.start()
        wait_for_http(f"{self.url}/_test/streams")
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
