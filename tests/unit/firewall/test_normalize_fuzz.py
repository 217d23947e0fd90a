"""The normalizers under arbitrary input (hypothesis): they never raise, return the right
types, stay within their limits and finish quickly.

test_normalize_limits.py holds the hand-picked worst cases; this file lets hypothesis search:
arbitrary JSON values and strings (NUL included), shell-ish word soup, deep nesting of every
bracket the parsers know, and strings of up to a few megabytes.
"""

from __future__ import annotations

import time
from dataclasses import fields
from typing import Any, get_args

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.firewall.normalize import limits, mask_secrets, normalize, parse_arguments
from gateway.models import ActionFacts, CodeFacts, Command, PathAccess, PathOp, Secret, Url

SECONDS = 5.0  # per call; a normal call takes milliseconds, this allows a loaded 2-core box
FUZZ = settings(
    max_examples=150,
    deadline=None,  # timed below instead: hypothesis' deadline turns load spikes into Flaky
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

SHELL_WORDS = [
    "bash", "sh", "-c", "-lc", "eval", "exec", "sudo", "env", "nohup", "timeout", "5", "xargs",
    "curl", "-d", "@-", "http://x.io/a?b=1", "https://api.stripe.com/v1/charges", "wget", "-O-",
    "aws", "ec2", "run-instances", "gcloud", "compute", "instances", "create", "python3",
    "import os; os.system('id')", "base64", "-d", "echo", "ZWNobyBoaQ==", "|", "||", "&&", ";",
    "&", ">", ">>", "<", "<<EOF", "EOF", "<<<", "$(", ")", "`", "${IFS}", "$HOME", "/etc/shadow",
    "~/.aws/credentials", "'", '"', "\\", "\n", "\t", "\x00", "{", "}", "(", "((", "))", "[[", "]]",
    "if", "then", "fi", "for", "do", "done", "case", "esac", "ssh", "root@10.0.0.5", "nc", "-e",
    "crontab", "-", "scp", "-r", ".", "host:/tmp", "AKIAABCDEFGHIJKLMNOP", "password=hunter22",
]  # fmt: skip
TOOLS = ["bash", "shell", "run_command", "python", "execute_code", "http_request", "fetch",
         "write_file", "read_file", "str_replace_editor", "ssh", "", "x" * 300]  # fmt: skip
BRACKETS = [("[", "]"), ('{"a":', "}"), ("$(", ")"), ("(", ")"), ("`", "`"), ("${", "}"),
            ('"', '"'), ("bash -c '", "'"), ("eval ", ""), ("[[", "]]"), ("f(", ")")]  # fmt: skip

# Lone surrogates are left out: JSON from a provider cannot carry one (orjson refuses "\ud800").
text = st.text(st.characters(exclude_categories=["Cs"]), max_size=60)
shellish = st.lists(st.sampled_from(SHELL_WORDS), max_size=40).flatmap(
    lambda words: st.sampled_from([" ".join(words), "".join(words), "\n".join(words)])
)
nul_laden = st.lists(st.sampled_from(["\x00", "ls", " ", "/", "rm -rf", '"']), max_size=30).map(
    "".join
)
deep = st.builds(
    lambda pair, depth, core: pair[0] * depth + core + pair[1] * depth,
    st.sampled_from(BRACKETS),
    st.integers(30, 5_000),
    st.sampled_from(["", "ls", "1", "x"]),
)
huge = st.builds(
    lambda unit, count: unit * count,
    st.sampled_from(["A", "ls;", "$(", "echo hi | sh\n", "AKIA", "\x00", "ZWNobyBo", "{[", "é"]),
    st.integers(50_000, 1_500_000),
)
strings = st.one_of(text, shellish, nul_laden, deep, huge)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=False)
    | strings,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(text | shellish, inner, max_size=5),
    max_leaves=20,
)
argument_objects = st.dictionaries(
    st.sampled_from(["command", "cmd", "code", "url", "path", "args", "script", "host", "body"])
    | text,
    json_values,
    max_size=4,
)


def json_text(value: Any) -> str:
    return orjson.dumps(value).decode()


raw_arguments = st.one_of(
    strings,
    argument_objects.map(json_text),
    argument_objects.map(json_text).flatmap(lambda t: st.integers(0, len(t)).map(lambda n: t[:n])),
    json_values.map(json_text),
    st.builds(lambda d, s: '{"command": ' + json_text(s) + ', "x": ' + d, deep, strings),
)


def timed(fn: Any, *args: Any) -> Any:
    started = time.perf_counter()
    result = fn(*args)
    elapsed = time.perf_counter() - started
    assert elapsed < SECONDS, f"{fn.__name__} took {elapsed:.1f}s"
    return result


def assert_strs(values: Any) -> None:
    assert isinstance(values, list) and all(isinstance(v, str) for v in values)


def assert_facts(facts: Any) -> None:
    """ActionFacts with every field of the declared type, within the limits, as JSON."""
    assert isinstance(facts, ActionFacts)
    for name in ("commands", "urls", "paths", "secrets"):
        assert len(getattr(facts, name)) <= limits.MAX_FACTS
    for command in facts.commands:
        assert isinstance(command, Command)
        assert isinstance(command.program, str) and isinstance(command.raw, str)
        assert_strs(command.argv)
    for url in facts.urls:
        assert isinstance(url, Url)
        assert all(isinstance(getattr(url, f.name), str) for f in fields(Url) if f.name != "port")
        assert url.port is None or (isinstance(url.port, int) and not isinstance(url.port, bool))
    for path in facts.paths:
        assert isinstance(path, PathAccess) and isinstance(path.path, str)
        assert path.op in get_args(PathOp)
    for secret in facts.secrets:
        assert isinstance(secret, Secret) and isinstance(secret.type, str)
        assert isinstance(secret.at, str)
    if facts.code is not None:
        assert isinstance(facts.code, CodeFacts) and isinstance(facts.code.language, str)
        assert_strs(facts.code.imports)
        assert_strs(facts.code.calls)
    assert_strs(facts.obfuscation)
    orjson.dumps(facts)  # the policy engine and the audit record serialize it


@FUZZ
@given(raw_arguments)
def test_parse_arguments_never_raises_and_returns_json(raw: str) -> None:
    value, error = timed(parse_arguments, raw)
    assert error is None or (isinstance(error, str) and error)
    if error is None:
        assert isinstance(value, dict)
    orjson.dumps(value)  # goes into the policy input: must serialize, however deep the input


@FUZZ
@given(json_values)
def test_parse_arguments_of_a_value_that_is_not_text(value: Any) -> None:
    if isinstance(value, str):
        return
    parsed, error = timed(parse_arguments, value)
    assert error == "arguments are not text"
    orjson.dumps(parsed)


@FUZZ
@given(st.sampled_from(TOOLS) | text, raw_arguments)
def test_normalize_never_raises_on_parsed_arguments(name: str, raw: str) -> None:
    value, error = parse_arguments(raw)
    assert_facts(timed(normalize, name, value, error))


@FUZZ
@given(st.sampled_from(TOOLS), json_values | argument_objects)
def test_normalize_never_raises_on_any_json_value(name: str, value: Any) -> None:
    assert_facts(timed(normalize, name, value, None))


@FUZZ
@given(strings)
def test_mask_secrets_returns_text_and_is_idempotent(text_in: str) -> None:
    once = timed(mask_secrets, text_in)
    assert isinstance(once, str)
    assert timed(mask_secrets, once) == once


@settings(FUZZ, max_examples=80)
@given(
    text | shellish,
    text | shellish,
    st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", min_size=16, max_size=16),
)
def test_mask_secrets_hides_a_planted_key(before: str, after: str, tail: str) -> None:
    key = "AKIA" + tail
    masked = mask_secrets(f"{before} {key} {after}")
    assert key not in masked
