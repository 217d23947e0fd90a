"""Masking secrets in JSON data before it is recorded anywhere (audit, approvals, logs)."""

from __future__ import annotations

from typing import Any

from gateway.firewall.normalize import credential_kind, mask_secrets


def masked(value: Any) -> Any:
    """A copy of JSON data with every secret the scanner knows replaced by its type."""
    if isinstance(value, str):
        return mask_secrets(value)
    if isinstance(value, list):
        return [masked(v) for v in value]
    if isinstance(value, dict):
        return {k: _masked_field(k, v) for k, v in value.items()}
    return value


def _masked_field(key: Any, value: Any) -> Any:
    # `{"password": "hunter22"}`: the key, not the value, says it is a secret.
    kind = credential_kind(key) if isinstance(key, str) else None
    if kind is not None and isinstance(value, str) and value:
        return f"[REDACTED:{kind}]"
    return masked(value)
