"""SIGTERM: stop accepting, finish in-flight requests, answer held ones at once, keep approvals.

Real processes: the scripted upstream, redis-server, and `airlock serve` started here (not by
the harness, because the test signals the process itself).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson
import redis
import yaml

from tests.conftest import ROOT, free_port, stop, wait_for_http
from tests.integration.harness import AGENT_KEY, config, wait_for
from tests.integration.redis_fixture import RedisServer
from tests.integration.redis_fixture import own_redis as own_redis  # the fixture

APPROVER = "approver-token-for-tests-0123456789"
SHUTTING_DOWN = "gateway shutting down; retry the same request"
GRACE_SECONDS = 10
SLOW_MS = 4000
EXEC = ThreadPoolExecutor(4)


def settings(upstream: str, redis_url: str) -> dict[str, Any]:
    result = config(
        upstream,
        state={"redis_url": redis_url},
        approvals={"mode": "hold", "timeout_seconds": 120, "keepalive_seconds": 0.5},
        server={"graceful_shutdown_seconds": GRACE_SECONDS},
    )
    result["approvers"] = [{"name": "alice", "token": APPROVER}]
    return result


Process = subprocess.Popen[bytes]


@contextmanager
def serve(tmp: Path, name: str, values: dict[str, Any]) -> Iterator[tuple[str, Process]]:
    """`airlock serve` on a free port; yields its URL and the process (to signal it)."""
    port = free_port()
    tmp.mkdir(parents=True, exist_ok=True)
    path = tmp / f"{name}.yaml"
    path.write_text(yaml.safe_dump({**values, "audit": {"path": str(tmp / f"{name}.jsonl")}}))
    command = [sys.executable, "-m", "gateway.cli", "serve", "--config", str(path)]
    with (tmp / f"{name}.log").open("wb") as log:
        proc = subprocess.Popen(
            [*command, "--port", str(port)], stdout=log, stderr=subprocess.STDOUT, cwd=ROOT
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_for_http(url + "/readyz", proc, timeout=60)
            yield url, proc
        finally:
            stop(proc)


def chat(url: str, text: str, **extra: Any) -> httpx.Response:
    return httpx.post(
        url + "/v1/chat/completions",
        json={"model": "gpt-test", "messages": [{"role": "user", "content": text}], **extra},
        headers={"authorization": f"Bearer {AGENT_KEY}"},
        timeout=60,
    )


def approvals(url: str, status: str = "pending") -> list[dict[str, Any]]:
    r = httpx.get(
        url + "/approvals",
        params={"status": status},
        headers={"authorization": f"Bearer {APPROVER}"},
    )
    r.raise_for_status()
    return list(r.json()["data"])


def refused(url: str) -> bool:
    """True when a new connection is not served: refused, or reset by the closing socket
    (a connection still in the listen backlog when it closes)."""
    try:
        httpx.get(url + "/healthz", timeout=1)
    except (httpx.ConnectError, httpx.ReadError):
        return True
    return False


def test_sigterm_finishes_in_flight_and_releases_held_requests(
    scripted_upstream: str, own_redis: RedisServer, tmp_path: Path
) -> None:
    values = settings(scripted_upstream, own_redis.url)
    with serve(tmp_path, "first", values) as (url, proc):
        slow: Future[httpx.Response] = EXEC.submit(chat, url, f"scenario:text latency_ms={SLOW_MS}")
        held: Future[httpx.Response] = EXEC.submit(chat, url, "scenario:benign_and_forbidden")
        streamed: Future[httpx.Response] = EXEC.submit(
            chat, url, "scenario:instance_tool size=t3.large", stream=True
        )
        pending = wait_for(lambda: len(approvals(url)) == 2 and approvals(url), "two approvals")
        assert not (held.done() or streamed.done())  # both are held for an approver

        proc.send_signal(signal.SIGTERM)
        signalled = time.monotonic()

        answer = held.result(timeout=5)
        stream = streamed.result(timeout=5)
        assert time.monotonic() - signalled < 3  # not the 120 s an approval may take
        # no new connection is accepted, while the slow request is still being served
        wait_for(lambda: refused(url), "the listening socket to close", timeout=3)
        assert not slow.done()

        assert answer.status_code == 200
        assert answer.headers["x-airlock-decision"] == "escalate"
        message = answer.json()["choices"][0]["message"]
        assert [c["function"]["arguments"] for c in message["tool_calls"]] == [
            '{"command":"ls -la"}'
        ]
        assert SHUTTING_DOWN in message["content"]
        assert stream.status_code == 200
        assert SHUTTING_DOWN in stream.text and stream.text.endswith("data: [DONE]\n\n")
        assert '"tool_calls"' not in stream.text  # the held call never went out

        done = slow.result(timeout=SLOW_MS / 1000 + GRACE_SECONDS)
        assert done.status_code == 200 and done.json()["choices"][0]["message"]["content"]
        code = proc.wait(timeout=GRACE_SECONDS)
        assert code in (0, -signal.SIGTERM), code

    records = [orjson.loads(line) for line in (tmp_path / "first.jsonl").read_bytes().splitlines()]
    released = [r for r in records if "airlock.approval.shutdown" in r["rules"]]
    assert len(released) == 2 and all(r["enforced"] == "block" for r in released)

    # The approvals outlived the gateway, still pending in Redis.
    client = redis.Redis.from_url(own_redis.url)
    try:
        for approval in pending:
            status = client.hget(f"airlock:approvals:a:{approval['id']}", "status")
            assert status == b"pending", approval["id"]
    finally:
        client.close()

    # A new gateway serves the agent's retry: it joins the same approval, which is then approved.
    with serve(tmp_path, "second", values) as (url, _):
        assert {a["id"] for a in approvals(url)} == {a["id"] for a in pending}
        retry = EXEC.submit(chat, url, "scenario:benign_and_forbidden")
        time.sleep(0.5)  # the retry reaches the approval store and waits on it
        assert not retry.done()
        retried_id = _binding_match(pending, "aws ec2 run-instances --image-id")
        decided = httpx.post(
            f"{url}/approvals/{retried_id}/approve",
            json={"reason": "ok after restart"},
            headers={"authorization": f"Bearer {APPROVER}"},
        )
        assert decided.status_code == 200, decided.text
        answer = retry.result(timeout=10)
        calls = answer.json()["choices"][0]["message"]["tool_calls"]
        assert len(calls) == 2 and "run-instances" in calls[1]["function"]["arguments"]
        assert [a["id"] for a in approvals(url, "approved")] == [retried_id]


def _binding_match(pending: list[dict[str, Any]], command_prefix: str) -> str:
    """The id of the approval for the call whose command starts with `command_prefix` and is
    not the `instance_tool` one (that call's instance type is t3.large)."""
    for approval in pending:
        command = approval["arguments"]["command"]
        if command.startswith(command_prefix) and "t3.large" not in command:
            return str(approval["id"])
    raise AssertionError(f"no pending approval for {command_prefix!r}: {pending}")
