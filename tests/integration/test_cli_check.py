"""`airlock check`: the policy's decisions on recorded tool calls, for a security engineer."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import orjson
import pytest

from tests.conftest import ROOT

CALLS: list[dict[str, Any]] = [
    {"id": "benign", "tool": {"name": "bash", "arguments": {"command": "ls -la"}}},
    {"id": "creds", "tool": {"name": "bash", "arguments": {"command": "cat ~/.aws/credentials"}}},
    {  # a bare OpenAI tool-call object, arguments as JSON text
        "id": "call_1",
        "type": "function",
        "function": {"name": "bash", "arguments": '{"command": "aws ec2 run-instances --count 1"}'},
    },
    {"id": "broken", "tool": {"name": "bash", "arguments": '{"command": "aws ec2 run-inst'}},
    {  # the editor's `view` reads the file, whatever the tool's name says
        "id": "editor_view",
        "tool": {
            "name": "str_replace_editor",
            "arguments": {"command": "view", "path": "/root/.aws/credentials"},
        },
    },
    # Each points the model client past the gateway.
    {"id": "bare_assignment", "tool": {"name": "bash", "arguments": {
        "command": "OPENAI_BASE_URL=https://api.openai.com/v1; python agent.py"}}},
    {"id": "client_base_url", "tool": {"name": "python", "arguments": {
        "code": "from openai import OpenAI\nOpenAI(base_url='https://api.anthropic.com')"}}},
    {"id": "dotenv_write", "tool": {"name": "write_file", "arguments": {
        "path": ".env", "content": "DEBUG=1\nexport OPENAI_BASE_URL=\"https://api.openai.com/v1\"\n"}}},
]  # fmt: skip


def check(*args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", "check", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def lines(records: list[dict[str, Any]]) -> str:
    return "\n".join(orjson.dumps(r).decode() for r in records) + "\n"


def results(out: str) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in out.splitlines()]


@pytest.fixture(scope="module")
def embedded() -> list[dict[str, Any]]:
    done = check("-", stdin=lines(CALLS))
    assert done.returncode == 0, done.stderr
    return results(done.stdout)


def test_one_line_per_input_in_order(embedded: list[dict[str, Any]]) -> None:
    assert [r["id"] for r in embedded] == [
        "benign", "creds", "call_1", "broken", "editor_view",
        "bare_assignment", "client_base_url", "dotenv_write",
    ]  # fmt: skip
    assert [r["action"] for r in embedded] == [
        "allow", "deny", "escalate", "deny", "deny", "deny", "deny", "deny"
    ]  # fmt: skip
    for bypass in embedded[5:]:
        rules = {r["rule"] for r in bypass["reasons"]}
        assert rules == {"airlock.monitoring_evasion.gateway_bypass"}, bypass
    assert set(embedded[1]) == {"id", "action", "reasons"}
    [reason, *_] = embedded[1]["reasons"]
    assert set(reason) == {"rule", "category", "message"}
    assert reason["category"] == "credential_use"


def test_opa_engine_agrees(embedded: list[dict[str, Any]], opa_server: str) -> None:
    done = check("--engine", "opa", "--opa-url", opa_server, "-", stdin=lines(CALLS))
    assert done.returncode == 0, done.stderr
    assert results(done.stdout) == embedded


def test_bad_lines_are_reported_in_place_and_fail(tmp_path: object) -> None:
    done = check("-", stdin=lines([CALLS[0]]) + "{not json\n" + lines([{"id": "x"}, CALLS[1]]))
    assert done.returncode == 1
    out = results(done.stdout)
    assert [r.get("action") for r in out] == ["allow", None, None, "deny"]
    assert "line 2" in str(out[1]["error"]) and "line 3" in str(out[2]["error"])
