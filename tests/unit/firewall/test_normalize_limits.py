"""gateway/firewall/normalize/limits.py: no input makes normalization raise or run unbounded."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest

from gateway.firewall.normalize import limits, mask_secrets, normalize, parse_arguments

MB = 1024 * 1024

RAW_INPUTS = {
    "nul bytes": '{"command": "a\x00ws ec2 run-instances"}',
    "deep arrays": "[" * 5000 + "]" * 5000,
    "deep truncated": '{"a":' * 5000,
    "deep valid": json.dumps(json.loads('{"a":' * 200 + "1" + "}" * 200)),
    "1 MB string": json.dumps({"command": "echo " + "A" * MB}),
    "1 MB of commands": json.dumps({"command": "ls;" * (MB // 3)}),
    "deep substitution": json.dumps({"command": "$(" * 20_000 + "ls" + ")" * 20_000}),
    "deep subshells": json.dumps({"command": "(" * 20_000 + "ls" + ")" * 20_000}),
    "1 MB raw text": "x" * MB,
    "1 MB of brackets": "{[" * (MB // 2),
    "100k keys": json.dumps({f"k{i}": "v" for i in range(100_000)}),
    "200k argv": json.dumps({"command": ["x"] * 200_000}),
    "5k urls": json.dumps({"urls": [f"http://h{i}.io" for i in range(5000)]}),
    "heredoc spam": json.dumps({"command": "cat <<EOF | sh\n" * 5000}),
    "base64 bomb": json.dumps({"command": "echo " + "ZWNobyBaV05v" * 20_000 + " | base64 -d | sh"}),
    "secret spam": json.dumps({"command": ("AKIA" + "A" * 16 + " ") * 30_000}),
    "private key spam": json.dumps({"x": "-----BEGIN RSA PRIVATE KEY-----" * 30_000}),
    "password spam": json.dumps({"x": "password=" * 100_000}),
    "mysql spam": json.dumps({"x": "mysql -p" * 100_000}),
    "lone surrogate": '{"command": "\\ud800 ls"}',
    "huge number": '{"a": ' + "1" * 5000 + "}",
    "syntax soup": json.dumps({"command": "if then fi ;; ) ( } { <<< >>> & | || && $( ` ' \""}),
    "python soup": json.dumps({"code": "def (:\n\tlambda ** ** [[[" * 1000}),
    "deep python": json.dumps({"code": "(" * 5000 + ")" * 5000}),
    "long python chain": json.dumps({"code": "x = 'a'" + " + 'a'" * 100_000}),
    "long attribute chain": json.dumps({"code": "a" + ".b" * 100_000 + "()"}),
    "binary": bytes(range(256)).decode("latin-1"),
    "empty object": "{}",
}


@pytest.mark.timeout(30)
@pytest.mark.parametrize("raw", RAW_INPUTS.values(), ids=RAW_INPUTS.keys())
@pytest.mark.parametrize("tool", ["bash", "python", "fetch_url"])
def test_never_raises_on_weird_arguments(raw: str, tool: str) -> None:
    value, error = parse_arguments(raw)
    orjson.dumps(value)
    facts = normalize(tool, value, error)
    assert "analysis_error" not in facts.obfuscation
    orjson.dumps(facts)
    for kind in ("commands", "urls", "paths", "secrets"):
        assert len(getattr(facts, kind)) <= limits.MAX_FACTS
    mask_secrets(raw)


@pytest.mark.parametrize(
    "value",
    [None, 0, -1.5, True, "", "ls", [], [[[]]], {"a": {1, 2}}, {1: "ls"}, b"bytes", object()],
)
def test_never_raises_on_values_that_are_not_json(value: Any) -> None:
    facts = normalize("bash", value)
    assert "analysis_error" not in facts.obfuscation
    assert parse_arguments(value)[1] is not None or value == ""
    assert isinstance(mask_secrets(value), str)


@pytest.mark.parametrize("name", [None, 42, "", "x" * 100_000, "bash\x00", "💥"])
def test_never_raises_on_odd_tool_names(name: Any) -> None:
    facts = normalize(name, {"command": "ls"})
    assert [c.program for c in facts.commands] == ["ls"]


@pytest.mark.parametrize(
    ("arguments", "tag"),
    [
        ({"command": "echo " + "A" * (limits.MAX_TEXT + 1)}, "truncated_input"),
        ({"command": "ls;" * limits.MAX_STEPS}, "truncated_input"),
        ({"a": [{"b": "x"}] * (limits.MAX_JSON_NODES + 1)}, "truncated_input"),
        ({"command": ["x"] * (limits.MAX_ARGV + 1)}, "truncated_input"),
        (json.loads('{"a":' * 100 + '"x"' + "}" * 100), "max_depth"),
        ({"command": "$(" * 300 + "id" + ")" * 300}, "max_depth"),
    ],
)
def test_work_beyond_a_limit_is_reported(arguments: Any, tag: str) -> None:
    assert tag in normalize("bash", arguments).obfuscation


def test_text_after_the_cap_is_not_examined() -> None:
    padding = "#" + " " * limits.MAX_SCRIPT + "\n"
    facts = normalize("bash", {"command": padding + "aws ec2 run-instances"})
    assert facts.commands == []
    assert facts.obfuscation == ["truncated_input"]
