"""StreamGuard under random upstream streams: well-formed, odd, malformed and garbage chunks.

Every tool-call argument fragment carries a unique marker (`MARK0000042`). Whatever arrives,
the guard raises nothing but UpstreamError, forwards no marker before the stream has ended,
emits at the end only the markers of calls it allowed, and records every call it decided.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.errors import UpstreamError
from gateway.firewall.stream import StreamGuard
from tests.unit.firewall.fakes import context, firewall

MARK = re.compile(rb"MARK\d{7}")
FUZZ = settings(
    max_examples=400,
    deadline=None,  # a loaded 2-core machine; the time bound is asserted below
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Scalars and small containers that are wrong wherever they appear; they never hold a marker.
junk = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.floats(-1, 1) | st.text("ab-{", max_size=3),
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text("ab", max_size=2), inner),
    max_leaves=4,
)
marker = st.integers(0, 9_999_999).map(lambda n: f"MARK{n:07d}")
fragment = st.one_of(
    marker,
    marker.map(lambda m: f'{{"command": "echo {m}"}}'),
    marker.map(lambda m: {"command": m}),  # arguments as an object, not text
    st.just(""),
    junk,
)
names = st.sampled_from(["deny_launch", "ask_pay", "read_file", "", "deny_"])
function = st.one_of(
    st.fixed_dictionaries({}, optional={"name": names | junk, "arguments": fragment}),
    junk,
)
index = st.one_of(st.integers(0, 3), st.integers(-2, -1), st.booleans(), st.text("0", max_size=1))
part = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "index": index,
            "id": st.sampled_from(["call_a", "call_b", ""]) | junk,
            "type": st.sampled_from(["function", "custom"]),
            "function": function,
        },
    ),
    junk,
)
delta = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "role": st.just("assistant"),
            "content": st.none() | st.text('xyz \n\\"\x00', max_size=8),
            "tool_calls": st.lists(part, max_size=3) | part,
            "function_call": function,
        },
    ),
    junk,
)
choice = st.fixed_dictionaries(
    {},
    optional={
        "index": st.integers(0, 2) | junk,
        "delta": delta,
        "finish_reason": st.sampled_from(["stop", "tool_calls", "function_call", "length"]) | junk,
        "logprobs": st.none(),
    },
)
chunk = st.fixed_dictionaries(
    {"id": st.just("chatcmpl-1") | junk, "object": st.just("chat.completion.chunk")},
    optional={
        "choices": st.lists(choice, max_size=3) | junk,
        "usage": st.none() | st.just({"total_tokens": 3}) | junk,
    },
)
nested = st.integers(250, 1100).map(
    lambda d: b'{"choices":[{"delta":' + b"[" * d + b"]" * d + b"}]}"
)
payload = st.one_of(
    chunk.map(orjson.dumps),
    chunk.map(orjson.dumps),  # weighted: most payloads are chunks
    chunk.map(lambda c: orjson.dumps(c)[: len(orjson.dumps(c)) // 2]),  # cut short
    junk.map(orjson.dumps),
    st.binary(max_size=16),
    nested,
)


async def play(payloads: list[bytes]) -> tuple[list[bytes], list[bytes], StreamGuard, int]:
    fw, _, audit = firewall()
    guard = StreamGuard(fw, context(stream=True))
    early: list[bytes] = []
    try:
        for p in payloads:
            out = guard.feed(p)
            if out is not None:
                early.append(out)
    except UpstreamError:
        guard.abort("the provider's stream broke")
        return early, [], guard, len(audit.records)
    tail = await guard.finish()
    return early, tail, guard, len(audit.records)


@FUZZ
@given(st.lists(payload, max_size=12))
def test_random_streams_never_leak_a_held_call(payloads: list[bytes]) -> None:
    early, tail, guard, recorded = asyncio.run(play(payloads))
    assert not MARK.findall(b"".join(early)), "a call fragment went out before its decision"
    allowed = set()
    for verdict in guard.verdicts:
        if verdict.allowed:
            allowed.update(MARK.findall(verdict.call.arguments.encode()))
    assert set(MARK.findall(b"".join(tail))) <= allowed
    assert recorded == len(guard.verdicts)  # every decided (or refused) call is recorded
    for out in early + tail:
        orjson.loads(out)  # whatever the guard writes is JSON


@FUZZ
@given(st.lists(payload, max_size=12))
def test_on_deny_error_turns_a_blocked_call_into_one_error(payloads: list[bytes]) -> None:
    async def run() -> tuple[list[bytes], StreamGuard]:
        fw, _, _ = firewall()
        guard = StreamGuard(fw, context(stream=True))
        try:
            for p in payloads:
                guard.feed(p)
        except UpstreamError:
            return [], guard
        return await guard.finish(as_error=True), guard

    tail, guard = asyncio.run(run())
    if any(not v.allowed for v in guard.verdicts):
        [event] = tail
        assert orjson.loads(event)["error"]["type"] == "tool_call_denied"
        assert not MARK.search(event)


@settings(FUZZ, max_examples=60)
@given(st.lists(st.sampled_from(["deny_x", "read_file"]), min_size=1, max_size=3), marker)
def test_calls_spread_over_many_choices_are_all_held(names: list[str], mark: str) -> None:
    # One chunk carries a call for every choice: each must be held, not only the first.
    def part(name: str) -> dict[str, Any]:
        return {"index": 0, "id": f"call_{name}", "function": {"name": name, "arguments": mark}}

    choices = [{"index": i, "delta": {"tool_calls": [part(name)]}} for i, name in enumerate(names)]
    done = [{"index": i, "delta": {}, "finish_reason": "tool_calls"} for i in range(len(names))]
    stream = [orjson.dumps({"id": "c", "choices": choices}), orjson.dumps({"choices": done})]
    early, tail, _, _ = asyncio.run(play(stream))
    assert not MARK.findall(b"".join(early))
    emitted = [
        c["delta"]["tool_calls"][0]["id"]
        for t in tail
        for c in orjson.loads(t)["choices"]
        if c["delta"].get("tool_calls")
    ]
    assert emitted == [f"call_{n}" for n in names if n == "read_file"]
