"""Exact-value redaction: configured secrets, and secrets found in a call wherever they travel."""

from __future__ import annotations

import secrets
from urllib.parse import quote

import orjson
import pytest

from gateway.config import Settings
from gateway.firewall.masking import masked, secret_values
from gateway.models import ToolCall
from gateway.redact import Redactor, configured_secrets, url_secrets
from tests.unit.firewall.fakes import context, firewall

CONFIGURED = "[REDACTED:configured]"


def token(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(24)


def test_text_bytes_and_data_lose_every_configured_value() -> None:
    one, two = token(), token()
    redactor = Redactor.configured([one, two, None])
    assert redactor.text(f"a {one} b {two}") == f"a {CONFIGURED} b {CONFIGURED}"
    assert redactor.raw(f"<{one}>".encode()) == f"<{CONFIGURED}>".encode()
    data = {one: [f"x{two}x", 3, None, {"k": one}]}
    assert redactor.data(data) == {CONFIGURED: [f"x{CONFIGURED}x", 3, None, {"k": CONFIGURED}]}
    assert redactor.found_in(one.encode()) and not redactor.found_in(b"nothing here")
    assert len(redactor) == 2 and redactor


def test_escaped_and_encoded_forms_are_found() -> None:
    awkward = 'pa"ss\\word/with+chars'
    redactor = Redactor.configured([awkward])
    once = orjson.dumps({"v": awkward})
    twice = orjson.dumps({"v": once.decode()})
    for serialized in (once, twice):
        assert awkward.encode() not in redactor.raw(serialized)
        assert CONFIGURED.encode() in redactor.raw(serialized)
    url = "https://example.test/?k=" + quote(awkward, safe="")
    assert redactor.text(url) == "https://example.test/?k=" + CONFIGURED


def test_a_secret_containing_another_is_replaced_whole() -> None:
    inner = token()
    outer = "pre-" + inner + "-post"
    redactor = Redactor.configured([inner, outer])
    assert redactor.text(f"[{outer}] [{inner}]") == f"[{CONFIGURED}] [{CONFIGURED}]"


def test_short_values_are_ignored_and_empty_redactors_pass_through() -> None:
    redactor = Redactor.configured(["abc", ""])
    assert not redactor and len(redactor) == 0
    assert redactor.text("abc") == "abc"
    data = {"a": ["abc"]}
    assert redactor.data(data) is data


def test_extended_keeps_the_configured_kind() -> None:
    mine, found = token(), token()
    redactor = Redactor.configured([mine]).extended({mine: "password", found: "password"})
    assert redactor.text(f"{mine} {found}") == f"{CONFIGURED} [REDACTED:password]"
    base = Redactor.configured([mine])
    assert base.extended({}) is base


def test_every_configured_secret_is_collected() -> None:
    values = {name: token(name + "-") for name in ("api", "aws", "agent", "appr", "admin", "hook")}
    redis_password, hook_password, hmac_key = token(), token(), token()
    hook_url = f"https://user:{hook_password}@hooks.example.test/x"
    settings = Settings.model_validate(
        {
            "model_list": [
                {
                    "model_name": "m",
                    "litellm_params": {
                        "model": "bedrock/x",
                        "api_key": values["api"],
                        "aws_secret_access_key": values["aws"],
                        "aws_region_name": "eu-west-1",
                    },
                }
            ],
            "keys": [
                {"key": values["agent"], "agent": "bot"},
                {"key_sha256": "ab" * 32, "agent": "other"},
            ],
            "approvers": [{"name": "alice", "token": values["appr"]}],
            "admin_token": values["admin"],
            "approvals": {
                "webhook_secret": values["hook"],
                "webhook_url": hook_url,
            },
            "state": {"redis_url": f"redis://:{redis_password}@127.0.0.1:6379/0"},
            "audit": {"hmac_key": hmac_key},
        }
    )
    found = configured_secrets(settings)
    assert set(found) == {*values.values(), redis_password, hook_url, hook_password, hmac_key}
    assert "eu-west-1" not in found and "ab" * 32 not in found
    redactor = Redactor.from_settings(settings)
    assert redactor.text(" ".join(found)).split() == [CONFIGURED] * len(found)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("redis://:s3cretpass@host:6379/0", ["s3cretpass"]),
        ("rediss://user:pw-123456@host/0?password=other-pass", ["pw-123456", "other-pass"]),
        ("https://api.example.test/v1?api-version=2024-06-01&token=tok-abcdef", ["tok-abcdef"]),
        ("https://api.example.test/v1", []),
        ("http://[::1", []),
        (None, []),
    ],
)
def test_url_secrets(url: str | None, expected: list[str]) -> None:
    assert url_secrets(url) == expected


def test_secret_values_finds_what_the_scanner_and_field_names_say() -> None:
    password, key_line = token(), "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ"
    block = f"-----BEGIN OPENSSH PRIVATE KEY-----\n{key_line}\n-----END OPENSSH PRIVATE KEY-----"
    arguments = {
        "command": f"mysql --password {password} -h db",
        "files": [{"content": block}],
        "api_key": "plain-value-123",
    }
    found = secret_values(arguments)
    assert found[password] == "password"
    assert found[key_line] == "private_key" and found[block] == "private_key"
    assert found["plain-value-123"] == "credential_argument"


def test_masked_with_exact_values_reaches_words_the_scanner_cannot_read() -> None:
    password = token()
    arguments = {"command": f"mysql --password {password} -h db"}
    exact = Redactor(secret_values(arguments))
    facts = {"commands": [{"argv": ["mysql", "--password", password, "-h", "db"]}]}
    assert masked(facts, exact) == {
        "commands": [{"argv": ["mysql", "--password", "[REDACTED:password]", "-h", "db"]}]
    }
    assert password in str(masked(facts))  # the scanner alone sees a bare word


async def test_audit_facts_never_hold_a_secret_split_out_of_a_command() -> None:
    fw, _, audit = firewall()
    password = token()
    arguments = orjson.dumps({"command": f"mysql -u root --password {password}"}).decode()
    await fw.decide(context(), [ToolCall("c", "bash", arguments)])
    record = audit.records[0]
    assert password not in orjson.dumps(record).decode()
    assert "[REDACTED:password]" in orjson.dumps(record.facts).decode()
