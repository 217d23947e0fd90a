"""Log lines: one JSON object each (or plain text), with the request id, and no secret.

`airlock serve --log-format json|text|auto` (auto: JSON unless stderr is a terminal) hands
`log_config(...)` to uvicorn, so that the gateway's loggers and uvicorn's share one handler
on stderr. That handler carries two filters, which see every record whatever its logger:
`RequestIdFilter` stamps the id of the request being served (`request_id`, a context
variable set by the chat route), and `RedactFilter` masks configured secrets (`Redactor`)
and any secret the scanner recognises, in the message and in the traceback.

A JSON line has `ts` (UTC, ISO 8601), `level`, `logger`, `message`, `request_id` (null
outside a request) and, when there is one, `exception` (the formatted traceback).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Literal

import orjson

from gateway.redact import Redactor

LogFormat = Literal["json", "text", "auto"]

request_id: ContextVar[str | None] = ContextVar("airlock_request_id", default=None)

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s%(request_tag)s %(message)s"
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")
QUIET_LOGGERS = ("httpx", "httpcore")


class RequestIdFilter(logging.Filter):
    """Adds `request_id` (and `request_tag` for text lines) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        current = getattr(record, "request_id", None) or request_id.get()
        record.request_id = current
        record.request_tag = f" [{current}]" if current else ""
        return True


class RedactFilter(logging.Filter):
    """Masks secrets in a record's message, traceback and stack before any handler writes it."""

    def __init__(self, redactor: Redactor, mask: Callable[[str], str] | None = None) -> None:
        super().__init__()
        self._redactor = redactor
        self._mask = mask

    def clean(self, text: str) -> str:
        if self._mask is not None:
            text = self._mask(text)
        return self._redactor.text(text)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep what can be kept, never raise here
            message = str(record.msg)
        cleaned = self.clean(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.clean(record.exc_text)
        if record.stack_info:
            record.stack_info = self.clean(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line (fields in the module docstring)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        return orjson.dumps(line, default=str).decode()


class TextFormatter(logging.Formatter):
    """`ts LEVEL logger [req_…] message`, for people at a terminal."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_tag"):
            record.request_tag = ""
        return super().format(record)


def resolve_format(choice: LogFormat) -> Literal["json", "text"]:
    """`auto` is JSON unless stderr is a terminal (log collectors read JSON; people, text)."""
    if choice == "auto":
        return "text" if sys.stderr.isatty() else "json"
    return choice


def log_config(choice: LogFormat, level: str, redactor: Redactor) -> dict[str, Any]:
    """A `logging.config.dictConfig` dictionary for uvicorn's `log_config`: one stderr handler
    with both filters, used by the root logger and, by propagation, by uvicorn's loggers."""
    from gateway.firewall.normalize.secrets import mask_secrets

    formatter = JsonFormatter if resolve_format(choice) == "json" else TextFormatter
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": RequestIdFilter},
            "redact": {"()": RedactFilter, "redactor": redactor, "mask": mask_secrets},
        },
        "formatters": {"default": {"()": formatter}},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "default",
                "filters": ["request_id", "redact"],
            }
        },
        "root": {"handlers": ["default"], "level": _level(level)},
        "loggers": {
            **{name: {"handlers": [], "propagate": True} for name in UVICORN_LOGGERS},
            # httpx logs every request's full URL at INFO: webhook URLs often embed a token.
            **{name: {"level": "WARNING"} for name in QUIET_LOGGERS},
        },
    }


def _level(name: str) -> int | str:
    # uvicorn's `trace` is below DEBUG and is registered by uvicorn itself.
    return 5 if name.lower() == "trace" else name.upper()
