"""Masking secrets in JSON data before it is recorded anywhere (audit, approvals, logs)."""

from __future__ import annotations

from typing import Any

from gateway.firewall.normalize import credential_kind, mask_secrets
from gateway.firewall.normalize.secrets import find_secrets
from gateway.redact import Redactor

# A private key's body lines travel alone too (split, or quoted in a conversation).
KEY_LINE_CHARS = 16


def masked(value: Any, exact: Redactor | None = None) -> Any:
    """A copy of JSON data with every secret the scanner knows replaced by its type, and
    then every value `exact` knows (see `secret_values`) wherever it still appears."""
    if isinstance(value, str):
        text = mask_secrets(value)
        return exact.text(text) if exact else text
    if isinstance(value, list):
        return [masked(v, exact) for v in value]
    if isinstance(value, dict):
        return {masked(k, exact): _masked_field(k, v, exact) for k, v in value.items()}
    return value


def _masked_field(key: Any, value: Any, exact: Redactor | None) -> Any:
    # `{"password": "hunter22"}`: the key, not the value, says it is a secret.
    kind = credential_kind(key) if isinstance(key, str) else None
    if kind is not None and isinstance(value, str) and value:
        return f"[REDACTED:{kind}]"
    return masked(value, exact)


def secret_values(value: Any) -> dict[str, str]:
    """The exact secret values in a tool call's arguments, each with its type.

    Facts split a command into argv, where `--password hunter22` leaves `hunter22` alone in
    a word the scanner cannot recognise; masking these exact values catches it there.
    """
    found: dict[str, str] = {}
    _collect(value, found)
    return found


def _collect(value: Any, found: dict[str, str]) -> None:
    if isinstance(value, str):
        for kind, start, end in find_secrets(value):
            secret = value[start:end]
            found.setdefault(secret, kind)
            if kind == "private_key":
                for line in secret.splitlines():
                    line = line.strip()
                    if len(line) >= KEY_LINE_CHARS and not line.startswith("-----"):
                        found.setdefault(line, kind)
    elif isinstance(value, list):
        for v in value:
            _collect(v, found)
    elif isinstance(value, dict):
        for k, v in value.items():
            named = credential_kind(k) if isinstance(k, str) else None
            if named is not None and isinstance(v, str) and v:
                found.setdefault(v, named)
            else:
                _collect(k, found)
                _collect(v, found)
