"""Redacting exact secret values: the configured ones, and those found in a tool call.

The scanner (`firewall/normalize/secrets.py`) recognises secrets by their shape. A provider
key, an agent key or an approver token may have no recognisable shape at all, yet the
gateway knows each one exactly: a `Redactor` replaces every occurrence of those values with
`[REDACTED:configured]` wherever text leaves the gateway (audit records, approvals and their
webhooks, error envelopes, log lines). The same mechanism masks a value the scanner found in
one place (`--password hunter2x`) everywhere else it appears (argv, an excerpt).

This module imports nothing from the package at run time, so every layer may use it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, urlsplit

import orjson

if TYPE_CHECKING:
    from gateway.config import Settings

CONFIGURED = "configured"
# Shorter values would mask ordinary words; the config refuses short secrets outside demos.
MIN_LENGTH = 6
_SECRET_NAME = re.compile(r"key|secret|token|password|passwd|credential|signature|sig$", re.I)


class Redactor:
    """Replaces each known secret value with `[REDACTED:<kind>]`, in text, bytes or JSON data.

    Each value is also matched in the forms it takes inside JSON strings (escaped once and
    twice) and URLs (percent-encoded), so it is found in a serialized record or a log line
    that quotes JSON.
    """

    __slots__ = ("_bytes", "_kinds", "_labels", "_text")

    def __init__(self, secrets: Mapping[str, str] | None = None) -> None:
        """`secrets` maps each exact value to its kind; values shorter than MIN_LENGTH are
        ignored."""
        self._kinds: dict[str, str] = {
            value: kind for value, kind in (secrets or {}).items() if len(value) >= MIN_LENGTH
        }
        labels: dict[str, str] = {}
        for value, kind in self._kinds.items():
            for form in _forms(value):
                labels.setdefault(form, f"[REDACTED:{kind}]")
        self._labels = labels
        # Longest first, so a secret that contains another is replaced whole.
        needles = sorted(labels, key=len, reverse=True)
        self._text = re.compile("|".join(map(re.escape, needles))) if needles else None
        self._bytes = (
            re.compile(b"|".join(re.escape(n.encode()) for n in needles)) if needles else None
        )

    @classmethod
    def configured(cls, values: Iterable[str | None]) -> Redactor:
        """A redactor for configured secrets: each becomes `[REDACTED:configured]`."""
        return cls({value: CONFIGURED for value in values if value})

    @classmethod
    def from_settings(cls, settings: Settings) -> Redactor:
        """Every secret value in the settings (see `configured_secrets`)."""
        return cls.configured(configured_secrets(settings))

    def extended(self, secrets: Mapping[str, str]) -> Redactor:
        """This redactor plus more values; a value already known keeps its kind."""
        if not secrets:
            return self
        return Redactor({**secrets, **self._kinds})

    def __bool__(self) -> bool:
        return self._text is not None

    def __len__(self) -> int:
        return len(self._kinds)

    def text(self, value: str) -> str:
        """`value` with every known secret replaced."""
        if self._text is None:
            return value
        return self._text.sub(lambda m: self._labels[m.group()], value)

    def raw(self, value: bytes) -> bytes:
        """UTF-8 `value` with every known secret replaced."""
        if self._bytes is None:
            return value
        return self._bytes.sub(lambda m: self._labels[m.group().decode()].encode(), value)

    def found_in(self, value: bytes) -> bool:
        """Whether any known secret occurs in `value` (one regex pass)."""
        return self._bytes is not None and self._bytes.search(value) is not None

    def data(self, value: Any) -> Any:
        """A copy of JSON data with secrets replaced in every string and every key."""
        if self._text is None:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.data(v) for v in value]
        if isinstance(value, dict):
            return {self.data(k): self.data(v) for k, v in value.items()}
        return value


def _forms(value: str) -> set[str]:
    once = orjson.dumps(value).decode()[1:-1]
    twice = orjson.dumps(once).decode()[1:-1]
    return {value, once, twice, quote(value, safe="")}


def configured_secrets(settings: Settings) -> list[str]:
    """Provider keys (and secret-named litellm params), agent keys, approver and admin
    tokens, the webhook secret and URL, the audit HMAC key, and credentials inside configured
    URLs (the Redis URL's password, a password or token in an `api_base`)."""
    found: list[str | None] = []
    for entry in settings.model_list:
        params = entry.litellm_params
        found.append(_value(params.api_key))
        found += url_secrets(params.api_base)
        for name, value in params.extra_params().items():
            if isinstance(value, str) and _SECRET_NAME.search(name):
                found.append(value)
    found += [_value(k.key) for k in settings.keys]
    found += [_value(a.token) for a in settings.approvers]
    found.append(_value(settings.admin_token))
    found.append(_value(settings.approvals.webhook_secret))
    # A webhook URL is itself a credential (Slack's and Discord's carry a token in the path).
    found.append(settings.approvals.webhook_url)
    found += url_secrets(settings.approvals.webhook_url)
    found += url_secrets(_value(settings.state.redis_url))
    found.append(_value(settings.audit.hmac_key))
    return list(dict.fromkeys(v for v in found if v))


def url_secrets(url: str | None) -> list[str]:
    """The password of a URL's userinfo and its secret-named query values."""
    if not url:
        return []
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return []
    found = [password] if password else []
    found += [v for k, v in parse_qsl(parts.query) if v and _SECRET_NAME.search(k)]
    return found


def _value(secret: Any) -> str | None:
    """The clear value of a pydantic SecretStr (or a plain str), None when unset."""
    if secret is None:
        return None
    if isinstance(secret, str):
        return secret
    value = secret.get_secret_value()
    return value if isinstance(value, str) else None
