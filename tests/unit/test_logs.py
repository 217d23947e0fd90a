"""Log lines: JSON or text, stamped with the request id, and never holding a secret."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Iterator

import orjson
import pytest

from gateway import logs
from gateway.firewall.normalize import mask_secrets
from gateway.redact import Redactor

SECRET = "provider-key-for-log-tests-0123456789"
AWS_KEY = "AKIA" + "IOSFODNN7EXAMPLE"


@pytest.fixture
def logger() -> Iterator[tuple[logging.Logger, io.StringIO, logging.Handler]]:
    """A logger of its own with the handler `airlock serve` configures (JSON)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    handler.addFilter(logs.RequestIdFilter())
    handler.addFilter(logs.RedactFilter(Redactor.configured([SECRET]), mask_secrets))
    log = logging.getLogger("airlock.test-logs")
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    log.propagate = False
    try:
        yield log, stream, handler
    finally:
        log.removeHandler(handler)


def parsed(stream: io.StringIO) -> list[dict[str, object]]:
    return [orjson.loads(line) for line in stream.getvalue().splitlines()]


def test_a_json_line_has_the_documented_fields(
    logger: tuple[logging.Logger, io.StringIO, logging.Handler],
) -> None:
    log, stream, _ = logger
    log.warning("upstream %s failed", "gpt-test")
    (line,) = parsed(stream)
    assert set(line) == {"ts", "level", "logger", "message", "request_id"}
    assert line["level"] == "WARNING" and line["logger"] == "airlock.test-logs"
    assert line["message"] == "upstream gpt-test failed" and line["request_id"] is None
    assert str(line["ts"]).endswith("+00:00")


async def test_the_request_id_comes_from_the_context(
    logger: tuple[logging.Logger, io.StringIO, logging.Handler],
) -> None:
    log, stream, _ = logger

    async def serve(request: str) -> None:
        logs.request_id.set(request)
        await asyncio.sleep(0)
        log.info("serving")

    await asyncio.gather(serve("req_a"), serve("req_b"))
    log.info("between requests")
    assert [line["request_id"] for line in parsed(stream)] == ["req_a", "req_b", None]


def test_secrets_are_masked_in_messages_arguments_and_tracebacks(
    logger: tuple[logging.Logger, io.StringIO, logging.Handler],
) -> None:
    log, stream, _ = logger
    log.error("provider said: bad key %s", SECRET)
    log.info("found %s in a call", AWS_KEY)
    try:
        raise RuntimeError(f"cannot use {SECRET}")
    except RuntimeError:
        log.exception("request failed")
    text = stream.getvalue()
    assert SECRET not in text and AWS_KEY not in text
    first, second, third = parsed(stream)
    assert first["message"] == "provider said: bad key [REDACTED:configured]"
    assert second["message"] == "found [REDACTED:aws_access_key_id] in a call"
    assert "RuntimeError: cannot use [REDACTED:configured]" in str(third["exception"])


def test_a_bad_format_string_never_raises(
    logger: tuple[logging.Logger, io.StringIO, logging.Handler],
) -> None:
    log, stream, _ = logger
    log.warning("two %s %s", SECRET)  # one argument short
    assert parsed(stream)[0]["message"] == "two %s %s"


def test_text_lines_carry_the_request_id(
    logger: tuple[logging.Logger, io.StringIO, logging.Handler],
) -> None:
    log, stream, handler = logger
    handler.setFormatter(logs.TextFormatter())
    token = logs.request_id.set("req_text")
    try:
        log.warning("held %s", SECRET)
    finally:
        logs.request_id.reset(token)
    log.warning("idle")
    first, second = stream.getvalue().splitlines()
    assert first.endswith("WARNING airlock.test-logs [req_text] held [REDACTED:configured]")
    assert second.endswith("WARNING airlock.test-logs idle")


def test_log_config_routes_uvicorn_through_the_same_handler() -> None:
    config = logs.log_config("json", "info", Redactor.configured([SECRET]))
    assert config["root"] == {"handlers": ["default"], "level": "INFO"}
    assert config["handlers"]["default"]["filters"] == ["request_id", "redact"]
    assert config["formatters"]["default"]["()"] is logs.JsonFormatter
    for name in logs.UVICORN_LOGGERS:
        assert config["loggers"][name] == {"handlers": [], "propagate": True}
    assert logs.log_config("text", "trace", Redactor())["root"]["level"] == 5
    assert logs.log_config("text", "info", Redactor())["formatters"]["default"]["()"] is (
        logs.TextFormatter
    )


def test_auto_is_json_unless_stderr_is_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stderr", io.StringIO())
    assert logs.resolve_format("auto") == "json"
    assert logs.resolve_format("text") == "text"
