"""The gateway as agents meet it: real processes, real HTTP, the openai SDK as the client."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from tests.fixtures.plugin import clear_recorded_requests, recorded_requests
from tests.integration.harness import AGENT_KEY, PROVIDER_KEY, Gateway, config, running_gateway


@pytest.fixture(scope="module")
def gateway(scripted_upstream: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    with running_gateway(tmp_path_factory.mktemp("gw"), config(scripted_upstream)) as gw:
        yield gw


def client(gw: Gateway) -> openai.OpenAI:
    return gw.sdk()


def ask(gw: Gateway, scenario: str, **kwargs: object) -> openai.types.chat.ChatCompletion:
    return client(gw).chat.completions.create(
        model="gpt-test", messages=[{"role": "user", "content": f"scenario:{scenario}"}], **kwargs
    )


def test_benign_call_arrives_intact(gateway: Gateway) -> None:
    raw = client(gateway).chat.completions.with_raw_response.create(
        model="gpt-test", messages=[{"role": "user", "content": "scenario:one_tool_call nonce=n42"}]
    )
    answer = raw.parse()
    [call] = answer.choices[0].message.tool_calls or []
    assert call.function.name == "bash"
    assert json.loads(call.function.arguments) == {"command": "ls -la /tmp/n42"}
    assert answer.choices[0].finish_reason == "tool_calls"
    assert raw.headers["x-airlock-decision"] == "allow"
    assert raw.headers["x-airlock-request-id"].startswith("req_")


def test_forbidden_call_removed_benign_kept(gateway: Gateway) -> None:
    answer = ask(gateway, "benign_and_forbidden")
    message = answer.choices[0].message
    assert [json.loads(c.function.arguments)["command"] for c in message.tool_calls or []] == [
        "ls -la"
    ]
    assert "run-instances" not in (message.tool_calls or [])[0].function.arguments
    assert "was blocked" in (message.content or "")
    assert "airlock.instance_creation" in (message.content or "")
    assert answer.choices[0].finish_reason == "tool_calls"


def test_only_call_forbidden_finishes_with_stop(gateway: Gateway) -> None:
    answer = ask(gateway, "forbidden_only")
    assert not answer.choices[0].message.tool_calls
    assert answer.choices[0].finish_reason == "stop"
    assert "airlock.credential_use" in (answer.choices[0].message.content or "")


def test_text_answer_passes_without_policy_work(gateway: Gateway) -> None:
    raw = client(gateway).chat.completions.with_raw_response.create(
        model="gpt-test", messages=[{"role": "user", "content": "scenario:text"}]
    )
    assert raw.headers["x-airlock-decision"] == "none"
    assert raw.parse().choices[0].message.content


def test_broken_arguments_are_decided_not_skipped(gateway: Gateway) -> None:
    before = len(gateway.audit())
    answer = ask(gateway, "broken_arguments")
    assert not answer.choices[0].message.tool_calls  # truncated aws ec2 run-inst… is blocked
    record = gateway.audit()[before]
    assert record["arguments_error"]


def test_provider_key_goes_upstream_never_agent_key(
    gateway: Gateway, scripted_upstream: str
) -> None:
    clear_recorded_requests(scripted_upstream)
    ask(gateway, "text")
    [seen] = recorded_requests(scripted_upstream)
    assert seen["authorization"] == f"Bearer {PROVIDER_KEY}"
    assert AGENT_KEY not in json.dumps(seen)
    assert seen["body"]["model"] == "gpt-4o"  # the provider's name for the model


def test_stream_text_arrives_early_and_blocked_bytes_never(gateway: Gateway) -> None:
    body = {
        "model": "gpt-test",
        "stream": True,
        "messages": [{"role": "user", "content": "scenario:text_and_tool_stream"}],
    }
    headers = {"authorization": f"Bearer {AGENT_KEY}"}
    started = time.monotonic()
    first_text_at = None
    received = b""
    with httpx.stream(
        "POST", gateway.base_url + "/chat/completions", json=body, headers=headers, timeout=30
    ) as response:
        assert response.status_code == 200
        for raw in response.iter_raw():
            if first_text_at is None and b'"content":"' in raw:
                first_text_at = time.monotonic() - started
            received += raw
    total = time.monotonic() - started
    assert first_text_at is not None and first_text_at < total / 2
    assert received.endswith(b"data: [DONE]\n\n")
    payloads = [
        json.loads(line[6:]) for line in received.decode().split("\n") if line.startswith("data: {")
    ]
    arguments = "".join(
        part["function"].get("arguments", "")
        for p in payloads
        for c in p["choices"]
        for part in c["delta"].get("tool_calls", [])
    )
    assert arguments == '{"command":"ls -la"}'  # the allowed call, whole
    assert b"--image-id" not in received  # not a byte of the blocked call's arguments


def test_stream_through_sdk_reassembles_allowed_calls(gateway: Gateway) -> None:
    stream = client(gateway).chat.completions.create(
        model="gpt-test",
        stream=True,
        messages=[{"role": "user", "content": "scenario:text_and_tool_stream"}],
    )
    text, calls, finish = "", {}, None
    for chunk in stream:
        for choice in chunk.choices:
            text += choice.delta.content or ""
            for part in choice.delta.tool_calls or []:
                entry = calls.setdefault(part.index, {"name": "", "arguments": ""})
                entry["name"] += part.function.name or "" if part.function else ""
                entry["arguments"] += part.function.arguments or "" if part.function else ""
            finish = choice.finish_reason or finish
    assert [json.loads(c["arguments"])["command"] for c in calls.values()] == ["ls -la"]
    assert "was blocked" in text
    assert finish == "tool_calls"


@pytest.mark.parametrize("on_deny", ["error"])
def test_on_deny_error_is_403(scripted_upstream: str, tmp_path: Path, on_deny: str) -> None:
    settings = config(scripted_upstream, policy={"on_deny": on_deny})
    with running_gateway(tmp_path, settings) as gw:
        with pytest.raises(openai.PermissionDeniedError) as caught:
            ask(gw, "forbidden_only")
        error = caught.value.body
        assert isinstance(error, dict) and error["type"] == "tool_call_denied"
        assert caught.value.response.headers["x-airlock-decision"] == "deny"


def test_monitor_mode_passes_everything_and_records(scripted_upstream: str, tmp_path: Path) -> None:
    with running_gateway(tmp_path, config(scripted_upstream, policy={"mode": "monitor"})) as gw:
        answer = ask(gw, "benign_and_forbidden")
        assert len(answer.choices[0].message.tool_calls or []) == 2
        records = gw.audit()
        assert [r["enforced"] for r in records] == ["allow", "allow"]
        assert [r["decision"] for r in records] == ["allow", "escalate"]
        assert all(r["mode"] == "monitor" for r in records)
        assert "MONITOR MODE" in gw.log()


def test_opa_engine_through_the_gateway(
    scripted_upstream: str, opa_server: str, tmp_path: Path
) -> None:
    settings = config(scripted_upstream, policy={"engine": "opa", "opa_url": opa_server})
    with running_gateway(tmp_path, settings) as gw:
        answer = ask(gw, "benign_and_forbidden")
        assert len(answer.choices[0].message.tool_calls or []) == 1
        assert {r["engine"] for r in gw.audit()} == {"opa"}


def test_models_and_health(gateway: Gateway) -> None:
    assert [m.id for m in client(gateway).models.list()] == ["gpt-test"]
    assert httpx.get(gateway.url + "/healthz").json() == {"status": "ok"}
    ready = httpx.get(gateway.url + "/readyz").json()
    assert ready["status"] == "ready" and ready["engine"] == "embedded"


def test_audit_records_hold_what_was_decided(gateway: Gateway) -> None:
    before = len(gateway.audit())
    ask(gateway, "benign_and_forbidden")
    records = gateway.audit()[before:]
    assert [r["decision"] for r in records] == ["allow", "escalate"]
    for record in records:
        assert record["engine"] == "embedded" and record["policy_revision"]
        assert record["request_id"].startswith("req_") and record["agent"] == "test-agent"
        assert record["latency_ms"] >= 0 and "commands" in record["facts"]
