"""`WebhookNotifier` against a real (small) HTTP receiver on a local port."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import orjson
import pytest

from gateway.approvals import Approval, binding
from gateway.approvals.notify import WebhookNotifier
from gateway.models import Reason
from tests.conftest import free_port

SECRET = "whsec-test-0123456789"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Receiver:
    """Answers each POST with the next scripted status (then 200); may hang instead."""

    statuses: list[int] = field(default_factory=list)
    hang: bool = False
    received: list[Received] = field(default_factory=list)
    port: int = 0
    release: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        self.received.append(Received(lines[0].split()[1], headers, body, time.monotonic()))
        if self.hang:
            await self.release.wait()
        status = self.statuses.pop(0) if self.statuses else 200
        writer.write(
            f"HTTP/1.1 {status} X\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok".encode()
        )
        await writer.drain()
        writer.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/T000/B000"


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    receiver = Receiver()
    server = await asyncio.start_server(receiver.handle, "127.0.0.1", 0)
    receiver.port = server.sockets[0].getsockname()[1]
    yield receiver
    receiver.release.set()
    server.close()
    await server.wait_closed()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def escalation(message: str = "aws ec2 run-instances would create a compute instance") -> Approval:
    arguments = {"command": "aws ec2 run-instances --image-id ami-1", "token": "[MASKED]"}
    return Approval(
        id="apr_0123456789abcdef",
        binding=binding("build-bot", "bash", arguments),
        agent="build-bot",
        team="platform",
        request_id="req_1",
        model="gpt-4o",
        tool_name="bash",
        arguments=arguments,
        facts={},
        reasons=[
            Reason("airlock.instance_creation.cloud_cli", "instance_creation", message),
            Reason("airlock.other", "other", "second reason"),
        ],
        excerpt=[],
        created=1_800_000_000.5,
        expires=1_800_000_300.5,
    )


async def test_payload_is_signed_over_the_exact_body(
    receiver: Receiver, client: httpx.AsyncClient
) -> None:
    notifier = WebhookNotifier(client, receiver.url, SECRET)
    notifier.notify(escalation())
    await notifier.aclose()
    [got] = receiver.received
    assert got.path == "/hooks/T000/B000"
    assert got.headers["content-type"] == "application/json"
    want = hmac.new(SECRET.encode(), got.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(got.headers["x-airlock-signature"], f"sha256={want}")
    data = orjson.loads(got.body)
    assert data["timestamp"] == int(got.headers["x-airlock-timestamp"])
    assert abs(data["timestamp"] - time.time()) < 5
    text = data["text"]
    assert "\n" not in text
    for part in ("build-bot", "bash", "would create a compute instance", "apr_0123456789abcdef"):
        assert part in text
    assert "/ui#apr_0123456789abcdef" in text and "second reason" not in text
    assert data["approval"] == {
        "id": "apr_0123456789abcdef",
        "agent": "build-bot",
        "team": "platform",
        "model": "gpt-4o",
        "tool_name": "bash",
        "arguments": {"command": "aws ec2 run-instances --image-id ami-1", "token": "[MASKED]"},
        "reasons": [
            {
                "rule": "airlock.instance_creation.cloud_cli",
                "category": "instance_creation",
                "message": "aws ec2 run-instances would create a compute instance",
            },
            {"rule": "airlock.other", "category": "other", "message": "second reason"},
        ],
        "created": 1_800_000_000.5,
        "expires": 1_800_000_300.5,
        "link": "/ui#apr_0123456789abcdef",
    }


async def test_a_tampered_body_fails_the_signature(
    receiver: Receiver, client: httpx.AsyncClient
) -> None:
    notifier = WebhookNotifier(client, receiver.url, SECRET)
    notifier.notify(escalation())
    await notifier.aclose()
    [got] = receiver.received
    tampered = got.body.replace(b"build-bot", b"other-bot")
    want = hmac.new(SECRET.encode(), tampered, hashlib.sha256).hexdigest()
    assert got.headers["x-airlock-signature"] != f"sha256={want}"


async def test_agent_text_cannot_format_the_message(
    receiver: Receiver, client: httpx.AsyncClient
) -> None:
    notifier = WebhookNotifier(client, receiver.url, SECRET, public_url="https://airlock.example/")
    notifier.notify(escalation("curl <https://evil.example|click here> <!channel>\nsecond line"))
    await notifier.aclose()
    text = orjson.loads(receiver.received[0].body)["text"]
    assert "<" not in text and ">" not in text and "\n" not in text
    assert "&lt;!channel&gt;" in text
    assert "https://airlock.example/ui#apr_0123456789abcdef" in text


async def test_retried_with_backoff_after_server_errors(
    receiver: Receiver, client: httpx.AsyncClient
) -> None:
    receiver.statuses = [500, 503]
    notifier = WebhookNotifier(client, receiver.url, SECRET, first_delay=0.05)
    notifier.notify(escalation())
    await notifier.aclose()
    assert len(receiver.received) == 3
    assert len({(r.body, r.headers["x-airlock-signature"]) for r in receiver.received}) == 1
    gaps = [b.at - a.at for a, b in zip(receiver.received, receiver.received[1:], strict=False)]
    assert gaps[0] >= 0.05 and gaps[1] >= 0.1


async def test_a_client_error_is_not_retried(
    receiver: Receiver, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    receiver.statuses = [400]
    notifier = WebhookNotifier(client, receiver.url, SECRET, first_delay=0.01)
    with caplog.at_level(logging.WARNING, "airlock.approvals"):
        notifier.notify(escalation())
        await notifier.aclose()
    assert len(receiver.received) == 1
    assert "HTTP 400" in caplog.text and "after 1 tries" in caplog.text


async def test_a_dead_webhook_never_raises_or_blocks(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"http://127.0.0.1:{free_port()}/services/T1/B1/tokenpart-XYZ?key=hook-key-456"
    notifier = WebhookNotifier(client, url, SECRET, first_delay=0.01)
    with caplog.at_level(logging.WARNING, "airlock.approvals"):
        start = time.monotonic()
        notifier.notify(escalation())
        assert time.monotonic() - start < 0.05
        await notifier.aclose()
    assert "ConnectError" in caplog.text and "after 4 tries" in caplog.text
    assert "apr_0123456789abcdef" in caplog.text
    for secret in ("tokenpart-XYZ", "hook-key-456", SECRET):
        assert secret not in caplog.text


async def test_without_a_secret_nothing_is_signed(
    receiver: Receiver, client: httpx.AsyncClient
) -> None:
    notifier = WebhookNotifier(client, receiver.url, None)
    notifier.notify(escalation())
    await notifier.aclose()
    [got] = receiver.received
    assert "x-airlock-signature" not in got.headers
    assert orjson.loads(got.body)["approval"]["id"] == "apr_0123456789abcdef"


async def test_closing_abandons_a_hanging_webhook(
    receiver: Receiver, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    receiver.hang = True
    notifier = WebhookNotifier(client, receiver.url, SECRET)
    with caplog.at_level(logging.WARNING, "airlock.approvals"):
        notifier.notify(escalation())
        start = time.monotonic()
        await notifier.aclose(grace=0.2)
    assert time.monotonic() - start < 1
    assert "abandoned" in caplog.text
