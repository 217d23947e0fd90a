"""`airlock_client` against a real HTTP server that speaks the approver API (a fake we own)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from airlock_client import (
    AirlockClientError,
    ApprovalsClient,
    AsyncApprovalsClient,
    Decoder,
    Event,
    Message,
)

from tests.conftest import free_port
from tests.e2e.fake_gateway import AGENT_KEY, APPROVER_TOKEN, Served


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    # A short keep-alive, so that every stream test also reads (and skips) comments.
    with Served(keepalive_seconds=0.05) as s:
        yield s


@pytest.fixture
def client(served: Served) -> Iterator[ApprovalsClient]:
    with ApprovalsClient(served.url, APPROVER_TOKEN) as c:
        yield c


def create(served: Served, **fields: Any) -> dict[str, Any]:
    r = httpx.post(f"{served.url}/_test/approvals", json=fields, timeout=5)
    r.raise_for_status()
    created: dict[str, Any] = r.json()
    return created


def test_list_is_newest_first_and_filters_by_status(
    served: Served, client: ApprovalsClient
) -> None:
    older = create(served, created=1_000.0, tool_name="older")
    newer = create(served, created=2_000.0, tool_name="newer")
    client.deny(older["id"], "not today")

    ids = [a["id"] for a in client.list()]
    assert ids.index(newer["id"]) < ids.index(older["id"])
    pending = {a["id"] for a in client.list("pending")}
    denied = {a["id"] for a in client.list("denied")}
    assert newer["id"] in pending and older["id"] not in pending
    assert older["id"] in denied and newer["id"] not in denied


def test_an_unknown_status_is_refused_before_any_request(client: ApprovalsClient) -> None:
    with pytest.raises(ValueError, match="status must be one of"):
        client.list("held")  # type: ignore[arg-type]


def test_get_returns_the_whole_approval(served: Served, client: ApprovalsClient) -> None:
    created = create(served, tool_name="http_request", arguments={"url": "https://x.test"})
    got = client.get(created["id"])
    assert got["tool_name"] == "http_request"
    assert got["arguments"] == {"url": "https://x.test"}
    assert got["status"] == "pending"
    assert 0 < got["seconds_left"] <= 300
    assert got["reasons"][0]["category"] == "instance_creation"


def test_unknown_id_raises_404_from_the_envelope(client: ApprovalsClient) -> None:
    with pytest.raises(AirlockClientError) as caught:
        client.get("apr_doesnotexist")
    assert (caught.value.status, caught.value.code) == (404, "not_found")
    assert caught.value.type == "invalid_request_error"
    assert caught.value.message == "no such approval"


def test_an_id_cannot_reach_another_route(served: Served, client: ApprovalsClient) -> None:
    # Unquoted, "../x?status=pending" would leave /approvals/{id}; quoted it is one segment.
    with pytest.raises(AirlockClientError):
        client.get("../x?status=pending")
    assert served.fake.raw_paths[-1] == b"/approvals/..%2Fx%3Fstatus%3Dpending"


def test_approve_records_who_and_why_and_a_second_decision_is_409(
    served: Served, client: ApprovalsClient
) -> None:
    created = create(served)
    approved = client.approve(created["id"], reason="planned capacity test")
    assert approved["status"] == "approved"
    last = approved["history"][-1]
    assert (last["status"], last["by"], last["reason"]) == (
        "approved",
        "alice",
        "planned capacity test",
    )
    received = {"id": created["id"], "action": "approve", "by": "alice"}
    assert {**received, "reason": "planned capacity test"} in served.fake.decisions

    with pytest.raises(AirlockClientError) as caught:
        client.deny(created["id"], "too late")
    assert (caught.value.status, caught.value.code) == (409, "conflict")


def test_deny_needs_a_reason(served: Served, client: ApprovalsClient) -> None:
    created = create(served)
    with pytest.raises(ValueError, match="reason"):
        client.deny(created["id"], "   ")
    assert client.get(created["id"])["status"] == "pending"
    denied = client.deny(created["id"], "no GPUs for CI")
    assert denied["status"] == "denied"
    assert denied["history"][-1]["reason"] == "no GPUs for CI"


def test_a_wrong_token_is_401_and_an_agent_key_is_403(served: Served) -> None:
    with ApprovalsClient(served.url, "not-a-token") as c, pytest.raises(AirlockClientError) as e:
        c.list()
    assert (e.value.status, e.value.code) == (401, "invalid_api_key")
    with ApprovalsClient(served.url, AGENT_KEY) as c, pytest.raises(AirlockClientError) as e:
        c.list()
    assert (e.value.status, e.value.type) == (403, "permission_error")


def test_no_token_is_refused_at_construction(served: Served) -> None:
    with pytest.raises(ValueError, match="token"):
        ApprovalsClient(served.url, "")


def test_the_token_never_shows_in_repr(served: Served, client: ApprovalsClient) -> None:
    assert APPROVER_TOKEN not in repr(client)
    assert served.url in repr(client)


def test_an_unreachable_gateway_is_status_0() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with (
        ApprovalsClient(url, APPROVER_TOKEN, timeout=2) as c,
        pytest.raises(AirlockClientError) as e,
    ):
        c.list()
    assert (e.value.status, e.value.type) == (0, "connection_error")
    assert url in e.value.message


def test_a_non_json_error_keeps_its_status_and_text(served: Served) -> None:
    # The UI's allowlist answers 404 in plain text: a body that is not an envelope.
    with (
        ApprovalsClient(f"{served.url}/ui", APPROVER_TOKEN) as c,
        pytest.raises(AirlockClientError) as e,
    ):
        c.get("x")
    assert (e.value.status, e.value.type, e.value.code) == (404, "http_error", None)


async def next_event(events: AsyncIterator[Event], kind: str, approval_id: str) -> Event:
    async for event in events:
        if event["kind"] == kind and event["approval"]["id"] == approval_id:
            return event
    raise AssertionError(f"the stream ended before {kind} {approval_id}")


async def wait_for_streams(served: Served, count: int) -> None:
    async with httpx.AsyncClient() as http:
        for _ in range(200):
            if (await http.get(f"{served.url}/_test/streams")).json()["open"] >= count:
                return
            await asyncio.sleep(0.02)
    raise AssertionError("the stream did not open")


async def test_stream_yields_created_then_decided_events(
    served: Served, client: ApprovalsClient
) -> None:
    events = client.stream()
    first = asyncio.ensure_future(anext(events))
    await wait_for_streams(served, 1)
    await asyncio.sleep(0.2)  # several keep-alive comments go by first
    created = await asyncio.to_thread(create, served, tool_name="stripe")
    event = await asyncio.wait_for(first, 5)
    assert event["kind"] == "created"
    assert event["approval"]["id"] == created["id"]
    assert event["approval"]["tool_name"] == "stripe"

    await asyncio.to_thread(client.approve, created["id"], "ok")
    approved = await asyncio.wait_for(next_event(events, "approved", created["id"]), 5)
    assert approved["approval"]["history"][-1]["by"] == "alice"
    await events.aclose()  # type: ignore[attr-defined]


async def test_stream_ends_when_the_gateway_closes_it(served: Served) -> None:
    async with AsyncApprovalsClient(served.url, APPROVER_TOKEN) as client:
        events = client.stream()
        pending = asyncio.ensure_future(anext(events))
        await wait_for_streams(served, 1)
        httpx.post(f"{served.url}/_test/drop-streams", timeout=5).raise_for_status()
        with pytest.raises(StopAsyncIteration):
            await asyncio.wait_for(pending, 5)


async def test_stream_refusal_raises_from_the_envelope(served: Served) -> None:
    async with AsyncApprovalsClient(served.url, AGENT_KEY) as client:
        with pytest.raises(AirlockClientError) as caught:
            await anext(client.stream())
    assert (caught.value.status, caught.value.code) == (403, "forbidden")


async def test_a_silent_stream_is_given_up(served: Served) -> None:
    served.fake.keepalive_seconds = 5  # quieter than the idle timeout below
    try:
        async with AsyncApprovalsClient(served.url, APPROVER_TOKEN) as client:
            events = client.stream(idle_timeout=0.3)
            with pytest.raises(AirlockClientError) as caught:
                async for _ in events:
                    pass
        assert (caught.value.status, caught.value.type) == (0, "timeout")
    finally:
        served.fake.keepalive_seconds = 0.05


async def test_async_client_lists_and_decides(served: Served) -> None:
    created = await asyncio.to_thread(create, served)
    async with AsyncApprovalsClient(served.url, APPROVER_TOKEN) as client:
        assert created["id"] in {a["id"] for a in await client.list("pending")}
        assert (await client.get(created["id"]))["status"] == "pending"
        denied = await client.deny(created["id"], "no")
        assert denied["status"] == "denied"
        with pytest.raises(AirlockClientError) as caught:
            await client.approve(created["id"])
        assert caught.value.status == 409


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["data: {}", ""], [Message("{}")]),
        ([": keepalive", "", "data: x", ""], [Message("x")]),
        (["data: a", "data: b", ""], [Message("a\nb")]),
        (["data:nospace", ""], [Message("nospace")]),
        (["event: created", "id: 7", "data: y", ""], [Message("y", "created", "7")]),
        (["retry: 100", "", "", "data: z", ""], [Message("z")]),
        (["data: unfinished"], []),
    ],
)
def test_sse_decoder(lines: list[str], expected: list[Message]) -> None:
    decoder = Decoder()
    got = [m for m in (decoder.feed(line) for line in lines) if m is not None]
    assert got == expected
