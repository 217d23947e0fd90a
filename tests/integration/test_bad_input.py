"""Bad input through the real gateway: a clear error, the gateway keeps serving, nothing lost.

test_errors.py covers the basics (401, 413, malformed JSON, missing fields, unknown model,
upstream statuses, broken streams). This module adds what an attacker or a broken provider
sends beyond that: deep nesting, invalid UTF-8, a wrong type in every field the gateway reads,
and provider answers whose tool calls are odd, huge, deep, NUL-laden or malformed. Odd answers
come from the transcripts in tests/fixtures/transcripts/malformed/ (their own scripted
upstream); bytes no transcript can express come from a raw replay server in this module.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import orjson
import pytest

from tests.conftest import free_port, stop, wait_for_http
from tests.fixtures.plugin import UPSTREAM
from tests.fixtures.scenarios import TRANSCRIPTS
from tests.integration.harness import AGENT_KEY, Gateway, config, running_gateway

METERED_KEY = "metered-agent-key-for-tests-0123456789"
# The policy holds an agent after a few denials (quarantine): tests that expect a call to be
# allowed use an agent that is denied at most twice.
CLEAN_KEY = "clean-agent-key-for-tests-0123456789"
UNLUCKY_KEY = "unlucky-agent-key-for-tests-0123456789"  # its provider misbehaves
JSON = {"content-type": "application/json"}
FORBIDDEN = "cat ~/.aws/credentials"  # denied by the shipped policy (credential_use)
HUGE = 5 * 1024 * 1024
MALFORMED = TRANSCRIPTS / "malformed"


def _completion(message: dict[str, Any], finish: str = "tool_calls") -> dict[str, Any]:
    choice = {"index": 0, "message": {"role": "assistant", "content": None, **message}}
    return {
        "id": "chatcmpl-raw",
        "object": "chat.completion",
        "created": 1754000000,
        "model": "gpt-4o",
        "choices": [{**choice, "finish_reason": finish}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
    }


def _call(arguments: str, call_id: str = "call_raw_0") -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": "bash", "arguments": arguments}}


def _chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return {"id": "chatcmpl-raw", "object": "chat.completion.chunk", "model": "gpt-4o",
            "created": 1754000000, "choices": [choice]}  # fmt: skip


def _sse(events: list[bytes]) -> bytes:
    return b"".join(b"data: " + e + b"\n\n" for e in [*events, b"[DONE]"])


def _streamed_call(arguments: str, piece: int = 64 * 1024) -> list[bytes]:
    head = {"index": 0, "id": "call_raw_0", "type": "function"}
    events = [_chunk({"role": "assistant", "tool_calls": [{**head, "function": {"name": "bash"}}]})]
    for start in range(0, len(arguments), piece):
        part = {"index": 0, "function": {"arguments": arguments[start : start + piece]}}
        events.append(_chunk({"tool_calls": [part]}))
    return [orjson.dumps(e) for e in events] + [orjson.dumps(_chunk({}, "tool_calls"))]


def _nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def raw_answers() -> dict[str, tuple[bytes, bytes]]:
    """Scenario → (plain answer, SSE stream), as bytes a transcript cannot express."""
    answers: dict[str, tuple[bytes, bytes]] = {}
    padding = "A" * HUGE
    for name, command in (
        ("huge_head", f"{FORBIDDEN}; echo {padding}"),
        ("huge_tail", f"echo {padding}; {FORBIDDEN}"),
    ):
        arguments = orjson.dumps({"command": command}).decode()
        plain = orjson.dumps(_completion({"tool_calls": [_call(arguments)]}))
        answers[name] = (plain, _sse(_streamed_call(arguments)))
    # A key spelled with a JSON escape is still `tool_calls` to every JSON parser.
    arguments = orjson.dumps({"command": FORBIDDEN}).decode()
    escape = (b'"tool_calls"', b'"tool\\u005fcalls"')
    plain = orjson.dumps(_completion({"tool_calls": [_call(arguments)]})).replace(*escape)
    events = [e.replace(*escape) for e in _streamed_call(arguments, piece=8)]
    answers["escaped_key"] = (plain, _sse(events))
    # Nested deeper than orjson writes (254), where the answer must be passed on: readable,
    # but impossible to write back.
    arguments = orjson.dumps({"command": "ls"}).decode()
    plain = orjson.dumps(_completion({"tool_calls": [_call(arguments)]}))
    plain = plain[:-1] + b',"system_fingerprint":' + _nested(300) + b"}"
    events = _streamed_call(arguments, piece=4)
    chunk = orjson.loads(events[1])
    chunk["choices"][0]["logprobs"] = "DEEP"  # kept with the choice, so it must be written
    events[1] = orjson.dumps(chunk).replace(b'"DEEP"', _nested(300))
    answers["too_deep_answer"] = (plain, _sse(events))
    return answers


def _handler(answers: dict[str, tuple[bytes, bytes]]) -> type[BaseHTTPRequestHandler]:
    class Replay(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = orjson.loads(self.rfile.read(int(self.headers["content-length"])))
            stream = body.get("stream") is True
            name = body["messages"][-1]["content"].removeprefix("scenario:")
            plain, events = answers[name]
            data = events if stream else plain
            self.send_response(200)
            self.send_header("content-type", "text/event-stream" if stream else "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_: Any) -> None:
            return None

    return Replay


@pytest.fixture(scope="module")
def raw_upstream() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(raw_answers()))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="module")
def odd_upstream() -> Iterator[str]:
    """The scripted upstream serving tests/fixtures/transcripts/malformed/."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(UPSTREAM), "--port", str(port), "--transcripts", str(MALFORMED)],
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/health", proc)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        stop(proc)


def _model(name: str, upstream: str) -> dict[str, Any]:
    params = {"model": "openai/gpt-4o", "api_base": upstream, "api_key": "sk-test-0123456789"}
    return {"model_name": name, "litellm_params": params}


@pytest.fixture(scope="module")
def gateway(
    scripted_upstream: str,
    odd_upstream: str,
    raw_upstream: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Gateway]:
    settings = config(scripted_upstream, server={"upstream_timeout_seconds": 2})
    settings["model_list"] += [_model("gpt-odd", odd_upstream), _model("gpt-raw", raw_upstream)]
    # Room for two reservations only: a reservation that is not given back shows as a 429.
    limits = {"tokens_per_minute": 2500}
    settings["keys"].append({"key": METERED_KEY, "agent": "metered-agent", "limits": limits})
    settings["keys"].append({"key": CLEAN_KEY, "agent": "clean-agent"})
    settings["keys"].append({"key": UNLUCKY_KEY, "agent": "unlucky-agent"})
    with running_gateway(tmp_path_factory.mktemp("bad-input"), settings) as gw:
        yield gw


def chat(scenario: str, model: str = "gpt-test", **extra: Any) -> dict[str, Any]:
    messages = [{"role": "user", "content": f"scenario:{scenario}"}]
    return {"model": model, "messages": messages, **extra}


def post(
    gw: Gateway, body: Any = None, *, content: bytes | None = None, key: str = AGENT_KEY
) -> httpx.Response:
    headers = {"authorization": f"Bearer {key}", **JSON}
    if body is not None:
        content = orjson.dumps(body)
    return httpx.post(
        gw.base_url + "/chat/completions", content=content, headers=headers, timeout=60
    )


def envelope(r: httpx.Response, status: int, param: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text[:500]
    error: dict[str, Any] = r.json()["error"]
    assert set(error) == {"message", "type", "code", "param"} and error["message"]
    assert error["param"] == param
    return error


def records(gw: Gateway, r: httpx.Response) -> list[dict[str, Any]]:
    """The audit records of the request that `r` answered."""
    request_id = r.headers["x-airlock-request-id"]
    return [rec for rec in gw.audit() if rec["request_id"] == request_id]


def events(r: httpx.Response) -> list[dict[str, Any]]:
    assert r.status_code == 200, r.text[:500]
    lines = [line[6:] for line in r.text.split("\n") if line.startswith("data: ")]
    assert lines[-1] == "[DONE]"
    return [orjson.loads(line) for line in lines[:-1]]


def streamed_calls(payloads: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        part
        for p in payloads
        for c in p.get("choices", [])
        for part in (c.get("delta") or {}).get("tool_calls") or []
    ]


def streamed_text(payloads: list[dict[str, Any]]) -> str:
    return "".join(
        (c.get("delta") or {}).get("content") or "" for p in payloads for c in p.get("choices", [])
    )


def answer(r: httpx.Response) -> tuple[list[Any], str]:
    """(tool calls, text) of a plain answer's choices."""
    assert r.status_code == 200, r.text[:500]
    messages = [c["message"] or {} for c in r.json()["choices"]]
    calls = [call for m in messages for call in m.get("tool_calls") or []]
    return calls, "".join(m.get("content") or "" for m in messages)


Received = tuple[list[Any], str, list[dict[str, Any]]]


def received(
    gw: Gateway, scenario: str, stream: bool, model: str, key: str = AGENT_KEY
) -> Received:
    """What the agent got, streamed or plain: (tool calls, text, audit records)."""
    r = post(gw, chat(scenario, model, stream=stream), key=key)
    if stream:
        payloads = events(r)
        return streamed_calls(payloads), streamed_text(payloads), records(gw, r)
    return (*answer(r), records(gw, r))


@pytest.mark.parametrize("depth", [255, 300, 1023, 1100, 100_000])
def test_deep_nesting_is_400_naming_the_limit(gateway: Gateway, depth: int) -> None:
    content = b'{"model":"gpt-test","messages":[{"role":"user","content":' + _nested(depth) + b"}]}"
    error = envelope(post(gateway, content=content), 400)
    assert error["message"] == "The request body nests deeper than 254 levels."


def test_nesting_the_gateway_can_forward_is_accepted(gateway: Gateway) -> None:
    body = chat("text", metadata={"deep": orjson.loads(_nested(200))})
    assert post(gateway, body).status_code == 200


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (b"\xff", "invalid start byte"),
        (b"\xc0\xaf", "invalid start byte"),  # an overlong encoding of "/"
        (b"\xed\xa0\x80", "invalid continuation byte"),  # a UTF-16 surrogate
        (b"\xe2\x82", "invalid continuation byte"),  # cut mid-character
    ],
)
def test_invalid_utf8_is_400_naming_the_byte(gateway: Gateway, bad: bytes, reason: str) -> None:
    head = b'{"model":"gpt-test","messages":[{"role":"user","content":"scenario:text '
    error = envelope(post(gateway, content=head + bad + b'"}]}'), 400)
    assert error["message"] == f"The request body is not valid UTF-8: {reason} at byte {len(head)}."


WRONG_TYPES = [
    ({"model": 7}, "model"),
    ({"model": ["gpt-test"]}, "model"),
    ({"messages": {"role": "user"}}, "messages"),
    ({"messages": [{"role": "user", "content": "x"}, "hello"]}, "messages[1]"),
    ({"messages": [{"role": "user", "content": "x"}, {"content": "no role"}]}, "messages[1].role"),
    ({"messages": [{"role": ["user"], "content": "x"}]}, "messages[0].role"),
    ({"stream": 1}, "stream"),
    ({"stream": "false"}, "stream"),
    ({"stream_options": "usage"}, "stream_options"),
    ({"stream_options": {"include_usage": "yes"}}, "stream_options.include_usage"),
    ({"tools": {"type": "function"}}, "tools"),
    ({"tools": [{"type": "function", "function": {"name": "f"}}, "bash"]}, "tools[1]"),
    ({"functions": "bash"}, "functions"),
    ({"functions": [3]}, "functions[0]"),
    ({"tool_choice": 1}, "tool_choice"),
    ({"tool_choice": ["auto"]}, "tool_choice"),
    ({"n": "2"}, "n"),
    ({"n": 2.5}, "n"),
    ({"max_tokens": "100"}, "max_tokens"),
    ({"max_tokens": True}, "max_tokens"),
    ({"max_completion_tokens": 1.5}, "max_completion_tokens"),
]


@pytest.mark.parametrize(("fields", "param"), WRONG_TYPES, ids=[p for _, p in WRONG_TYPES])
def test_wrong_types_are_400_naming_the_field(
    gateway: Gateway, fields: dict[str, Any], param: str
) -> None:
    error = envelope(post(gateway, {**chat("text"), **fields}), 400, param)
    assert f"'{param}'" in error["message"]


def test_optional_fields_may_be_null_or_well_typed(gateway: Gateway) -> None:
    body = chat(
        "text",
        stream=None,
        stream_options=None,
        tools=[{"type": "function", "function": {"name": "bash", "parameters": {}}}],
        functions=None,
        tool_choice={"type": "function", "function": {"name": "bash"}},
        n=1,
        max_tokens=64,
        max_completion_tokens=None,
    )
    assert post(gateway, body).status_code == 200


@pytest.mark.parametrize("stream", [False, True])
def test_call_without_id_is_decided(gateway: Gateway, stream: bool) -> None:
    calls, _, decided = received(gateway, "call_without_id", stream, "gpt-odd", CLEAN_KEY)
    [call] = calls  # allowed, and passed on as the provider sent it: without an id
    assert not call.get("id") and call["function"]["arguments"] == '{"command":"ls -la /tmp"}'
    [record] = decided
    assert (record["tool_call_id"], record["decision"], record["enforced"]) == (
        "",
        "allow",
        "allow",
    )


@pytest.mark.parametrize("stream", [False, True])
def test_call_without_name_is_decided_on_its_arguments(gateway: Gateway, stream: bool) -> None:
    calls, text, decided = received(gateway, "call_without_name", stream, "gpt-odd")
    assert calls == [] and "was blocked" in text
    [record] = decided
    assert (record["tool_name"], record["decision"]) == ("", "deny")
    assert any(".aws/credentials" in p["path"] for p in record["facts"]["paths"])


@pytest.mark.parametrize("stream", [False, True])
def test_arguments_object_is_decided_on_its_json_text(gateway: Gateway, stream: bool) -> None:
    calls, text, decided = received(gateway, "arguments_object", stream, "gpt-odd")
    assert calls == [] and "was blocked" in text
    [record] = decided
    recorded = record["arguments"]  # the text, or the value parsed from it
    assert (orjson.loads(recorded) if isinstance(recorded, str) else recorded) == {
        "command": FORBIDDEN
    }
    assert record["arguments_error"] is None and record["decision"] == "deny"
    assert any(".aws/credentials" in p["path"] for p in record["facts"]["paths"])


@pytest.mark.parametrize("stream", [False, True])
def test_arguments_number_is_an_arguments_error(gateway: Gateway, stream: bool) -> None:
    calls, _, decided = received(gateway, "arguments_number", stream, "gpt-odd")
    assert calls == []
    [record] = decided
    assert "number" in record["arguments_error"] and record["decision"] == "deny"
    assert "airlock.input.arguments" in record["rules"]


@pytest.mark.parametrize("stream", [False, True])
def test_truncated_arguments_are_decided_on_what_was_recovered(
    gateway: Gateway, stream: bool
) -> None:
    calls, _, [record] = received(gateway, "broken_arguments", stream, "gpt-test")
    assert calls == [] and "not valid JSON" in record["arguments_error"]
    assert "airlock.input.arguments" in record["rules"]
    assert [c["program"] for c in record["facts"]["commands"]] == ["aws"]  # `aws ec2 run-inst`


@pytest.mark.parametrize("stream", [False, True])
def test_nul_in_arguments_is_read_around_and_denied(gateway: Gateway, stream: bool) -> None:
    calls, _, decided = received(gateway, "nul_arguments", stream, "gpt-odd")
    assert calls == []
    [record] = decided
    assert "NUL" in record["arguments_error"] and record["decision"] == "deny"
    assert "airlock.input.arguments" in record["rules"]
    # The NUL is dropped before analysis, so the path it split is still read.
    assert any(".aws/credentials" in p["path"] for p in record["facts"]["paths"])


@pytest.mark.parametrize("stream", [False, True])
def test_deeply_nested_arguments_are_decided(gateway: Gateway, stream: bool) -> None:
    calls, _, decided = received(gateway, "deep_arguments", stream, "gpt-odd")
    assert calls == []
    shallow, deep = decided
    assert "deeper than" in shallow["arguments_error"]  # parsed, then cut at the depth limit
    assert "not valid JSON" in deep["arguments_error"]  # past the JSON parser's own limit
    for record in (shallow, deep):
        assert record["decision"] == "deny" and "airlock.input.arguments" in record["rules"]
        assert any(".aws/credentials" in p["path"] for p in record["facts"]["paths"])


@pytest.mark.parametrize("scenario", ["tool_calls_not_array", "custom_tool"])
@pytest.mark.parametrize("stream", [False, True])
def test_unreadable_calls_are_refused_and_recorded(
    gateway: Gateway, scenario: str, stream: bool
) -> None:
    calls, text, decided = received(gateway, scenario, stream, "gpt-odd")
    assert calls == [] and "was blocked" in text
    [record] = decided
    assert record["rules"] == ["airlock.malformed_answer"] and record["enforced"] == "block"


@pytest.mark.parametrize("stream", [False, True])
def test_more_calls_than_the_limit_are_all_refused(gateway: Gateway, stream: bool) -> None:
    # 129 benign calls: one answer may not buy unbounded policy work, so none is decided
    calls, text, decided = received(gateway, "too_many_calls", stream, "gpt-odd")
    assert calls == [] and "more than 128 tool calls" in text
    assert len(decided) == (128 if stream else 129)  # a stream stops holding at the limit
    assert {r["decision"] for r in decided} == {"deny"}
    assert {tuple(r["rules"]) for r in decided} == {("airlock.malformed_answer",)}


def test_answer_without_choices_is_an_error(gateway: Gateway) -> None:
    r = post(gateway, chat("choices_missing", "gpt-odd"))
    assert envelope(r, 502)["code"] == "upstream_error"


def test_stream_without_choices_passes_nothing_to_decide(gateway: Gateway) -> None:
    payloads = events(post(gateway, chat("choices_missing", "gpt-odd", stream=True)))
    assert streamed_calls(payloads) == []  # and it ended with [DONE]


@pytest.mark.parametrize("stream", [False, True])
def test_null_message_has_nothing_to_decide(gateway: Gateway, stream: bool) -> None:
    r = post(gateway, chat("message_null", "gpt-odd", stream=stream))
    assert r.status_code == 200
    if stream:
        assert streamed_calls(events(r)) == []
    else:
        assert r.headers["x-airlock-decision"] == "none"
        assert r.json()["choices"][0]["message"] is None


@pytest.mark.parametrize("stream", [False, True])
def test_every_choice_is_held_and_decided(gateway: Gateway, stream: bool) -> None:
    calls, text, decided = received(gateway, "two_choices", stream, "gpt-odd", CLEAN_KEY)
    assert [c["id"] for c in calls] == ["call_M4lf0rm3dCh01ce0000000"]
    assert "credentials" not in orjson.dumps(calls).decode() and "was blocked" in text
    benign, forbidden = decided
    assert (benign["enforced"], forbidden["enforced"]) == ("allow", "block")


@pytest.mark.parametrize("stream", [False, True])
def test_huge_arguments_are_decided_on_what_is_read(gateway: Gateway, stream: bool) -> None:
    calls, text, decided = received(gateway, "huge_head", stream, "gpt-raw")
    assert calls == [] and "was blocked" in text
    [record] = decided
    assert record["decision"] == "deny" and record["arguments_error"] is None
    assert "truncated_input" in record["facts"]["obfuscation"]
    assert any(".aws/credentials" in p["path"] for p in record["facts"]["paths"])


@pytest.mark.parametrize("stream", [False, True])
def test_a_key_written_with_escapes_is_still_a_tool_call(gateway: Gateway, stream: bool) -> None:
    calls, text, decided = received(gateway, "escaped_key", stream, "gpt-raw")
    assert calls == [] and "was blocked" in text
    [record] = decided
    assert record["decision"] == "deny"


def test_a_command_hidden_past_the_read_limit_is_not_allowed(gateway: Gateway) -> None:
    # Only the first 256 KiB are read: what hides beyond is unseen, so the call is held.
    calls, _, [record] = received(gateway, "huge_tail", False, "gpt-raw")
    assert calls == [] and record["enforced"] == "block"
    assert "truncated_input" in record["facts"]["obfuscation"]
    assert "airlock.obfuscation.incomplete_facts" in record["rules"]


def test_answer_nested_too_deep_is_an_error(gateway: Gateway) -> None:
    r = post(gateway, chat("too_deep_answer", "gpt-raw"))
    assert "nests deeper" in envelope(r, 502)["message"]


def test_stream_nested_too_deep_fails_closed(gateway: Gateway) -> None:
    r = post(gateway, chat("too_deep_answer", "gpt-raw", stream=True))
    payloads = events(r)
    assert streamed_calls(payloads) == [] and payloads[-1]["error"]["code"] == "upstream_error"
    [record] = records(gateway, r)
    assert record["rules"] == ["airlock.malformed_answer"]


BROKEN_STREAMS = ["stream_no_done", "stream_missing_index", "stream_cut_midway",
                  "stream_hang_midway", "upstream_invalid_json"]  # fmt: skip


@pytest.mark.parametrize("scenario", BROKEN_STREAMS)
def test_broken_stream_records_every_held_call_as_refused(gateway: Gateway, scenario: str) -> None:
    r = post(gateway, chat(scenario, stream=True))
    payloads = events(r)
    assert streamed_calls(payloads) == []
    assert "error" in payloads[-1] or "was blocked" in streamed_text(payloads)
    held = records(gateway, r)
    assert held, "every held call is recorded"
    for record in held:
        assert record["enforced"] == "block" and record["rules"] == ["airlock.malformed_answer"]


@pytest.mark.parametrize("scenario", BROKEN_STREAMS[:4])
def test_plain_answer_of_a_stream_fault_is_decided_whole(gateway: Gateway, scenario: str) -> None:
    r = post(gateway, chat(scenario))
    calls, _ = answer(r)
    decided = records(gateway, r)
    assert decided and len(calls) == sum(rec["enforced"] == "allow" for rec in decided)
    assert all("aws ec2" not in c["function"]["arguments"] for c in calls)
    assert all(rec["rules"] != ["airlock.malformed_answer"] for rec in decided)


def test_failed_answers_give_their_reservation_back(gateway: Gateway) -> None:
    body = chat("upstream_invalid_json", max_tokens=1000)
    for _ in range(4):  # a kept reservation (~1000 tokens each) would refuse the third
        envelope(post(gateway, body, key=METERED_KEY), 502)
    assert post(gateway, chat("text"), key=METERED_KEY).status_code == 200


def test_refusals_for_the_provider_s_faults_do_not_quarantine_the_agent(gateway: Gateway) -> None:
    # 129 calls refused whole, then broken streams: over 130 refusals, none the agent's doing.
    received(gateway, "too_many_calls", False, "gpt-odd", UNLUCKY_KEY)
    for _ in range(3):
        assert streamed_calls(events(post(gateway, chat("stream_cut_midway", stream=True),
                                          key=UNLUCKY_KEY))) == []  # fmt: skip
    calls, _, decided = received(gateway, "one_tool_call", False, "gpt-test", UNLUCKY_KEY)
    assert len(calls) == 1 and [r["decision"] for r in decided] == ["allow"]
    # What the policy denies does count: three of those and the agent is held.
    for _ in range(3):
        received(gateway, "forbidden_only", False, "gpt-test", UNLUCKY_KEY)
    calls, _, decided = received(gateway, "one_tool_call", False, "gpt-test", UNLUCKY_KEY)
    [held] = decided
    assert calls == [] and held["decision"] == "escalate"
    assert held["rules"] == ["airlock.quarantine.recent_denials", "airlock.approval.pending"]


def test_gateway_still_serves_and_never_crashed(gateway: Gateway) -> None:
    calls, text = answer(post(gateway, chat("text")))
    assert calls == [] and text
    log = gateway.log()
    assert "Traceback" not in log and "unexpected error" not in log
    assert "RecursionError" not in log
