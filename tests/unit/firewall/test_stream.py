from __future__ import annotations

from typing import Any

import orjson
import pytest

from gateway.errors import UpstreamError
from gateway.firewall.enforce import MAX_CALLS_PER_ANSWER, TOO_MANY_CALLS
from gateway.firewall.stream import StreamGuard
from tests.unit.firewall.fakes import context, firewall

ENVELOPE = {"id": "chatcmpl-9", "object": "chat.completion.chunk", "created": 1, "model": "m"}


def chunk(delta: dict[str, Any] | None = None, finish: str | None = None, **extra: Any) -> bytes:
    choice = {"index": 0, "delta": delta or {}, "finish_reason": finish}
    return orjson.dumps({**ENVELOPE, "choices": [choice], **extra})


def tool_delta(
    index: int, *, id: str | None = None, name: str | None = None, args: str = ""
) -> bytes:
    function: dict[str, str] = {"arguments": args}
    part: dict[str, Any] = {"index": index, "function": function}
    if id:
        part |= {"id": id, "type": "function"}
        function["name"] = name or ""
    return chunk({"tool_calls": [part]})


STREAM = [
    chunk({"role": "assistant", "content": ""}),
    chunk({"content": "Let me check."}),
    tool_delta(0, id="call_a", name="read_file"),
    tool_delta(1, id="call_b", name="deny_launch"),
    tool_delta(0, args='{"path": '),
    tool_delta(1, args='{"size": "xl"}'),
    tool_delta(0, args='"notes.txt"}'),
    chunk({}, "tool_calls"),
    orjson.dumps({**ENVELOPE, "choices": [], "usage": {"total_tokens": 9}}),
]


async def run(stream: list[bytes], **options: bool) -> tuple[list[bytes], list[dict[str, Any]]]:
    fw, _, _ = firewall(**options)
    guard = StreamGuard(fw, context(stream=True))
    early = [out for payload in stream if (out := guard.feed(payload)) is not None]
    tail = await guard.finish()
    return early, [orjson.loads(t) for t in tail]


async def test_text_passes_at_once_and_calls_are_held() -> None:
    early, _ = await run(STREAM)
    assert early == STREAM[:2]  # the text chunks, byte for byte; nothing of any call


async def test_allowed_call_emitted_whole_blocked_call_never() -> None:
    early, tail = await run(STREAM)
    everything = b"".join(early) + orjson.dumps(tail)
    assert b"call_b" not in everything.replace(b"`deny_launch` (call_b) was blocked", b"")
    assert b"size" not in everything  # not a byte of the blocked call's arguments
    calls = [c["choices"][0]["delta"]["tool_calls"][0] for c in tail[:1]]
    assert calls == [
        {
            "index": 0,
            "id": "call_a",
            "type": "function",
            "function": {"name": "read_file", "arguments": '{"path": "notes.txt"}'},
        }
    ]
    assert "was blocked" in tail[1]["choices"][0]["delta"]["content"]
    assert tail[2]["choices"][0]["finish_reason"] == "tool_calls"
    assert tail[3]["usage"] == {"total_tokens": 9}  # order kept: finish, then usage
    assert all(t["id"] == "chatcmpl-9" for t in tail)


async def test_finish_becomes_stop_when_no_call_is_left() -> None:
    stream = [tool_delta(0, id="call_b", name="deny_x", args="{}"), chunk({}, "tool_calls")]
    _, tail = await run(stream)
    assert tail[-1]["choices"][0]["finish_reason"] == "stop"
    assert "tool_calls" not in orjson.dumps(tail[:-1]).decode()


async def test_monitor_mode_emits_every_call() -> None:
    _, tail = await run(STREAM, monitor=True)
    names = [t["choices"][0]["delta"]["tool_calls"][0]["function"]["name"] for t in tail[:2]]
    assert names == ["read_file", "deny_launch"]


async def test_missing_index_fails_closed() -> None:
    broken = chunk(
        {"tool_calls": [{"id": "c", "function": {"name": "read_file", "arguments": "{}"}}]}
    )
    _, tail = await run([broken, chunk({}, "tool_calls")])
    assert "tool_calls" not in orjson.dumps(tail).decode().replace(
        '"finish_reason":"tool_calls"', ""
    )
    assert "without an index" in tail[0]["choices"][0]["delta"]["content"]


async def test_on_deny_error_turns_tail_into_error_event() -> None:
    fw, _, _ = firewall()
    guard = StreamGuard(fw, context(stream=True))
    for payload in STREAM:
        guard.feed(payload)
    [event] = await guard.finish(as_error=True)
    assert orjson.loads(event)["error"]["type"] == "tool_call_denied"


@pytest.mark.parametrize("payload", [b"not json", b"[1, 2]"])
def test_garbage_chunk_raises_upstream_error(payload: bytes) -> None:
    fw, _, _ = firewall()
    with pytest.raises(UpstreamError):
        StreamGuard(fw, context(stream=True)).feed(payload)


async def test_abort_records_held_calls_as_refused() -> None:
    fw, _, audit = firewall()
    guard = StreamGuard(fw, context(stream=True))
    guard.feed(tool_delta(0, id="call_a", name="read_file", args="{}"))
    guard.abort("the provider's stream broke")
    assert [r.enforced for r in audit.records] == ["block"]


async def test_more_calls_than_the_limit_are_refused_and_not_kept() -> None:
    fw, _, audit = firewall()
    guard = StreamGuard(fw, context(stream=True))
    for i in range(MAX_CALLS_PER_ANSWER + 50):
        assert guard.feed(tool_delta(i, id=f"call_{i}", name="read_file", args="{}")) is None
    guard.feed(chunk({}, "tool_calls"))
    tail = b"".join(await guard.finish())
    assert b'"tool_calls"' not in tail.replace(b'"finish_reason":"tool_calls"', b"")
    assert TOO_MANY_CALLS.encode() in tail
    assert len(guard.verdicts) == MAX_CALLS_PER_ANSWER  # the calls beyond were never held
    assert not any(v.allowed for v in guard.verdicts)
    assert {r.rules[0] for r in audit.records} == {"airlock.malformed_answer"}
