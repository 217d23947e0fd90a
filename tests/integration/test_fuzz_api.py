"""The HTTP API fuzzed from its own OpenAPI schema (schemathesis), against a real gateway.

Every operation in `/openapi.json` gets schema-conforming and schema-violating requests,
each with the credential its route expects. Whatever arrives: no 500, every error is OpenAI's
envelope, and the gateway still serves afterwards. A second pass pins `model` and the
conversation to scripted scenarios so that fuzzed options (stream, stream_options, tools, n,
max_tokens, …) reach the provider and the firewall instead of stopping at "unknown model".

Bounded and deterministic: derandomized hypothesis, no example database, a few dozen examples
per operation; the module takes well under a minute.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.generation.modes import GenerationMode

from gateway.app import create_app
from gateway.config import Settings
from tests.integration.harness import AGENT_KEY, Gateway, config, running_gateway

ADMIN_TOKEN = "admin-token-for-fuzzing-0123456789"
APPROVER_TOKEN = "approver-token-for-fuzzing-0123456789"
SCENARIOS = ["text", "one_tool_call", "benign_and_forbidden", "broken_arguments", "echo"]
# /approvals/stream is a live event stream that never ends on its own: not fuzzable this way.
ENDLESS = "/approvals/stream"
FUZZ = settings(
    max_examples=40,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module")
def gateway(scripted_upstream: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    settings = config(scripted_upstream, server={"upstream_timeout_seconds": 5})
    settings["admin_token"] = ADMIN_TOKEN
    settings["approvers"] = [{"name": "fuzzer", "token": APPROVER_TOKEN}]
    with running_gateway(tmp_path_factory.mktemp("fuzz-api"), settings) as gw:
        yield gw


@pytest.fixture(scope="module")
def published(gateway: Gateway) -> dict[str, Any]:
    r = httpx.get(gateway.url + "/openapi.json", timeout=10)
    r.raise_for_status()
    document: dict[str, Any] = r.json()
    return document


@pytest.fixture(scope="module")
def api_schema(published: dict[str, Any]) -> Any:
    return schemathesis.openapi.from_dict(published).exclude(path=ENDLESS)


@pytest.fixture(scope="module")
def chat_schema(published: dict[str, Any]) -> Any:
    """The published schema with `model` and the messages pinned to scripted scenarios."""
    document = copy.deepcopy(published)
    body = document["paths"]["/v1/chat/completions"]["post"]["requestBody"]
    schema = body["content"]["application/json"]["schema"]
    user = {
        "type": "object",
        "required": ["role", "content"],
        "properties": {
            "role": {"const": "user"},
            "content": {"enum": [f"scenario:{s}" for s in SCENARIOS]},
        },
    }
    schema["properties"]["model"] = {"const": "gpt-test"}
    schema["properties"]["stream"] = {"type": "boolean"}
    schema["required"] = [*schema["required"], "stream"]  # half the cases stream
    schema["properties"]["messages"] = {
        "type": "array",
        "items": user,
        "minItems": 1,
        "maxItems": 2,
    }
    return schemathesis.openapi.from_dict(document)


def test_chat_route_publishes_the_fields_the_gateway_checks(published: dict[str, Any]) -> None:
    body = published["paths"]["/v1/chat/completions"]["post"]["requestBody"]
    schema = body["content"]["application/json"]["schema"]
    assert schema["required"] == ["model", "messages"]
    assert {"model", "messages", "stream", "stream_options", "tools", "n"} <= set(
        schema["properties"]
    )
    assert "/chat/completions" not in published["paths"]  # the alias stays undocumented


def credential(path: str) -> dict[str, str]:
    if path.startswith("/admin"):
        token = ADMIN_TOKEN
    elif path.startswith("/approvals"):
        token = APPROVER_TOKEN
    else:
        token = AGENT_KEY
    return {"authorization": f"Bearer {token}"}


def check(case: Any, gateway: Gateway) -> int:
    """Send one case; assert the answer is no 500 and any error is an envelope. Its status."""
    response = case.call(base_url=gateway.url, headers=credential(case.path), timeout=30)
    status = response.status_code
    where = f"{case.method} {case.path} -> {status}: {response.text[:300]}"
    assert status != 500, where
    if status >= 400 and not (case.path == "/readyz" and status == 503):
        error = response.json()["error"]
        assert set(error) == {"message", "type", "code", "param"}, where
        assert isinstance(error["message"], str) and error["message"], where
        assert isinstance(error["type"], str), where
    content_type = response.headers.get("content-type") or [""]
    if status < 400 and content_type[0].startswith("text/event-stream"):
        assert response.text.rstrip().endswith("data: [DONE]"), where
    return status


def operations() -> list[tuple[str, str]]:
    """(method, path) of every operation the app documents, read from the app in-process."""
    app = create_app(Settings.model_validate(config("http://127.0.0.1:9/v1")))
    paths: dict[str, dict[str, Any]] = app.openapi()["paths"]
    return [(m.upper(), p) for p, ops in paths.items() for m in ops if p != ENDLESS]


def fuzz(
    operation: Any, mode: GenerationMode, gateway: Gateway, examples: int, rejected: bool = False
) -> None:
    """Run `examples` cases of `operation`; `rejected`: every case must be refused (4xx)."""

    # schemathesis' own pytest plugin does not run on pytest 9: its strategies are used directly.
    @settings(FUZZ, max_examples=examples)
    @given(operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        status = check(case, gateway)
        assert not rejected or 400 <= status < 500, f"{case.body!r} was accepted ({status})"

    run()


OPERATIONS = operations()
CHAT = ("POST", "/v1/chat/completions")


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_every_operation_answers_without_500(
    api_schema: Any, gateway: Gateway, method: str, path: str
) -> None:
    examples = 100 if (method, path) == CHAT else FUZZ.max_examples
    fuzz(api_schema[path][method], GenerationMode.POSITIVE, gateway, examples)


def test_chat_requests_that_break_the_schema_are_refused(api_schema: Any, gateway: Gateway) -> None:
    # Only the chat route has a body schema to break; the other operations take none.
    operation = api_schema[CHAT[1]][CHAT[0]]
    fuzz(operation, GenerationMode.NEGATIVE, gateway, 100, rejected=True)


def test_chat_options_reach_the_provider_without_500(chat_schema: Any, gateway: Gateway) -> None:
    fuzz(chat_schema[CHAT[1]][CHAT[0]], GenerationMode.POSITIVE, gateway, 100)


def test_gateway_still_serves_after_fuzzing(gateway: Gateway) -> None:
    answer = gateway.sdk().chat.completions.create(
        model="gpt-test", messages=[{"role": "user", "content": "scenario:text"}]
    )
    assert answer.choices[0].message.content
    assert "Traceback" not in gateway.log() and "unexpected error" not in gateway.log()
