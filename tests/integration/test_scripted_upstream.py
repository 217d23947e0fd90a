"""The scripted upstream, exercised with the real OpenAI SDK (and raw HTTP for the faults)."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import openai
import pytest
from openai import AsyncOpenAI
from openai.types.chat import ChatCompletionChunk, ChatCompletionUserMessageParam

from tests.fixtures.plugin import clear_recorded_requests, recorded_requests
from tests.fixtures.scenarios import load_all

SCENARIOS = load_all()
# every scenario whose streamed and plain answers are both complete
REPLAYABLE = sorted(
    name
    for name, s in SCENARIOS.items()
    if s.completion is not None
    and not s.options.invalid_json
    and s.options.hang_after is None
    and s.options.cut_after is None
)


def user(text: str) -> list[Any]:
    return [
        {"role": "system", "content": "You are a coding agent."},
        {"role": "user", "content": text},
    ]


@pytest.fixture
async def client(scripted_upstream: str) -> AsyncIterator[AsyncOpenAI]:
    async with AsyncOpenAI(
        base_url=scripted_upstream, api_key="sk-test", max_retries=0, timeout=10
    ) as c:
        yield c


async def collect(client: AsyncOpenAI, text: str, **kwargs: Any) -> list[ChatCompletionChunk]:
    stream = await client.chat.completions.create(
        model="gpt-4o", messages=user(text), stream=True, **kwargs
    )
    return [chunk async for chunk in stream]


def reassemble(chunks: list[ChatCompletionChunk]) -> dict[str, Any]:
    """Content and tool calls as a client builds them: calls keyed by index, else by id."""
    content: list[str] = []
    calls: dict[Any, dict[str, Any]] = {}
    last: Any = None
    finish = None
    for chunk in chunks:
        for choice in chunk.choices:
            finish = choice.finish_reason or finish
            content.append(choice.delta.content or "")
            for d in choice.delta.tool_calls or []:
                key = d.index if d.index is not None else (d.id or last)
                last = key
                call = calls.setdefault(key, {"id": None, "name": "", "arguments": ""})
                call["id"] = call["id"] or d.id
                if d.function is not None:
                    call["name"] += d.function.name or ""
                    call["arguments"] += d.function.arguments or ""
    return {"content": "".join(content) or None, "calls": list(calls.values()), "finish": finish}


async def test_plain_text_answer_echoes_model_and_has_usage(client: AsyncOpenAI) -> None:
    answer = await client.chat.completions.create(model="my-model", messages=user("scenario:text"))
    assert answer.model == "my-model"
    assert answer.choices[0].message.content.startswith("Hello!")  # type: ignore[union-attr]
    assert answer.choices[0].finish_reason == "stop"
    assert answer.id.startswith("chatcmpl-") and answer.system_fingerprint
    assert answer.usage is not None and answer.usage.total_tokens == 28


async def test_stream_reassembles_two_interleaved_tool_calls(client: AsyncOpenAI) -> None:
    chunks = await collect(client, "scenario:benign_and_forbidden")
    indexes = [d.index for c in chunks for ch in c.choices for d in ch.delta.tool_calls or []]
    assert indexes != sorted(indexes), "the two calls' deltas should interleave"
    got = reassemble(chunks)
    assert got["finish"] == "tool_calls"
    assert [json.loads(c["arguments"])["command"] for c in got["calls"]] == [
        "ls -la",
        "aws ec2 run-instances --image-id ami-0abcdef1234567890 --instance-type t2.micro --count 1",
    ]
    assert all(c["id"].startswith("call_") and c["name"] == "bash" for c in got["calls"])
    assert all(c.usage is None for c in chunks)


async def test_include_usage_adds_a_final_usage_chunk(client: AsyncOpenAI) -> None:
    chunks = await collect(client, "scenario:one_tool_call", stream_options={"include_usage": True})
    *body, last = chunks
    assert last.choices == [] and last.usage is not None
    assert last.usage.prompt_tokens == 142 and last.usage.total_tokens == 163
    assert all(c.usage is None and c.choices for c in body)
    assert {c.id for c in chunks} == {last.id}


async def test_unknown_scenario_is_a_bad_request(client: AsyncOpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        await client.chat.completions.create(model="gpt-4o", messages=user("scenario:nope"))
    assert caught.value.code == "unknown_scenario"
    assert "one_tool_call" in caught.value.message


async def test_missing_directive_is_a_bad_request(client: AsyncOpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        await client.chat.completions.create(model="gpt-4o", messages=user("hi there"))
    assert caught.value.code == "missing_scenario"


@pytest.mark.parametrize("stream", [False, True])
async def test_values_substitute_into_arguments(client: AsyncOpenAI, stream: bool) -> None:
    async def command(text: str) -> str:
        if stream:
            arguments = reassemble(await collect(client, text))["calls"][0]["arguments"]
        else:
            answer = await client.chat.completions.create(model="gpt-4o", messages=user(text))
            arguments = answer.choices[0].message.tool_calls[0].function.arguments  # type: ignore[index,union-attr]
        return str(json.loads(arguments)["command"])

    assert await command("scenario:one_tool_call nonce=123") == "ls -la /tmp/123"
    assert await command("scenario:one_tool_call") == "ls -la /tmp/scratch"
    assert await command('scenario:one_tool_call nonce=a"b\\c') == 'ls -la /tmp/a"b\\c'


async def test_values_substitute_into_content_and_text_parts(client: AsyncOpenAI) -> None:
    message: ChatCompletionUserMessageParam = {
        "role": "user",
        "content": [{"type": "text", "text": 'scenario:echo say=x"y\\z'}],
    }
    answer = await client.chat.completions.create(model="gpt-4o", messages=[message])
    assert answer.choices[0].message.content == 'You said: x"y\\z'


async def test_payment_tool_is_structured(client: AsyncOpenAI) -> None:
    answer = await client.chat.completions.create(
        model="gpt-4o", messages=user("scenario:payment_tool recipient=acct_42")
    )
    call = answer.choices[0].message.tool_calls[0]  # type: ignore[index]
    assert call.function.name == "send_money"  # type: ignore[union-attr]
    assert json.loads(call.function.arguments) == {"recipient": "acct_42", "amount": 100}  # type: ignore[union-attr]


@pytest.mark.parametrize("name", REPLAYABLE)
async def test_stream_and_plain_answers_agree(client: AsyncOpenAI, name: str) -> None:
    text = f"scenario:{name} delay_ms=0"
    plain = await client.chat.completions.create(model="gpt-4o", messages=user(text))
    got = reassemble(await collect(client, text))
    message = plain.choices[0].message
    assert got["content"] == message.content
    assert got["finish"] == plain.choices[0].finish_reason
    expected = [
        {"id": c.id, "name": c.function.name, "arguments": c.function.arguments}  # type: ignore[union-attr]
        for c in message.tool_calls or []
    ]
    assert got["calls"] == expected


async def test_broken_arguments_stay_broken(client: AsyncOpenAI) -> None:
    answer = await client.chat.completions.create(
        model="gpt-4o", messages=user("scenario:broken_arguments")
    )
    arguments = answer.choices[0].message.tool_calls[0].function.arguments  # type: ignore[index,union-attr]
    assert arguments == '{"command": "aws ec2 run-inst'
    with pytest.raises(json.JSONDecodeError):
        json.loads(arguments)


async def test_slow_stream_delivers_text_before_the_end(client: AsyncOpenAI) -> None:
    stream = await client.chat.completions.create(
        model="gpt-4o", messages=user("scenario:text_stream_slow"), stream=True
    )
    start = time.monotonic()
    arrivals = [
        (time.monotonic() - start, c.choices[0].delta.content or "")
        async for c in stream
        if c.choices
    ]
    first_text = next(t for t, text in arrivals if text)
    assert arrivals[-1][0] - first_text >= 0.8  # five text chunks, 200 ms apart
    assert "".join(text for _, text in arrivals) == "The quick brown fox jumps over the lazy dog."


async def test_models_are_listed(client: AsyncOpenAI) -> None:
    models = [m.id async for m in client.models.list()]
    assert "gpt-4o" in models and "bench" in models


async def test_requests_are_recorded_with_authorization(
    scripted_upstream: str, client: AsyncOpenAI
) -> None:
    clear_recorded_requests(scripted_upstream)
    await client.chat.completions.create(
        model="gpt-4o", messages=user("scenario:text"), extra_headers={"x-trace": "t1"}
    )
    [entry] = recorded_requests(scripted_upstream)
    assert entry["authorization"] == "Bearer sk-test"
    assert entry["headers"]["x-trace"] == "t1"
    assert entry["path"] == "/v1/chat/completions"
    assert entry["body"]["messages"][-1]["content"] == "scenario:text"
    clear_recorded_requests(scripted_upstream)
    assert recorded_requests(scripted_upstream) == []


# Faults, seen on the wire.


def post(base: str, text: str, stream: bool = False, timeout: float = 5) -> httpx.Response:
    body = {"model": "gpt-4o", "messages": user(text), "stream": stream}
    return httpx.post(f"{base}/chat/completions", json=body, timeout=timeout)


def sse_data(raw: str) -> list[str]:
    return [line.removeprefix("data: ") for line in raw.split("\n\n") if line.startswith("data: ")]


async def test_status_faults_use_openai_errors(client: AsyncOpenAI) -> None:
    with pytest.raises(openai.InternalServerError) as crashed:
        await client.chat.completions.create(model="gpt-4o", messages=user("scenario:upstream_500"))
    assert crashed.value.status_code == 500
    with pytest.raises(openai.RateLimitError) as limited:
        await client.chat.completions.create(
            model="gpt-4o", messages=user("scenario:upstream_429"), stream=True
        )
    assert limited.value.response.headers["retry-after"] == "1"


async def test_hang_never_answers(client: AsyncOpenAI) -> None:
    with pytest.raises(openai.APITimeoutError):
        await client.chat.completions.create(
            model="gpt-4o", messages=user("scenario:upstream_hang"), timeout=0.5
        )


def test_invalid_json_fault(scripted_upstream: str) -> None:
    plain = post(scripted_upstream, "scenario:upstream_invalid_json")
    assert plain.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(plain.text)
    events = sse_data(post(scripted_upstream, "scenario:upstream_invalid_json", stream=True).text)
    broken = [e for e in events if e != "[DONE]" and not _parses(e)]
    assert len(broken) == 1 and events[-1] == "[DONE]"


def _parses(text: str) -> bool:
    try:
        json.loads(text)
    except json.JSONDecodeError:
        return False
    return True


def test_stream_without_done(scripted_upstream: str) -> None:
    events = sse_data(post(scripted_upstream, "scenario:stream_no_done", stream=True).text)
    assert "[DONE]" not in events
    assert json.loads(events[-1])["choices"][0]["finish_reason"] == "tool_calls"


def test_stream_without_index(scripted_upstream: str) -> None:
    events = sse_data(post(scripted_upstream, "scenario:stream_missing_index", stream=True).text)
    chunks = [json.loads(e) for e in events if e != "[DONE]"]
    deltas = [d for c in chunks for d in c["choices"][0]["delta"].get("tool_calls", [])]
    assert deltas and all("index" not in d for d in deltas)
    assert len({d["id"] for d in deltas if "id" in d}) == 2


def test_stream_cut_midway_breaks_the_body(scripted_upstream: str) -> None:
    with pytest.raises(httpx.RemoteProtocolError):
        post(scripted_upstream, "scenario:stream_cut_midway", stream=True)


def test_stream_hang_midway_stalls_after_some_chunks(scripted_upstream: str) -> None:
    seen: list[str] = []
    body = {"model": "gpt-4o", "messages": user("scenario:stream_hang_midway"), "stream": True}
    with (
        pytest.raises(httpx.ReadTimeout),
        httpx.stream("POST", f"{scripted_upstream}/chat/completions", json=body, timeout=0.5) as r,
    ):
        seen.extend(line for line in r.iter_lines() if line.startswith("data: "))
    assert len(seen) == 8


def test_pipelined_requests_are_answered_in_order(scripted_upstream: str) -> None:
    host, port = scripted_upstream.removeprefix("http://").removesuffix("/v1").split(":")
    slow = json.dumps({"model": "m", "messages": user("scenario:text latency_ms=150")}).encode()
    requests = (
        b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
        b"content-length: %d\r\n\r\n%s"
        % (len(slow), slow)
        + b"GET /health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"
    )
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(requests)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    first, second = received.index(b"chat.completion"), received.index(b'{"status":"ok"}')
    assert received.count(b"HTTP/1.1 200 OK") == 2 and first < second
