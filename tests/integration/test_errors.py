"""Every error status the gateway answers, each with OpenAI's envelope, through real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest

from tests.integration.harness import AGENT_KEY, Gateway, config, running_gateway

AUTH = {"authorization": f"Bearer {AGENT_KEY}"}


@pytest.fixture(scope="module")
def gateway(scripted_upstream: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    settings = config(
        scripted_upstream,
        server={"max_body_bytes": 64 * 1024, "upstream_timeout_seconds": 1.5},
    )
    with running_gateway(tmp_path_factory.mktemp("errors"), settings) as gw:
        yield gw


def chat(scenario: str, **extra: Any) -> dict[str, Any]:
    return {
        "model": "gpt-test",
        "messages": [{"role": "user", "content": f"scenario:{scenario}"}],
        **extra,
    }


def post(
    gw: Gateway,
    body: Any = None,
    *,
    content: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    return httpx.post(
        gw.base_url + "/chat/completions",
        json=body,
        content=content,
        headers=AUTH if headers is None else headers,
        timeout=30,
    )


def assert_envelope(
    r: httpx.Response, status: int, kind: str, code: str | None = None, param: str | None = None
) -> dict[str, Any]:
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert set(error) == {"message", "type", "code", "param"}
    assert error["type"] == kind and error["message"]
    if code:
        assert error["code"] == code
    assert error["param"] == param
    return dict(error)


@pytest.mark.parametrize(
    "headers", [{}, {"authorization": "Bearer wrong-key"}, {"authorization": "Basic abc"}]
)
def test_missing_or_bad_key_is_401(gateway: Gateway, headers: dict[str, str]) -> None:
    r = post(gateway, chat("text"), headers=headers)
    assert_envelope(r, 401, "invalid_request_error", "invalid_api_key")
    assert "wrong-key" not in r.text


def test_models_needs_a_key(gateway: Gateway) -> None:
    assert_envelope(httpx.get(gateway.base_url + "/models"), 401, "invalid_request_error")


@pytest.mark.parametrize(
    "content", [b"{not json", b"", b"[1,2]", b"\xff\xfe{}", b"[" * 5000 + b"]" * 5000]
)
def test_malformed_json_is_400(gateway: Gateway, content: bytes) -> None:
    headers = {**AUTH, "content-type": "application/json"}
    assert_envelope(post(gateway, content=content, headers=headers), 400, "invalid_request_error")


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"messages": [{"role": "user", "content": "x"}]}, "model"),
        ({"model": "gpt-test"}, "messages"),
        (chat("text", stream="yes"), "stream"),
        (chat("text", api_base="http://127.0.0.1:1/v1"), "api_base"),
    ],
)
def test_schema_errors_are_400_naming_the_field(
    gateway: Gateway, body: dict[str, Any], param: str
) -> None:
    assert_envelope(post(gateway, body), 400, "invalid_request_error", param=param)


def test_unknown_model_is_404(gateway: Gateway) -> None:
    r = post(gateway, {**chat("text"), "model": "gpt-nonexistent"})
    assert_envelope(r, 404, "invalid_request_error", "model_not_found", "model")


def test_oversized_body_is_413(gateway: Gateway) -> None:
    body = chat("text", padding="x" * (65 * 1024))
    assert_envelope(post(gateway, body), 413, "invalid_request_error", "request_too_large")


def test_oversized_chunked_body_is_413(gateway: Gateway) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"model": "gpt-test", "messages": [{"role": "user", "content": "'
        for _ in range(100):
            yield b"x" * 1024
        yield b'"}]}'

    r = httpx.post(gateway.base_url + "/chat/completions", content=chunks(), headers=AUTH)
    assert_envelope(r, 413, "invalid_request_error", "request_too_large")


FAILURES = [
    ("upstream_500", 502, "upstream_error"),
    ("upstream_invalid_json", 502, "upstream_error"),
    ("upstream_401", 502, "upstream_error"),
    ("upstream_429", 429, "upstream_rate_limited"),
    ("upstream_hang", 504, "upstream_timeout"),
]


@pytest.mark.parametrize(
    ("scenario", "status", "code", "stream"),
    # Streamed, invalid JSON arrives after the first chunk: see test_broken_streams_fail_closed.
    [(*f, False) for f in FAILURES]
    + [(*f, True) for f in FAILURES if f[0] != "upstream_invalid_json"],
)
def test_upstream_failures(
    gateway: Gateway, scenario: str, status: int, code: str, stream: bool
) -> None:
    r = post(gateway, chat(scenario, stream=stream))
    error = assert_envelope(
        r, status, "rate_limit_exceeded" if status == 429 else "upstream_error", code
    )
    assert "sk-" not in error["message"]  # a provider's words about its key never pass on


def sse_payloads(r: httpx.Response) -> list[Any]:
    lines = [line[6:] for line in r.text.split("\n") if line.startswith("data: ")]
    assert lines[-1] == "[DONE]"
    return [orjson.loads(line) for line in lines[:-1]]


@pytest.mark.parametrize(
    "scenario", ["stream_no_done", "stream_cut_midway", "stream_missing_index"]
)
def test_broken_streams_fail_closed(gateway: Gateway, scenario: str) -> None:
    r = post(gateway, chat(scenario, stream=True))
    assert r.status_code == 200
    payloads = sse_payloads(r)
    calls = [
        p
        for p in payloads
        if "choices" in p
        for c in p["choices"]
        if c.get("delta", {}).get("tool_calls")
    ]
    assert calls == []  # never a half-decided call
    text = orjson.dumps(payloads).decode()
    assert "error" in text or "blocked" in text


def test_stream_hang_midway_times_out_closed(gateway: Gateway) -> None:
    r = post(gateway, chat("stream_hang_midway", stream=True))
    payloads = sse_payloads(r)
    assert payloads[-1]["error"]["code"] == "upstream_error"
    assert not any(
        c.get("delta", {}).get("tool_calls") for p in payloads for c in p.get("choices", [])
    )


def test_gateway_keeps_serving_after_errors(gateway: Gateway) -> None:
    post(gateway, content=b"{bad", headers={**AUTH, "content-type": "application/json"})
    r = post(gateway, chat("text"))
    assert r.status_code == 200 and r.json()["choices"][0]["message"]["content"]
