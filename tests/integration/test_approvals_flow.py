"""Escalated calls wait for a human, on any replica: real gateways, Redis, HTTP and the SDK."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest

from tests.integration.harness import AGENT_KEY, Gateway, config, running_gateway, wait_for
from tests.integration.redis_fixture import RedisServer, start_redis

APPROVER = "approver-token-for-tests-0123456789"
WEBHOOK_SECRET = "webhook-secret-for-tests"
EXEC = ThreadPoolExecutor(4)


@pytest.fixture(scope="module")
def redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = start_redis(tmp_path_factory.mktemp("approvals-redis"))
    try:
        yield server
    finally:
        server.stop()


def settings(
    upstream: str, redis_url: str, mode: str, timeout: float = 30, **approvals: Any
) -> dict[str, Any]:
    result = config(
        upstream,
        state={"redis_url": redis_url},
        approvals={"mode": mode, "timeout_seconds": timeout, **approvals},
    )
    result["approvers"] = [{"name": "alice", "token": APPROVER}]
    return result


def ask(gw: Gateway, scenario: str = "benign_and_forbidden", **kw: Any) -> Any:
    return gw.sdk().chat.completions.create(
        model="gpt-test", messages=[{"role": "user", "content": f"scenario:{scenario}"}], **kw
    )


def approvals(gw: Gateway, status: str = "pending") -> list[dict[str, Any]]:
    r = httpx.get(
        gw.url + "/approvals",
        params={"status": status},
        headers={"authorization": f"Bearer {APPROVER}"},
    )
    r.raise_for_status()
    return list(r.json()["data"])


def wait_for_pending(gw: Gateway, count: int = 1) -> list[dict[str, Any]]:
    def enough() -> list[dict[str, Any]] | None:
        found = approvals(gw)
        return found if len(found) >= count else None

    pending: list[dict[str, Any]] = wait_for(enough, f"{count} pending approval(s)")
    return pending


def decide(gw: Gateway, approval_id: str, verb: str, reason: str = "checked") -> httpx.Response:
    return httpx.post(
        f"{gw.url}/approvals/{approval_id}/{verb}",
        json={"reason": reason},
        headers={"authorization": f"Bearer {APPROVER}"},
    )


def commands(answer: Any) -> list[str]:
    return [
        json.loads(c.function.arguments)["command"]
        for c in answer.choices[0].message.tool_calls or []
    ]


@pytest.fixture
def two(
    scripted_upstream: str, redis: RedisServer, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[Gateway, Gateway]]:
    import redis as redis_sync

    redis_sync.Redis.from_url(redis.url).flushall()
    mode, timeout = request.param
    conf = settings(scripted_upstream, redis.url, mode, timeout)
    with ExitStack() as stack:
        a = stack.enter_context(running_gateway(tmp_path / "a", conf))
        b = stack.enter_context(running_gateway(tmp_path / "b", conf))
        yield a, b


@pytest.mark.parametrize("two", [("hold", 30)], indirect=True)
def test_hold_approved_on_another_replica_delivers_the_call(two: tuple[Gateway, Gateway]) -> None:
    a, b = two
    held: Future[Any] = EXEC.submit(ask, a)
    [pending] = wait_for_pending(b)
    assert not held.done()
    assert pending["tool_name"] == "bash" and "run-instances" in json.dumps(pending["arguments"])
    assert any(r["rule"].startswith("airlock.instance_creation") for r in pending["reasons"])
    assert decide(b, pending["id"], "approve").status_code == 200
    answer = held.result(timeout=20)
    assert commands(answer) == [
        "ls -la",
        "aws ec2 run-instances --image-id ami-0abcdef1234567890 --instance-type t2.micro --count 1",
    ]
    assert answer.choices[0].finish_reason == "tool_calls"


@pytest.mark.parametrize("two", [("hold", 30)], indirect=True)
def test_hold_denied_gives_notice_and_no_call(two: tuple[Gateway, Gateway]) -> None:
    a, b = two
    held: Future[Any] = EXEC.submit(ask, a)
    [pending] = wait_for_pending(b)
    assert decide(b, pending["id"], "deny", "no new machines today").status_code == 200
    answer = held.result(timeout=20)
    assert commands(answer) == ["ls -la"]
    assert "denied by alice: no new machines today" in answer.choices[0].message.content
    [denied] = approvals(a, "denied")
    assert [(t["status"], t["by"]) for t in denied["history"]][-1] == ("denied", "alice")


@pytest.mark.parametrize("two", [("hold", 1.5)], indirect=True)
def test_hold_nobody_decides_times_out_denied(two: tuple[Gateway, Gateway]) -> None:
    a, _ = two
    answer = ask(a)
    assert commands(answer) == ["ls -la"]
    assert "approval timed out" in answer.choices[0].message.content
    assert len(approvals(a, "expired")) == 1


@pytest.mark.parametrize("two", [("hold", 30)], indirect=True)
def test_held_stream_keeps_alive_and_completes(two: tuple[Gateway, Gateway]) -> None:
    a, b = two
    payload = {
        "model": "gpt-test",
        "stream": True,
        "messages": [{"role": "user", "content": "scenario:text_and_tool_stream"}],
    }

    def stream() -> bytes:
        with httpx.stream(
            "POST",
            a.base_url + "/chat/completions",
            json=payload,
            timeout=60,
            headers={"authorization": f"Bearer {AGENT_KEY}"},
        ) as r:
            return b"".join(r.iter_raw())

    held = EXEC.submit(stream)
    [pending] = wait_for_pending(b)
    decide(b, pending["id"], "approve")
    received = held.result(timeout=20)
    assert b"run-instances" in received and received.endswith(b"data: [DONE]\n\n")


@pytest.mark.parametrize("two", [("async", 30)], indirect=True)
def test_async_retry_receives_the_approved_call_once(two: tuple[Gateway, Gateway]) -> None:
    a, b = two
    first = ask(a)
    assert commands(first) == ["ls -la"]
    content = first.choices[0].message.content
    [pending] = approvals(b)
    assert pending["id"] in content and "retry the same request later" in content
    assert commands(ask(b)) == ["ls -la"]  # a retry before the decision joins, no duplicate
    assert len(approvals(b)) == 1
    decide(b, pending["id"], "approve")
    assert len(commands(ask(a))) == 2  # the identical retry gets the call…
    assert commands(ask(b)) == ["ls -la"]  # …once


@pytest.mark.parametrize("two", [("async", 30)], indirect=True)
def test_async_approval_covers_only_the_exact_call(two: tuple[Gateway, Gateway]) -> None:
    a, b = two
    assert not ask(a, "instance_tool size=t3.micro").choices[0].message.tool_calls
    [pending] = approvals(b)
    decide(b, pending["id"], "approve")
    other = ask(a, "instance_tool size=p5.48xlarge")  # different arguments: not covered
    assert not other.choices[0].message.tool_calls
    assert len(approvals(b)) == 1  # …and queued as an approval of its own
    [call] = ask(b, "instance_tool size=t3.micro").choices[0].message.tool_calls or []
    assert json.loads(call.function.arguments)["command"].endswith("--instance-type t3.micro")


def test_pending_approval_survives_a_gateway_restart(
    scripted_upstream: str, redis: RedisServer, tmp_path: Path
) -> None:
    import redis as redis_sync

    redis_sync.Redis.from_url(redis.url).flushall()
    conf = settings(scripted_upstream, redis.url, "async")
    with running_gateway(tmp_path / "before", conf) as gw:
        ask(gw)
        [pending] = approvals(gw)
    with running_gateway(tmp_path / "after", conf) as gw:
        assert [p["id"] for p in approvals(gw)] == [pending["id"]]
        decide(gw, pending["id"], "approve")
        assert len(commands(ask(gw))) == 2


@pytest.mark.parametrize("two", [("async", 30)], indirect=True)
def test_agents_never_reach_approvals_and_decisions_are_final(
    two: tuple[Gateway, Gateway],
) -> None:
    a, _ = two
    ask(a)
    [pending] = approvals(a)
    routes = [
        ("GET", "/approvals"),
        ("GET", f"/approvals/{pending['id']}"),
        ("POST", f"/approvals/{pending['id']}/approve"),
        ("POST", f"/approvals/{pending['id']}/deny"),
        ("GET", "/approvals/stream"),
    ]
    for method, path in routes:
        agent = httpx.request(
            method,
            a.url + path,
            json={"reason": "x"},
            headers={"authorization": f"Bearer {AGENT_KEY}"},
        )
        assert agent.status_code == 403, path
        assert httpx.request(method, a.url + path, json={"reason": "x"}).status_code == 401
    assert decide(a, pending["id"], "approve").status_code == 200
    second = decide(a, pending["id"], "deny")
    assert second.status_code == 409 and second.json()["error"]["code"] == "conflict"
    assert decide(a, "apr_0000000000000000", "approve").status_code == 404


class Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[bytes, dict[str, str]]]] = []

    def do_POST(self) -> None:
        length = int(self.headers["content-length"])
        self.received.append((self.rfile.read(length), dict(self.headers)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return None


def test_webhook_receives_a_signed_payload(
    scripted_upstream: str, redis: RedisServer, tmp_path: Path
) -> None:
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        conf = settings(
            scripted_upstream,
            redis.url,
            "async",
            webhook_url=f"http://127.0.0.1:{server.server_port}/hook",
            webhook_secret=WEBHOOK_SECRET,
        )
        with running_gateway(tmp_path, conf) as gw:
            ask(gw, "instance_tool")
            deadline = time.monotonic() + 10
            while not Receiver.received and time.monotonic() < deadline:
                time.sleep(0.05)
        body, headers = Receiver.received[0]
        expected = hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
        signature = {k.lower(): v for k, v in headers.items()}["x-airlock-signature"]
        assert signature == f"sha256={expected}"
        payload = json.loads(body)
        assert "bash" in payload["text"] and payload["approval"]["id"] in payload["text"]
        assert payload["approval"]["tool_name"] == "bash"
    finally:
        server.shutdown()
        server.server_close()
